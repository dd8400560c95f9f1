// Options: the daemon's command line, as people and /etc/fstab give it.
//
//   scopefs [options] STORE_DIR MOUNTPOINT
// scopefs options come as `--max-size 10G` or, for fstab, `-o max_size=10G`;
// every other `-o` option goes to libfuse and the kernel (allow_other,
// auto_unmount, default_permissions, ...). Sizes take K/M/G/T (powers of
// 1024), durations s/m/h/d (plain numbers are seconds; 0 means never).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/s3/tier_config.h"
#include "store/status.h"
#include "store/store.h"
#include "store/units.h"

namespace scopefs::fs {

struct Config {
  std::string store_dir;
  std::string mountpoint;
  bool foreground = false;
  bool debug = false;
  bool single_thread = false;
  int notify_fd = -1;  // gets one byte once the mount is live
  // The store's defaults (store.h), in the units the options use.
  uint64_t max_size = store::CacheLimits{}.max_size;
  uint64_t max_entries = store::CacheLimits{}.max_entries;
  int64_t ttl_s = store::CacheLimits{}.ttl_ns / 1'000'000'000;
  int64_t maintenance_interval_s = 60;
  int64_t pending_timeout_s = store::CacheLimits{}.pending_timeout_ns / 1'000'000'000;
  // Kernel readahead for the mount (its BDI), so sequential reads arrive as
  // 1 MiB requests instead of 128 KiB ones; 0 leaves the kernel's default.
  uint64_t read_ahead_kb = 1024;
  // Members of this group (a name or gid) may also add, remove and rename
  // scopes (access_policy.h); empty: only root may.
  std::string write_group;
  // Whether commits build nodes.idx and links.idx (`index=commit`, the
  // default) or not (`index=off`: readers fall back to mappings.json).
  bool build_index = true;
  // The shared tier (docs/SHARED.md), as store/s3/tier_config.h takes it;
  // an empty `shared.url` runs local-only. Credentials are read at start.
  s3::SharedTierConfig shared;
  // How long a lookup may wait for a scope from the tier (a fetch, or another
  // host's computation under a lease).
  int64_t shared_wait_s = 600;
  // A computation lease's lifetime (renewed every third of it while the
  // scope is pending): how long other hosts wait after this one dies with a
  // lease held. At least kMinSharedLeaseS, so a renewal is due at most once
  // a second (the keeper's pace).
  int64_t shared_lease_s = 120;
  std::vector<std::string> fuse_options;  // for libfuse, one "-o" value each
};

inline constexpr int64_t kMinSharedLeaseS = 3;

enum class Action { kRun, kHelp, kVersion };

struct Invocation {
  Action action = Action::kRun;
  Config config;
};

// Invalid with a message naming the bad option or value.
store::Result<Invocation> ParseCommandLine(int argc, const char* const* argv);

using store::ParseDuration;
using store::ParseSize;

extern const char kUsage[];

}  // namespace scopefs::fs
