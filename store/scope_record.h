// ScopeRecord: what the store knows about one committed scope, and its file form.
//
// Stored as `scopes/<key>/meta.json`: {"crc32": <crc of record>, "record": {...}}
// (see FORMAT.md), so a flipped bit anywhere in it is detected. The record
// holds the scope's metadata, each stored file's size and CRC-32, the file
// times users set while the scope was pending, and the mappings' member index.
// UserMeta() builds the `meta.json` users read through the mount.
//
// Thread-safety: a value type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "store/gzip_index.h"
#include "store/status.h"

namespace scopefs::store {

struct StoredFile {
  uint64_t size = 0;     // bytes on disk
  uint32_t crc32 = 0;    // of the bytes on disk
  int64_t mtime_ns = 0;  // shown to users: the time set while pending, else created_at
};

struct ScopeRecord {
  std::string key;
  int64_t created_ns = 0;
  uint64_t total_nodes = 0;
  uint64_t total_links = 0;
  nlohmann::json config_attributes = nlohmann::json::object();
  nlohmann::json extra = nlohmann::json::object();  // the user's other meta.json keys
  StoredFile nodes;
  StoredFile links;
  StoredFile mappings;        // the stored multi-member .gz
  int64_t meta_mtime_ns = 0;  // of the user's meta.json
  GzipIndex mappings_index;   // mappings_index.uncompressed_size: what users read
  // nodes.idx and links.idx (mapping_index.h); absent when built with index=off.
  std::optional<StoredFile> nodes_idx;
  std::optional<StoredFile> links_idx;

  uint64_t stored_bytes() const {
    return nodes.size + links.size + mappings.size + (nodes_idx ? nodes_idx->size : 0) +
           (links_idx ? links_idx->size : 0);
  }
};

// The file form, with its CRC.
std::string SerializeRecord(const ScopeRecord& record);
// Corruption if the text does not parse, its CRC does not match, or a field is missing.
Result<ScopeRecord> ParseRecord(std::string_view text);

// The meta.json users read: the old cache's keys plus mappings_size. `key` is
// the scope's key now (a rename changes it; the record keeps the first).
nlohmann::json UserMeta(const ScopeRecord& record, const std::string& key,
                        int64_t last_accessed_ns);

// The most bits a scope's total_nodes or total_links may count: 2^34, so a
// bits file is at most 2 GiB. A reader holds a whole bits file in memory
// (Scope::VerifiedBits), and the limit keeps that, and a commit's copy,
// bounded. A commit past it is refused (Invalid, EINVAL at the mount).
inline constexpr uint64_t kMaxTotalBits = uint64_t{1} << 34;

// Invalid, naming `what` and the limit, if `bits` passes kMaxTotalBits.
Status CheckTotalBits(std::string_view what, uint64_t bits);

// ceil(bits / 8): the size a bits file must have.
inline uint64_t BitsFileSize(uint64_t bits) { return bits / 8 + (bits % 8 != 0 ? 1 : 0); }

}  // namespace scopefs::store
