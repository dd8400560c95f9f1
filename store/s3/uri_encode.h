// URI encoding as AWS SigV4 and S3 define it, used both for what is signed and
// for what is sent, so the two cannot drift apart.
//
// Every byte other than the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~)
// becomes %XX with uppercase hex; UTF-8 is encoded byte by byte. S3 encodes an
// object key once (no double encoding) and keeps its '/'. A query is sent as it
// is signed: names and values encoded ('/' too), sorted by name then value, and
// a parameter without a value written `name=` (`uploads=`, never `uploads`).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scopefs::s3 {

// A header or a query parameter, as the caller means it (not encoded).
struct HttpField {
  std::string name;
  std::string value;
};

std::string UriEncode(std::string_view s, bool encode_slash);

// The path of an object URL: "/" + bucket + "/" + key, encoded with '/' kept.
// An empty path is "/".
std::string EncodePath(std::string_view path);

// "a=1&b=x%2Fy&uploads=": the canonical query string of SigV4, which is also
// the query string the client sends.
std::string CanonicalQueryString(const std::vector<HttpField>& query);

}  // namespace scopefs::s3
