// The control directory `.scopefs/` and the files generated in it.
//
// Thread-safety: pure functions of the store's state at the time of the call.
#pragma once

#include <fuse_lowlevel.h>

#include <span>
#include <string>
#include <string_view>

#include "store/mount_names.h"
#include "store/shared_stats.h"
#include "store/store.h"

namespace scopefs::fs {

using store::kControlDirName;

struct ControlEntry {
  fuse_ino_t ino;
  std::string_view name;
  // An action file (gc, verify): root writes a request to it and reads the
  // result back from the same open file; reading it fresh shows how to use it.
  bool action = false;
};

std::span<const ControlEntry> ControlFiles();
bool IsControlAction(fuse_ino_t ino);

// What the mount has served since it started, and the inodes it serves now.
struct ServeCounters {
  uint64_t hits = 0;           // lookups of committed keys
  uint64_t misses = 0;         // lookups of keys that do not exist
  uint64_t bytes_served = 0;   // data read from committed files
  uint64_t bits_verified = 0;  // bits files read from disk and checked against their CRC
  uint64_t inodes = 0;         // held by the kernel (looked up, not yet forgotten)
};

// The content of control file `ino`, generated now: stats.json (cache-wide
// figures and counters), scopes.json (every scope's meta, most recently used
// first) or metrics (the figures in Prometheus text format); for an action
// file, how to use it. `shared` is the shared tier's figures, or null when
// the mount runs local-only: then stats.json has no "shared" object and the
// metrics no scopefs_shared_* lines.
std::string GenerateControlFile(fuse_ino_t ino, const store::Store& store,
                                const ServeCounters& served, const store::SharedStats* shared);

// What an action file did with a request: the text to read back (one JSON
// object per line), and the write's status.
struct ActionResult {
  std::string output;
  store::Status status;
};

// Runs the request written to action file `ino`:
//  - gc: anything; runs Store::CollectGarbage() now. Output
//    {"expired":N,"pending_dropped":N,"orphans":N}.
//  - verify: keys, one per line; re-reads each scope's stored bytes. Output one
//    {"key":K,"status":"ok"|"corrupt"|"missing","error":...} per key. The
//    status is Corruption (EIO) if any scope was damaged (it is quarantined),
//    else NotFound (ENOENT) if a key does not exist, so `echo KEY > verify`
//    fails the way a shell user expects.
ActionResult RunControlAction(fuse_ino_t ino, std::string_view request, store::Store& store);

}  // namespace scopefs::fs
