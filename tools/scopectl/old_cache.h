// OldCache: the flat directory the Python CacheScopeManager kept, read for
// `scopectl import`: {key}_nodes.bits, {key}_links.bits,
// {key}_mappings.json.gz and cache_metadata.json (an object: key → entry
// with scope_key, created_at, last_accessed, *_file_size, total_nodes,
// total_links, config_attributes).
//
// Thread-safety: pure functions of the directory's state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/status.h"
#include "tools/scopectl/cache_client.h"

namespace scopefs::tools {

struct OldCacheEntry {
  ScopeSource source;   // source.key is the entry's key
  uint64_t bytes = 0;   // its three files together
  std::string problem;  // why it cannot be imported; empty if it can
};

// Every entry of DIR/cache_metadata.json, oldest access first (importing in
// that order leaves the most recently used ones if the cache's limits bite),
// then one entry with a problem for each key that has files but no metadata.
// An entry whose metadata is unusable, whose files are missing, or whose
// sizes disagree with its metadata gets a problem saying so. NotFound if
// there is no cache_metadata.json, Invalid if it is not a JSON object.
store::Result<std::vector<OldCacheEntry>> ReadOldCache(const std::string& dir);

}  // namespace scopefs::tools
