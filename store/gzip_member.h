// One gzip member of a chunked mappings file, compressed and inflated whole
// with libdeflate.
//
// A member is kGzipMemberHeader (the same 10 bytes at every level), raw
// deflate data, then the CRC-32 and ISIZE of the uncompressed bytes,
// little-endian: a standard RFC 1952 member that gzip, zcat, zlib and Python
// read. Members written by the zlib codec used before issue 13 have exactly
// this shape and inflate here too.
//
// Each thread keeps one libdeflate compressor (for the last level it used;
// 200 KiB at level 1, 650 KiB at levels 2-9) and one decompressor, allocated
// on first use and freed when the thread exits. Measured (issue 13), allocating
// them per 64 KiB member is no slower with glibc's malloc (within the ±6 %
// noise), so this saves allocator traffic rather than time; the price is that
// memory per thread that has compressed.
//
// Thread-safety: safe from any number of threads (the codec objects are
// per thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/status.h"

namespace scopefs::store {

inline constexpr int kMinGzipLevel = 0;   // stored blocks only
inline constexpr int kMaxGzipLevel = 12;  // libdeflate's slowest

// The complete member for `input`. Invalid for a level outside
// kMinGzipLevel..kMaxGzipLevel; ENOMEM if libdeflate cannot allocate.
Result<std::string> CompressGzipMember(std::string_view input, int level);

// Checks and inflates one whole member that must hold exactly
// `uncompressed_size` bytes: the fixed header, the deflate data, that the data
// ends exactly where the 8-byte trailer starts, and the trailer's CRC-32 and
// ISIZE. Any mismatch is Corruption with a short reason ("CRC-32 mismatch",
// "ISIZE mismatch", "bad gzip member header", "bad deflate data ...",
// "inflates to ...", "deflate data ends ...") for the caller to annotate.
Result<std::string> InflateGzipMember(std::string_view member, uint64_t uncompressed_size);

}  // namespace scopefs::store
