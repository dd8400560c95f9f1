// CRC-32 (zlib's, as gzip and the record use) over buffers of any size.
//
// zlib's crc32() takes a uInt length, 32 bits wide: one call over 4 GiB or
// more would check only part of the buffer. Crc32Update feeds it in pieces of
// at most kCrcPieceBytes, so no caller has to remember that.
//
// Thread-safety: pure functions.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace scopefs::store {

inline constexpr size_t kCrcPieceBytes = size_t{1} << 30;

// The CRC-32 of the bytes that gave `crc`, followed by `bytes` (start with 0).
inline uint32_t Crc32Update(uint32_t crc, std::string_view bytes) {
  uLong c = crc;
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kCrcPieceBytes);
    c = crc32(c, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(n));
    bytes.remove_prefix(n);
  }
  return static_cast<uint32_t>(c);
}

inline uint32_t Crc32(std::string_view bytes) { return Crc32Update(0, bytes); }

}  // namespace scopefs::store
