#include "store/gzip_index.h"

#include <nlohmann/json.hpp>
#include <string>

namespace scopefs::store {
namespace {

// The smallest possible member: header, an empty final deflate block (2 bytes), trailer.
constexpr uint64_t kMinMemberSize = kGzipHeaderSize + 2 + kGzipTrailerSize;

// Deflate never grows data by more than a few bytes per 16 KiB stored block; this
// bound is loose on purpose and only stops a corrupt index from making a reader
// allocate far more than a chunk.
uint64_t MaxMemberSize(uint64_t chunk_size) { return chunk_size + chunk_size / 8 + 1024; }

Status Bad(const std::string& what) { return Status::Corruption("mappings index: " + what); }

// A JSON value built in memory from a C++ int is a signed integer even when it is
// not negative; one parsed from text is unsigned. Both are fine.
bool IsUnsigned(const nlohmann::json& value) {
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

Result<uint64_t> GetUnsigned(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end()) return Bad(std::string("missing \"") + key + "\"");
  if (!IsUnsigned(*it)) {
    return Bad(std::string("\"") + key + "\" is not an unsigned integer");
  }
  return it->get<uint64_t>();
}

}  // namespace

uint64_t GzipIndex::MemberUncompressedSize(size_t i) const {
  uint64_t end = i + 1 < members.size() ? members[i + 1].uncompressed_offset : uncompressed_size;
  return end - members[i].uncompressed_offset;
}

uint64_t GzipIndex::MemberCompressedSize(size_t i) const {
  uint64_t end = i + 1 < members.size() ? members[i + 1].compressed_offset : compressed_size;
  return end - members[i].compressed_offset;
}

size_t GzipIndex::MemberFor(uint64_t offset) const {
  uint64_t i = offset / chunk_size;
  return i < members.size() ? static_cast<size_t>(i) : members.size() - 1;
}

nlohmann::json GzipIndexToJson(const GzipIndex& index) {
  nlohmann::json members = nlohmann::json::array();
  for (const GzipMember& m : index.members) {
    members.push_back({m.compressed_offset, m.uncompressed_offset});
  }
  return {{"chunk_size", index.chunk_size},
          {"uncompressed_size", index.uncompressed_size},
          {"compressed_size", index.compressed_size},
          {"members", std::move(members)}};
}

Status ValidateGzipIndex(const GzipIndex& index) {
  if (index.chunk_size == 0 || index.chunk_size > kMaxGzipChunkSize) {
    return Bad("chunk_size " + std::to_string(index.chunk_size) + " is out of range");
  }
  // Empty input is still one (empty) member, so the file is a valid .gz.
  uint64_t want =
      index.uncompressed_size == 0 ? 1 : (index.uncompressed_size - 1) / index.chunk_size + 1;
  if (index.members.size() != want) {
    return Bad(std::to_string(index.members.size()) + " members for " +
               std::to_string(index.uncompressed_size) + " bytes in chunks of " +
               std::to_string(index.chunk_size) + "; expected " + std::to_string(want));
  }
  const uint64_t max_member = MaxMemberSize(index.chunk_size);
  for (size_t i = 0; i < index.members.size(); ++i) {
    const GzipMember& m = index.members[i];
    const std::string where = "member " + std::to_string(i);
    if (m.uncompressed_offset != i * index.chunk_size) {
      return Bad(where + " starts at uncompressed offset " + std::to_string(m.uncompressed_offset) +
                 ", expected " + std::to_string(i * index.chunk_size));
    }
    if (i == 0 && m.compressed_offset != 0) {
      return Bad("member 0 starts at compressed offset " + std::to_string(m.compressed_offset));
    }
    // Members are contiguous, so a member ends where the next one starts; this also
    // makes compressed offsets strictly increasing.
    uint64_t end = i + 1 < index.members.size() ? index.members[i + 1].compressed_offset
                                                : index.compressed_size;
    if (end < m.compressed_offset || end - m.compressed_offset < kMinMemberSize ||
        end - m.compressed_offset > max_member) {
      return Bad(where + " at compressed offset " + std::to_string(m.compressed_offset) +
                 " has an impossible compressed size (next boundary at " + std::to_string(end) +
                 ")");
    }
  }
  // Each member holds exactly chunk_size bytes but the last, which holds 1..chunk_size
  // (0 only for empty input); the member count check above makes that so.
  return Status::Ok();
}

Result<GzipIndex> GzipIndexFromJson(const nlohmann::json& json) {
  try {
    if (!json.is_object()) return Bad("not a JSON object");
    GzipIndex index;
    ASSIGN_OR_RETURN(index.chunk_size, GetUnsigned(json, "chunk_size"));
    ASSIGN_OR_RETURN(index.uncompressed_size, GetUnsigned(json, "uncompressed_size"));
    ASSIGN_OR_RETURN(index.compressed_size, GetUnsigned(json, "compressed_size"));
    auto members = json.find("members");
    if (members == json.end()) return Bad("missing \"members\"");
    if (!members->is_array()) return Bad("\"members\" is not an array");
    index.members.reserve(members->size());
    for (size_t i = 0; i < members->size(); ++i) {
      const nlohmann::json& pair = (*members)[i];
      if (!pair.is_array() || pair.size() != 2 || !IsUnsigned(pair[0]) || !IsUnsigned(pair[1])) {
        return Bad("member " + std::to_string(i) + " is not a pair of unsigned integers");
      }
      index.members.push_back({pair[0].get<uint64_t>(), pair[1].get<uint64_t>()});
    }
    RETURN_IF_ERROR(ValidateGzipIndex(index));
    return index;
  } catch (const nlohmann::json::exception& e) {
    return Bad(std::string("malformed: ") + e.what());
  }
}

}  // namespace scopefs::store
