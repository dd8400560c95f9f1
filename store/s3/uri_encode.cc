#include "store/s3/uri_encode.h"

#include <algorithm>
#include <utility>

namespace scopefs::s3 {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string UriEncode(std::string_view s, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string EncodePath(std::string_view path) {
  if (path.empty()) return "/";
  return UriEncode(path, /*encode_slash=*/false);
}

std::string CanonicalQueryString(const std::vector<HttpField>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const HttpField& field : query) {
    encoded.emplace_back(UriEncode(field.name, true), UriEncode(field.value, true));
  }
  // Sorted by the encoded bytes, name first, then value (AWS's rule, which
  // the get-vanilla-query-order-* vectors check).
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace scopefs::s3
