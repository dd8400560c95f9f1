// S3Client: the object operations the shared tier needs, on one bucket of an
// S3 server (AWS S3, Ceph's radosgw, MinIO...), signed with SigV4.
//
// Addressing is path-style, http(s)://HOST[:PORT]/BUCKET/KEY, which radosgw and
// MinIO need and AWS still serves; with no endpoint the client talks to
// https://s3.REGION.amazonaws.com. (Virtual-host-style for AWS is not built.)
// Every call is one HTTP request with a payload signed by its SHA-256
// (x-amz-content-sha256), so the server rejects a body damaged on the way.
// Objects go up in one PUT (S3's limit: 5 GiB), never multipart, because
// radosgw ignores If-None-Match on multipart completion.
//
// Errors are store::Status values of the kinds in s3_error.h: NotFound (404),
// Exists for "already exists" (412 on a PutMode::kIfAbsent), Access (403),
// unavailable (no connection, timeout, 5xx: never "absent"), other. Messages
// name the operation, bucket, key, HTTP status and the server's error code and
// message; never a header, the secret key or the session token (they are
// scrubbed from anything the server echoes). Nothing here logs. No call is
// retried: the caller decides (only idempotent ones should be).
//
// Thread-safety: thread-safe; calls from many threads run concurrently, each
// on its own connection (see HttpTransport). Owned by whoever made it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/s3/credentials.h"
#include "store/s3/http_transport.h"
#include "store/s3/object_listing.h"
#include "store/s3/sigv4_signer.h"
#include "store/status.h"

namespace scopefs::s3 {

struct S3ClientOptions {
  // "http://127.0.0.1:7480" (scheme, host, optional port; no path). Empty:
  // AWS, https://s3.REGION.amazonaws.com.
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  HttpTransportOptions transport;  // connect timeout 2 s, request timeout 60 s...
  // GetObject refuses a whole object larger than this (ranged gets are bounded
  // by their range).
  uint64_t max_get_bytes = uint64_t{1} << 30;
};

enum class PutMode {
  kOverwrite,  // replace whatever is there
  kIfAbsent,   // If-None-Match: *; Exists if the key is there (412)
};

// `length` bytes from `offset`; S3 sends fewer if the object ends first.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;  // > 0
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;  // without its quotes
  std::chrono::system_clock::time_point last_modified;
};

class S3Client {
 public:
  // Invalid for an endpoint that is not http(s)://host[:port], an empty bucket
  // or region.
  static store::Result<std::unique_ptr<S3Client>> Create(S3ClientOptions options,
                                                         Credentials credentials);

  const std::string& bucket() const { return options_.bucket; }
  // "http://127.0.0.1:7480/BUCKET", for messages (no credentials in it).
  std::string BucketUrl() const;

  // OK if the bucket exists and the credentials may use it; NotFound if not.
  store::Status HeadBucket() const;
  // Creates the bucket (tests and setup; the daemon never does). OK if these
  // credentials already own it.
  store::Status CreateBucket() const;

  store::Status PutObject(const std::string& key, std::string_view bytes, PutMode mode) const;
  // Uploads `length` bytes of `fd` from `offset`. The range is read twice:
  // once to hash it, then as it is sent; if the file changes in between, the
  // server refuses the body (its hash no longer matches).
  store::Status PutObjectFromFile(const std::string& key, int fd, uint64_t offset, uint64_t length,
                                  PutMode mode) const;

  // The object's bytes, or `range` of them.
  store::Result<std::string> GetObject(const std::string& key,
                                       std::optional<ByteRange> range = std::nullopt) const;
  store::Result<ObjectInfo> HeadObject(const std::string& key) const;
  // OK whether or not the key existed (S3 answers 204 either way).
  store::Status DeleteObject(const std::string& key) const;

  // Up to `max_keys` (1..1000) keys starting with `prefix`, after the page
  // `continuation_token` ends (empty: from the start).
  store::Result<ObjectListing> ListObjectsV2(const std::string& prefix,
                                             const std::string& continuation_token = "",
                                             int max_keys = 1000) const;

 private:
  S3Client(S3ClientOptions options, Credentials credentials, std::string host);

  // A request to the bucket (key empty) or an object, before signing.
  SignableRequest NewRequest(std::string method, const std::string& key) const;
  // Signs `request`, sends it with `http` as the template for the body and
  // limits, and returns the answer; a non-2xx answer is an error Status.
  store::Result<HttpResponse> Send(const SignableRequest& request, HttpRequest http) const;
  store::Status PutObjectImpl(const std::string& key, HttpRequest http, std::string payload_sha256,
                              PutMode mode) const;
  // Removes the secret, the session token and the request's Authorization
  // value (or its signature) from text the server sent.
  std::string Scrub(std::string text, const std::string& authorization) const;

  const S3ClientOptions options_;
  const Credentials credentials_;
  const std::string host_;  // "HOST[:PORT]", the Host header
  const Sigv4Signer signer_;
  mutable HttpTransport transport_;
};

}  // namespace scopefs::s3
