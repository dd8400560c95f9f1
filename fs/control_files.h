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
std::string GenerateControlFile(fuse_ino_t ino, const store::Store& store);

}  // namespace scopefs::fs
