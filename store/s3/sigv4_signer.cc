#include "store/s3/sigv4_signer.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace scopefs::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trims the value and folds each run of spaces and tabs inside it to one space.
std::string TrimAll(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// (lowercased name, comma-joined trimmed values), sorted by name.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(
    const std::vector<HttpField>& headers) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (const HttpField& header : headers)
    fields.emplace_back(Lowercase(header.name), TrimAll(header.value));
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& field : fields) {
    if (!merged.empty() && merged.back().first == field.first) {
      merged.back().second += ',';
      merged.back().second += field.second;
    } else {
      merged.push_back(std::move(field));
    }
  }
  return merged;
}

}  // namespace

std::string AmzDate(std::chrono::system_clock::time_point now) {
  const time_t seconds = std::chrono::system_clock::to_time_t(now);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

std::string SignedHeaderList(const std::vector<HttpField>& headers) {
  std::string out;
  for (const auto& [name, value] : CanonicalHeaders(headers)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const SignableRequest& request) {
  std::string out = request.method;
  out += '\n';
  out += EncodePath(request.path);
  out += '\n';
  out += CanonicalQueryString(request.query);
  out += '\n';
  for (const auto& [name, value] : CanonicalHeaders(request.headers)) {
    out += name;
    out += ':';
    out += value;
    out += '\n';
  }
  out += '\n';
  out += SignedHeaderList(request.headers);
  out += '\n';
  out += request.payload_sha256;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += Sha256Hex(canonical_request);
  return out;
}

Sigv4Signer::Sigv4Signer(Credentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)) {}

std::string Sigv4Signer::CredentialScope(std::string_view date) const {
  std::string scope(date);
  scope += '/';
  scope += region_;
  scope += '/';
  scope += service_;
  scope += "/aws4_request";
  return scope;
}

std::string Sigv4Signer::SigningKey(std::string_view date) const {
  const std::string date_key = HmacSha256("AWS4" + credentials_.secret_access_key(), date);
  const std::string region_key = HmacSha256(date_key, region_);
  const std::string service_key = HmacSha256(region_key, service_);
  return HmacSha256(service_key, "aws4_request");
}

std::vector<HttpField> Sigv4Signer::Sign(const SignableRequest& request,
                                         std::chrono::system_clock::time_point now) const {
  const std::string amz_date = AmzDate(now);
  const std::string date = amz_date.substr(0, 8);
  std::vector<HttpField> added;
  added.push_back({"x-amz-date", amz_date});
  if (service_ == "s3") added.push_back({"x-amz-content-sha256", request.payload_sha256});
  if (!credentials_.session_token().empty()) {
    added.push_back({"x-amz-security-token", credentials_.session_token()});
  }

  SignableRequest signed_request = request;
  signed_request.headers.insert(signed_request.headers.end(), added.begin(), added.end());
  const std::string scope = CredentialScope(date);
  const std::string string_to_sign =
      StringToSign(amz_date, scope, CanonicalRequest(signed_request));
  const std::string signature = HexEncode(HmacSha256(SigningKey(date), string_to_sign));

  std::string authorization(kAlgorithm);
  authorization += " Credential=" + credentials_.access_key_id() + "/" + scope;
  authorization += ", SignedHeaders=" + SignedHeaderList(signed_request.headers);
  authorization += ", Signature=" + signature;
  added.push_back({"Authorization", std::move(authorization)});
  return added;
}

}  // namespace scopefs::s3
