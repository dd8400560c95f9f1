// The names a mount shows besides a scope's files (layout.h has those): the
// control directory, its files, and a pending scope's status file. fs/ serves
// them and scopectl reads them through the mount, so both take them from here.
// Thread-safety: constants.
#pragma once

#include <string_view>

namespace scopefs::store {

inline constexpr std::string_view kControlDirName = ".scopefs";
inline constexpr std::string_view kStatsFile = "stats.json";    // cache-wide figures
inline constexpr std::string_view kScopesFile = "scopes.json";  // every scope's meta, MRU first
inline constexpr std::string_view kMetricsFile = "metrics";     // Prometheus text format
inline constexpr std::string_view kGcAction = "gc";             // write: collect garbage now
inline constexpr std::string_view kVerifyAction = "verify";     // write keys: check their bytes
inline constexpr std::string_view kStatusFile = ".status";      // in a pending scope

}  // namespace scopefs::store
