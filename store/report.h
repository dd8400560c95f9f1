// Report: the store's state as JSON, the one shape every reader of it shares
// (the mount's .scopefs/stats.json and scopes.json, and `scopectl --store`).
//
// Thread-safety: reads a snapshot of the store; safe while it serves.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace scopefs::store {

// Cache-wide figures, limits and counters (the old class's get_cache_stats
// keys plus scopefs's). A limit the store does not enforce (UINT64_MAX, as in
// offline use) is null.
nlohmann::json StatsReport(const Store& store);

// Every unexpired scope's meta.json (UserMeta), most recently used first.
nlohmann::json ScopesReport(const Store& store);

}  // namespace scopefs::store
