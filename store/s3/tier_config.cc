#include "store/s3/tier_config.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "store/key.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

constexpr std::string_view kScheme = "s3://";

bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// "192.168.5.4": four dot-separated runs of digits.
bool LooksLikeIpv4(std::string_view name) {
  int parts = 0;
  for (size_t start = 0; start <= name.size(); ++parts) {
    size_t end = std::min(name.find('.', start), name.size());
    std::string_view part = name.substr(start, end - start);
    if (part.empty() ||
        !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    start = end + 1;
  }
  return parts == 4;
}

// Why S3 refuses `bucket` as a bucket name, or "" if it allows it (the rules
// for general purpose buckets).
std::string BucketNameProblem(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return "a bucket name has 3 to 63 characters";
  for (char c : bucket) {
    if (!IsLowerOrDigit(c) && c != '.' && c != '-') {
      return "a bucket name has only lowercase letters, digits, '.' and '-'";
    }
  }
  if (!IsLowerOrDigit(bucket.front()) || !IsLowerOrDigit(bucket.back())) {
    return "a bucket name starts and ends with a letter or digit";
  }
  if (bucket.find("..") != std::string_view::npos) return "a bucket name has no \"..\"";
  if (LooksLikeIpv4(bucket)) return "a bucket name is not an IP address";
  for (std::string_view reserved : {"xn--", "sthree-", "amzn-s3-demo-"}) {
    if (bucket.starts_with(reserved)) {
      return "bucket names starting with \"" + std::string(reserved) + "\" are reserved";
    }
  }
  for (std::string_view reserved : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    if (bucket.ends_with(reserved)) {
      return "bucket names ending with \"" + std::string(reserved) + "\" are reserved";
    }
  }
  return "";
}

std::string PrefixProblem(std::string_view prefix) {
  for (char c : prefix) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "the prefix has a control character";
  }
  for (size_t start = 0; start <= prefix.size();) {
    const size_t end = std::min(prefix.find('/', start), prefix.size());
    const std::string_view segment = prefix.substr(start, end - start);
    if (segment.empty()) return "the prefix has an empty segment (\"//\")";
    if (segment == "." || segment == "..") return "the prefix has a \".\" or \"..\" segment";
    start = end + 1;
  }
  return "";
}

bool IsRegionChar(char c) { return IsLowerOrDigit(c) || c == '-'; }

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

Result<SharedTierUrl> ParseSharedTierUrl(std::string_view url) {
  const std::string quoted = "--shared \"" + store::Printable(url, 200) + "\"";
  if (url.empty()) return Status::Invalid("--shared: no URL given (expected s3://BUCKET[/PREFIX])");
  if (!url.starts_with(kScheme)) {
    return Status::Invalid(quoted + ": expected s3://BUCKET[/PREFIX]");
  }
  std::string_view rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const size_t slash = rest.find('/');
  SharedTierUrl out;
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.prefix = std::string(rest.substr(slash + 1));
  if (out.bucket.empty()) return Status::Invalid(quoted + ": no bucket name");
  if (std::string why = BucketNameProblem(out.bucket); !why.empty()) {
    return Status::Invalid(quoted + ": " + why);
  }
  if (std::string why = PrefixProblem(out.prefix); !out.prefix.empty() && !why.empty()) {
    return Status::Invalid(quoted + ": " + why);
  }
  return out;
}

std::string SharedTierProfile(const SharedTierConfig& config) {
  if (!config.profile.empty()) return config.profile;
  if (std::string profile = Env("AWS_PROFILE"); !profile.empty()) return profile;
  return "default";
}

Result<Credentials> SharedTierCredentials(const SharedTierConfig& config) {
  if (!config.credentials_file.empty()) {
    Result<Credentials> credentials =
        CredentialsFromFile(config.credentials_file, SharedTierProfile(config));
    if (!credentials.ok()) return credentials.status().Annotate("--shared-credentials");
    return credentials;
  }
  if (!config.profile.empty()) {
    return Status::Invalid("--shared-profile " + store::Printable(config.profile) +
                           ": names a profile of --shared-credentials FILE, and no file is given");
  }
  Result<Credentials> credentials = CredentialsFromEnvironment();
  if (credentials.ok()) return credentials;
  if (credentials.status().code() == Status::Code::kNotFound) {
    return Status::Invalid(
        "no credentials for the shared tier: give --shared-credentials FILE, or set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  return credentials.status().Annotate("shared tier credentials");
}

Result<std::unique_ptr<S3Tier>> OpenSharedTier(const SharedTierConfig& config,
                                               S3TierOptions options) {
  ASSIGN_OR_RETURN(SharedTierUrl url, ParseSharedTierUrl(config.url));
  if (config.endpoint.find('@') != std::string::npos) {
    // Not echoed: the part before '@' may be a password.
    return Status::Invalid(
        "--shared-endpoint: a user or password in the URL is not used (credentials come from "
        "--shared-credentials or the environment); give http(s)://HOST[:PORT]");
  }
  if (config.region.empty() ||
      !std::all_of(config.region.begin(), config.region.end(), IsRegionChar)) {
    return Status::Invalid("--shared-region \"" + store::Printable(config.region) +
                           "\": expected a region name such as us-east-1");
  }
  ASSIGN_OR_RETURN(Credentials credentials, SharedTierCredentials(config));
  options.endpoint = config.endpoint;
  options.bucket = std::move(url.bucket);
  options.prefix = std::move(url.prefix);
  options.region = config.region;
  Result<std::unique_ptr<S3Tier>> tier = S3Tier::Create(std::move(options), std::move(credentials));
  // S3Client checks the endpoint's form; its message names it but not the option.
  if (!tier.ok() && tier.status().message().starts_with("S3 endpoint")) {
    return tier.status().Annotate("--shared-endpoint");
  }
  return tier;
}

}  // namespace scopefs::s3
