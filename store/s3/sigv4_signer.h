// Sigv4Signer: AWS Signature Version 4 for requests with the whole payload in
// one piece (no chunked signing), as S3 and radosgw check it.
//
// Sign() returns the headers to add to a request: x-amz-date, for service
// "s3" x-amz-content-sha256 (S3 wants the payload hash on every request and
// rejects a body that does not match it), x-amz-security-token when the
// credentials carry one, and Authorization. Every header of the request and
// all but Authorization of those are signed. The path and query are signed as
// uri_encode.h encodes them, which is also how the client sends them.
//
// The steps are public so the tests can hold each to AWS's published values.
// Nothing here logs; the Authorization value is as secret as a password for
// the few minutes it is valid, and callers must not log it either.
//
// Thread-safety: immutable after construction; Sign() is safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "store/s3/credentials.h"
#include "store/s3/sha256.h"
#include "store/s3/uri_encode.h"

namespace scopefs::s3 {

struct SignableRequest {
  std::string method = "GET";
  std::string path = "/";                                  // not encoded: "/bucket/some key"
  std::vector<HttpField> query;                            // not encoded
  std::vector<HttpField> headers;                          // Host included; all of them are signed
  std::string payload_sha256 = std::string(kEmptySha256);  // hex SHA-256 of the body
};

class Sigv4Signer {
 public:
  Sigv4Signer(Credentials credentials, std::string region = "us-east-1",
              std::string service = "s3");

  std::vector<HttpField> Sign(const SignableRequest& request,
                              std::chrono::system_clock::time_point now) const;

  // "20130524/us-east-1/s3/aws4_request"
  std::string CredentialScope(std::string_view date) const;
  // The derived key: HMAC chain of "AWS4" + secret over date, region, service,
  // "aws4_request". Raw bytes.
  std::string SigningKey(std::string_view date) const;

  const std::string& region() const { return region_; }

 private:
  Credentials credentials_;
  std::string region_;
  std::string service_;
};

// "20130524T000000Z" (ISO 8601 basic, UTC), the x-amz-date of `now`.
std::string AmzDate(std::chrono::system_clock::time_point now);

// METHOD \n encoded path \n canonical query \n canonical headers \n signed
// header list \n payload hash. Headers: names lowercased, values trimmed with
// inner runs of spaces folded to one, sorted by name; repeated names joined
// with ',' in request order.
std::string CanonicalRequest(const SignableRequest& request);
// "host;range;x-amz-date": the lowercased, sorted, distinct header names.
std::string SignedHeaderList(const std::vector<HttpField>& headers);
// "AWS4-HMAC-SHA256" \n amz_date \n scope \n hex SHA-256 of the canonical request.
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

}  // namespace scopefs::s3
