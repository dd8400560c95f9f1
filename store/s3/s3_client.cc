#include "store/s3/s3_client.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <utility>

#include "store/s3/s3_error.h"
#include "store/s3/sha256.h"
#include "store/s3/xml_scan.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

// Longest server message quoted in a Status.
constexpr size_t kMaxQuotedMessage = 300;
// S3's limit on a key, in bytes.
constexpr size_t kMaxKeyBytes = 1024;

// "HOST[:PORT]" of an endpoint "http(s)://HOST[:PORT]" (a trailing '/' allowed).
Result<std::string> EndpointHost(const std::string& endpoint) {
  std::string_view rest = endpoint;
  if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else if (rest.substr(0, 8) == "https://") {
    rest.remove_prefix(8);
  } else {
    return Status::Invalid("S3 endpoint " + endpoint + ": must start with http:// or https://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
    return Status::Invalid("S3 endpoint " + endpoint + ": expected http(s)://HOST[:PORT]");
  }
  return std::string(rest);
}

Status CheckKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return Status::Invalid("S3 key of " + std::to_string(key.size()) +
                           " bytes: must be 1 to 1024 bytes");
  }
  return Status::Ok();
}

// SHA-256 of `length` bytes of `fd` from `offset`.
Result<std::string> HashFileRange(int fd, uint64_t offset, uint64_t length) {
  Sha256Hasher hasher;
  std::string buffer(1 << 20, '\0');
  uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), length - done));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return Status::FromErrno(err, "reading the body to upload");
    }
    if (n == 0) {
      return Status::Invalid("the body to upload ends at " + std::to_string(offset + done) +
                             ", before " + std::to_string(offset + length));
    }
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    done += static_cast<uint64_t>(n);
  }
  return hasher.FinishHex();
}

}  // namespace

Result<std::unique_ptr<S3Client>> S3Client::Create(S3ClientOptions options,
                                                   Credentials credentials) {
  if (options.bucket.empty()) return Status::Invalid("S3: no bucket given");
  if (options.region.empty()) return Status::Invalid("S3: no region given");
  if (options.endpoint.empty())
    options.endpoint = "https://s3." + options.region + ".amazonaws.com";
  while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
  ASSIGN_OR_RETURN(std::string host, EndpointHost(options.endpoint));
  return std::unique_ptr<S3Client>(
      new S3Client(std::move(options), std::move(credentials), std::move(host)));
}

S3Client::S3Client(S3ClientOptions options, Credentials credentials, std::string host)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      host_(std::move(host)),
      signer_(credentials_, options_.region, "s3"),
      transport_(options_.transport) {}

std::string S3Client::BucketUrl() const { return options_.endpoint + "/" + options_.bucket; }

std::string S3Client::Scrub(std::string text, const std::string& authorization) const {
  const size_t at = authorization.find("Signature=");
  const std::string signature = at == std::string::npos ? "" : authorization.substr(at + 10);
  // The whole Authorization value first, then its parts on their own.
  for (const std::string* secret : {&authorization, &signature, &credentials_.secret_access_key(),
                                    &credentials_.session_token()}) {
    if (secret->empty()) continue;
    for (size_t pos = text.find(*secret); pos != std::string::npos; pos = text.find(*secret, pos)) {
      text.replace(pos, secret->size(), "[redacted]");
    }
  }
  return text;
}

SignableRequest S3Client::NewRequest(std::string method, const std::string& key) const {
  SignableRequest request;
  request.method = std::move(method);
  request.path = "/" + options_.bucket;
  if (!key.empty()) request.path += "/" + key;
  request.headers.push_back({"Host", host_});
  return request;
}

Result<HttpResponse> S3Client::Send(const SignableRequest& request, HttpRequest http) const {
  http.method = request.method;
  http.url = options_.endpoint + EncodePath(request.path);
  const std::string query = CanonicalQueryString(request.query);
  if (!query.empty()) http.url += "?" + query;
  http.headers = request.headers;
  std::string authorization;
  for (HttpField& field : signer_.Sign(request, std::chrono::system_clock::now())) {
    if (field.name == "Authorization") authorization = field.value;
    http.headers.push_back(std::move(field));
  }

  // What a message calls the request: "GET bucket/key" (no query, no headers).
  const std::string what = request.method + " " + request.path.substr(1);
  Result<HttpResponse> sent = transport_.Send(http);
  if (!sent.ok()) return Status(sent.status());
  HttpResponse& response = *sent;
  if (response.status >= 200 && response.status < 300) return std::move(response);

  // The server's <Code> and <Message>, never the whole body: a
  // SignatureDoesNotMatch answer echoes the canonical request, which holds the
  // session token.
  // Scrubbed before it is cut short, so no prefix of a secret survives.
  std::string detail = what;
  for (const char* element : {"Code", "Message"}) {
    if (std::optional<std::string> text = XmlText(response.body, element)) {
      std::string scrubbed = Scrub(std::move(*text), authorization);
      if (scrubbed.size() > kMaxQuotedMessage) scrubbed.resize(kMaxQuotedMessage);
      detail += ": " + scrubbed;
    }
  }
  return StatusForHttpError(response.status, detail);
}

Status S3Client::HeadBucket() const { return Send(NewRequest("HEAD", ""), HttpRequest{}).status(); }

Status S3Client::CreateBucket() const {
  HttpRequest http;
  Result<HttpResponse> created = Send(NewRequest("PUT", ""), http);
  if (created.ok()) return Status::Ok();
  // radosgw and AWS outside us-east-1 answer 409 BucketAlreadyOwnedByYou to a
  // second create by the owner; that is what the caller wanted.
  if (created.status().message().find("BucketAlreadyOwnedByYou") != std::string::npos) {
    return Status::Ok();
  }
  return created.status();
}

Status S3Client::PutObjectImpl(const std::string& key, HttpRequest http, std::string payload_sha256,
                               PutMode mode) const {
  SignableRequest request = NewRequest("PUT", key);
  request.payload_sha256 = std::move(payload_sha256);
  if (mode == PutMode::kIfAbsent) request.headers.push_back({"If-None-Match", "*"});
  Result<HttpResponse> put = Send(request, std::move(http));
  if (put.ok() || ErrorKindOf(put.status()) != S3ErrorKind::kPreconditionFailed) {
    return put.status();
  }
  return Status::Exists(options_.bucket + "/" + key + " already exists (" + put.status().message() +
                        ")");
}

Status S3Client::PutObject(const std::string& key, std::string_view bytes, PutMode mode) const {
  RETURN_IF_ERROR(CheckKey(key));
  HttpRequest http;
  http.body = bytes;
  return PutObjectImpl(key, std::move(http), Sha256Hex(bytes), mode);
}

Status S3Client::PutObjectFromFile(const std::string& key, int fd, uint64_t offset, uint64_t length,
                                   PutMode mode) const {
  RETURN_IF_ERROR(CheckKey(key));
  ASSIGN_OR_RETURN(std::string sha256, HashFileRange(fd, offset, length));
  HttpRequest http;
  http.body_fd = fd;
  http.body_offset = offset;
  http.body_length = length;
  return PutObjectImpl(key, std::move(http), std::move(sha256), mode);
}

Result<std::string> S3Client::GetObject(const std::string& key,
                                        std::optional<ByteRange> range) const {
  RETURN_IF_ERROR(CheckKey(key));
  SignableRequest request = NewRequest("GET", key);
  HttpRequest http;
  http.max_response_bytes = options_.max_get_bytes;
  if (range) {
    if (range->length == 0) return Status::Invalid("GET " + key + ": empty byte range");
    request.headers.push_back({"Range", "bytes=" + std::to_string(range->offset) + "-" +
                                            std::to_string(range->offset + range->length - 1)});
    http.max_response_bytes = range->length;
  }
  ASSIGN_OR_RETURN(HttpResponse response, Send(request, std::move(http)));
  return std::move(response.body);
}

Result<ObjectInfo> S3Client::HeadObject(const std::string& key) const {
  RETURN_IF_ERROR(CheckKey(key));
  ASSIGN_OR_RETURN(HttpResponse response, Send(NewRequest("HEAD", key), HttpRequest{}));
  ObjectInfo info;
  const std::string length = response.Header("content-length");
  if (std::from_chars(length.data(), length.data() + length.size(), info.size).ptr !=
          length.data() + length.size() ||
      length.empty()) {
    return Status::FromErrno(
        EPROTO, "HEAD " + options_.bucket + "/" + key + ": no valid Content-Length in the answer");
  }
  info.etag = response.Header("etag");
  if (info.etag.size() >= 2 && info.etag.front() == '"' && info.etag.back() == '"') {
    info.etag = info.etag.substr(1, info.etag.size() - 2);
  }
  // Last-Modified is an HTTP date ("Wed, 12 Oct 2009 17:50:00 GMT").
  const std::string modified = response.Header("last-modified");
  struct tm tm = {};
  if (!modified.empty() &&
      strptime(modified.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
    info.last_modified = std::chrono::system_clock::from_time_t(timegm(&tm));
  }
  return info;
}

Status S3Client::DeleteObject(const std::string& key) const {
  RETURN_IF_ERROR(CheckKey(key));
  return Send(NewRequest("DELETE", key), HttpRequest{}).status();
}

Result<ObjectListing> S3Client::ListObjectsV2(const std::string& prefix,
                                              const std::string& continuation_token,
                                              int max_keys) const {
  if (max_keys < 1 || max_keys > 1000) {
    return Status::Invalid("ListObjectsV2: max_keys " + std::to_string(max_keys) +
                           " is not in 1..1000");
  }
  SignableRequest request = NewRequest("GET", "");
  request.query.push_back({"list-type", "2"});
  request.query.push_back({"max-keys", std::to_string(max_keys)});
  request.query.push_back({"prefix", prefix});
  if (!continuation_token.empty())
    request.query.push_back({"continuation-token", continuation_token});
  HttpRequest http;
  http.max_response_bytes = 16 << 20;  // 1000 entries are about 300 KiB
  ASSIGN_OR_RETURN(HttpResponse response, Send(request, std::move(http)));
  Result<ObjectListing> listing = ParseListObjectsV2(response.body);
  if (!listing.ok()) return listing.status().Annotate("GET " + options_.bucket + "?list-type=2");
  return listing;
}

}  // namespace scopefs::s3
