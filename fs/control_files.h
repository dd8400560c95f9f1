// The control directory `.scopefs/` and the files generated in it.
//
// Thread-safety: pure functions of the store's state at the time of the call.
#pragma once

#include <fuse_lowlevel.h>

#include <span>
#include <string>
#include <string_view>

#include "store/store.h"

namespace scopefs::fs {

inline constexpr std::string_view kControlDirName = ".scopefs";

struct ControlFile {
  fuse_ino_t ino;
  std::string_view name;
};

std::span<const ControlFile> ControlFiles();

// The content of control file `ino`, generated now: stats.json (cache-wide
// figures and counters), scopes.json (every scope's meta, most recently used
// first) or metrics (the figures in Prometheus text format).
// What the mount has served since it started.
struct ServeCounters {
  uint64_t hits = 0;          // lookups of committed keys
  uint64_t misses = 0;        // lookups of keys that do not exist
  uint64_t bytes_served = 0;  // data read from committed files
};

std::string GenerateControlFile(fuse_ino_t ino, const store::Store& store,
                                const ServeCounters& served);

}  // namespace scopefs::fs
