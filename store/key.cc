#include "store/key.h"

#include <cstdio>

namespace scopefs::store {
namespace {

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string Printable(std::string_view s, size_t max_len) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max_len; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max_len) out += "...";
  return out;
}

Status ValidateKey(std::string_view key) {
  std::string quoted = "key \"" + Printable(key) + "\"";
  if (key.empty()) return Status::Invalid("key is empty");
  if (key.size() > kMaxKeyLength) {
    return Status::Invalid(quoted + " is " + std::to_string(key.size()) + " bytes, at most " +
                           std::to_string(kMaxKeyLength) + " are allowed");
  }
  if (key.front() == '.') {
    return Status::Invalid(quoted + " starts with '.', which is reserved");
  }
  for (size_t i = 0; i < key.size(); ++i) {
    if (!IsKeyChar(key[i])) {
      return Status::Invalid(quoted + " has a character outside [A-Za-z0-9._-] at byte " +
                             std::to_string(i));
    }
  }
  return Status::Ok();
}

}  // namespace scopefs::store
