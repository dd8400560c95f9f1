#include "store/gzip_member.h"

#include <libdeflate.h>

#include <cstring>
#include <memory>

#include "store/crc32.h"
#include "store/gzip_index.h"

namespace scopefs::store {
namespace {

struct FreeCompressor {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// This thread's compressor for `level` (nullptr if out of memory). A thread
// that changes level frees the old one first.
libdeflate_compressor* ThreadCompressor(int level) {
  thread_local std::unique_ptr<libdeflate_compressor, FreeCompressor> compressor;
  thread_local int compressor_level = -1;
  if (compressor == nullptr || compressor_level != level) {
    compressor.reset();
    compressor.reset(libdeflate_alloc_compressor(level));
    compressor_level = level;
  }
  return compressor.get();
}

libdeflate_decompressor* ThreadDecompressor() {
  thread_local std::unique_ptr<libdeflate_decompressor, FreeDecompressor> decompressor;
  if (decompressor == nullptr) decompressor.reset(libdeflate_alloc_decompressor());
  return decompressor.get();
}

void PutLittleEndian32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetLittleEndian32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

Result<std::string> CompressGzipMember(std::string_view input, int level) {
  if (level < kMinGzipLevel || level > kMaxGzipLevel) {
    return Status::Invalid("gzip level " + std::to_string(level) + " is not " +
                           std::to_string(kMinGzipLevel) + ".." + std::to_string(kMaxGzipLevel));
  }
  libdeflate_compressor* compressor = ThreadCompressor(level);
  if (compressor == nullptr) return Status::FromErrno(ENOMEM, "libdeflate_alloc_compressor");
  // Raw deflate plus our own header keeps the header byte-for-byte the same at
  // every level (a library's gzip header varies XFL with the level).
  const size_t bound = libdeflate_deflate_compress_bound(compressor, input.size());
  std::string member(kGzipHeaderSize + bound + kGzipTrailerSize, '\0');
  std::memcpy(member.data(), kGzipMemberHeader, kGzipHeaderSize);
  const size_t deflated = libdeflate_deflate_compress(compressor, input.data(), input.size(),
                                                      member.data() + kGzipHeaderSize, bound);
  if (deflated == 0) {  // cannot happen with the bound's room; never write a broken member
    return Status::FromErrno(EIO, "libdeflate could not compress a " +
                                      std::to_string(input.size()) + "-byte chunk in its bound");
  }
  char* trailer = member.data() + kGzipHeaderSize + deflated;
  PutLittleEndian32(Crc32(input), trailer);
  PutLittleEndian32(static_cast<uint32_t>(input.size() & 0xffffffffu), trailer + 4);
  member.resize(kGzipHeaderSize + deflated + kGzipTrailerSize);
  return member;
}

Result<std::string> InflateGzipMember(std::string_view member, uint64_t uncompressed_size) {
  if (member.size() < kGzipHeaderSize + kGzipTrailerSize) {
    return Status::Corruption("member is only " + std::to_string(member.size()) + " bytes");
  }
  if (std::memcmp(member.data(), kGzipMemberHeader, kGzipHeaderSize) != 0) {
    return Status::Corruption("bad gzip member header");
  }
  libdeflate_decompressor* decompressor = ThreadDecompressor();
  if (decompressor == nullptr) return Status::FromErrno(ENOMEM, "libdeflate_alloc_decompressor");

  const std::string_view deflate =
      member.substr(kGzipHeaderSize, member.size() - kGzipHeaderSize - kGzipTrailerSize);
  std::string out(uncompressed_size, '\0');
  size_t used = 0;
  size_t inflated = 0;
  switch (libdeflate_deflate_decompress_ex(decompressor, deflate.data(), deflate.size(), out.data(),
                                           out.size(), &used, &inflated)) {
    case LIBDEFLATE_SUCCESS: break;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      return Status::Corruption("inflates to more than the index's " +
                                std::to_string(uncompressed_size) + " bytes");
    default:
      // libdeflate does not tell damaged data from data cut short.
      return Status::Corruption("bad deflate data (damaged or cut short)");
  }
  if (inflated != uncompressed_size) {
    return Status::Corruption("inflates to " + std::to_string(inflated) + " bytes, index says " +
                              std::to_string(uncompressed_size));
  }
  if (used > deflate.size()) return Status::Corruption("bad deflate data (read past its end)");
  if (used != deflate.size()) {
    return Status::Corruption("deflate data ends " + std::to_string(deflate.size() - used) +
                              " bytes before the member's trailer");
  }
  const char* trailer = member.data() + member.size() - kGzipTrailerSize;
  if (GetLittleEndian32(trailer) != Crc32(out)) return Status::Corruption("CRC-32 mismatch");
  if (GetLittleEndian32(trailer + 4) != static_cast<uint32_t>(uncompressed_size & 0xffffffffu)) {
    return Status::Corruption("ISIZE mismatch");
  }
  return out;
}

}  // namespace scopefs::store
