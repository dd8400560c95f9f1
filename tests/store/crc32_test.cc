// Tests store/crc32.h (libdeflate's CRC-32) against the standard check value
// and against zlib's crc32, which wrote the CRCs of stores from before issue 13.
#include "store/crc32.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

namespace scopefs::store {
namespace {

TEST(Crc32Test, CheckValue) {
  EXPECT_EQ(Crc32(""), 0u);
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the CRC-32 of RFC 1952
}

TEST(Crc32Test, MatchesZlibInAnyPieces) {
  std::mt19937_64 rng(1);
  std::string bytes(1 << 20, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const uint32_t want = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
  EXPECT_EQ(Crc32(bytes), want);
  uint32_t pieces = 0;
  for (size_t at = 0; at < bytes.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 5000, bytes.size() - at);
    pieces = Crc32Update(pieces, std::string_view(bytes).substr(at, n));
    at += n;
  }
  EXPECT_EQ(pieces, want);
}

}  // namespace
}  // namespace scopefs::store
