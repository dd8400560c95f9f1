// InputMeta: the `meta.json` a user writes into a pending scope.
//
// A JSON object of at most kMaxMetaBytes, nested at most kMaxMetaDepth deep,
// with no duplicate keys. `total_nodes` / `total_links`, when present, are
// non-negative integers of at most kMaxTotalBits (2^34, scope_record.h);
// `config_attributes`, when present, is an object.
// Daemon-owned keys (scope_key, created_at, last_accessed, the sizes) are
// ignored, so a meta.json read from a scope is valid input; every other key is
// kept and shown again. Errors are Status::Invalid with a one-line reason.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "store/status.h"

namespace scopefs::store {

inline constexpr uint64_t kMaxMetaBytes = 1 << 20;
inline constexpr int kMaxMetaDepth = 32;

struct InputMeta {
  std::optional<uint64_t> total_nodes;
  std::optional<uint64_t> total_links;
  nlohmann::json config_attributes = nlohmann::json::object();
  nlohmann::json extra = nlohmann::json::object();  // the user's other keys
};

Result<InputMeta> ParseInputMeta(std::string_view text);

// True for keys the daemon computes itself and ignores in input.
bool IsDaemonOwnedMetaKey(std::string_view key);

}  // namespace scopefs::store
