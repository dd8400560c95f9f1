// GzipIndex: where each member of a chunked gzip file starts, in both streams.
//
// A mappings file is one valid multi-member gzip: member i holds uncompressed
// bytes [i * chunk_size, min((i + 1) * chunk_size, uncompressed_size)). The
// index, kept in the scope's metadata, lets a reader inflate only the member
// that covers an offset. The exact uncompressed size lives here because a gzip
// trailer's ISIZE is only the size mod 2^32.
//
// GzipIndexFromJson validates everything the reader relies on, so a reader
// built from a parsed index never indexes out of range or allocates more than
// a chunk per member.
//
// Thread-safety: plain values; const access from many threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "store/status.h"

namespace scopefs::store {

// Every member starts with these 10 bytes: gzip magic, deflate, no flags, mtime
// 0, no extra flags, OS 3 (Unix). A fixed header lets the reader detect any
// bit flip in it.
inline constexpr unsigned char kGzipMemberHeader[10] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03};
inline constexpr size_t kGzipHeaderSize = sizeof(kGzipMemberHeader);
inline constexpr size_t kGzipTrailerSize = 8;  // CRC-32 and ISIZE, little-endian

// Chunks larger than this are refused when parsing an index: a reader holds
// whole members in memory.
inline constexpr uint64_t kMaxGzipChunkSize = uint64_t{256} << 20;

struct GzipMember {
  uint64_t compressed_offset = 0;    // where its gzip header starts in the file
  uint64_t uncompressed_offset = 0;  // its first byte in the uncompressed stream
};

struct GzipIndex {
  uint64_t chunk_size = 0;
  uint64_t uncompressed_size = 0;   // exact; the truth, unlike ISIZE
  uint64_t compressed_size = 0;     // the file's size
  std::vector<GzipMember> members;  // at least one, even for empty input

  // REQUIRES: i < members.size()
  uint64_t MemberUncompressedSize(size_t i) const;
  uint64_t MemberCompressedSize(size_t i) const;
  // The member holding uncompressed byte `offset`.
  // REQUIRES: offset < uncompressed_size, and the index is valid.
  size_t MemberFor(uint64_t offset) const;
};

// Compact form: {"chunk_size":..,"uncompressed_size":..,"compressed_size":..,
// "members":[[compressed_offset, uncompressed_offset], ...]}.
nlohmann::json GzipIndexToJson(const GzipIndex& index);

// Parses and validates; Corruption naming the first problem found. Never throws.
Result<GzipIndex> GzipIndexFromJson(const nlohmann::json& json);

// The checks GzipIndexFromJson applies, for an index built in memory.
Status ValidateGzipIndex(const GzipIndex& index);

}  // namespace scopefs::store
