#include "store/units.h"

#include <charconv>
#include <cstdint>

namespace scopefs::store {

Result<uint64_t> ParseNumber(const std::string& text, const std::string& what) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::Invalid("bad " + what + " \"" + text + "\"");
  }
  return value;
}

Result<uint64_t> ParseSize(const std::string& text) {
  if (text.empty()) return Status::Invalid("empty size");
  uint64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'K':
    case 'k': unit = uint64_t{1} << 10; break;
    case 'M':
    case 'm': unit = uint64_t{1} << 20; break;
    case 'G':
    case 'g': unit = uint64_t{1} << 30; break;
    case 'T':
    case 't': unit = uint64_t{1} << 40; break;
    default: break;
  }
  if (unit != 1) digits.pop_back();
  ASSIGN_OR_RETURN(uint64_t n, ParseNumber(digits, "size"));
  if (n > UINT64_MAX / unit) return Status::Invalid("size \"" + text + "\" is too large");
  return n * unit;
}

Result<int64_t> ParseDuration(const std::string& text) {
  if (text.empty()) return Status::Invalid("empty duration");
  int64_t unit = 1;
  std::string digits = text;
  switch (text.back()) {
    case 's': break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: unit = 0; break;
  }
  if (unit != 0) {
    digits.pop_back();
  } else {
    unit = 1;
  }
  ASSIGN_OR_RETURN(uint64_t n, ParseNumber(digits, "duration"));
  if (n > static_cast<uint64_t>(INT64_MAX / unit)) {
    return Status::Invalid("duration \"" + text + "\" is too long");
  }
  return static_cast<int64_t>(n) * unit;
}

}  // namespace scopefs::store
