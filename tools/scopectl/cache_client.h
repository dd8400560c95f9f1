// CacheClient: what scopectl's commands ask of a cache, reached either through
// a live mount (MountClient: its files and .scopefs/ control files) or, with
// the daemon stopped, through the store library on the store directory
// (StoreClient, which holds the store's lock for as long as it lives).
//
// Errors are store::Status values with a message that names the key or path:
// NotFound for a key that is not there, Exists when importing a key already
// present, Corruption for a damaged scope (it is quarantined), Busy when a
// daemon holds the store, Permission/Access when the caller may not do it.
// Thread-safety: one command uses one client from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/status.h"
#include "store/store.h"

namespace scopefs::tools {

// A scope to add, from files elsewhere (scopectl import).
struct ScopeSource {
  std::string key;
  std::string nodes_path;
  std::string links_path;
  std::string mappings_gz_path;
  nlohmann::json meta;  // the input meta.json: totals and config_attributes
  int64_t created_ns = 0;
  int64_t accessed_ns = 0;
};

class CacheClient {
 public:
  virtual ~CacheClient() = default;

  // "mount /mnt/scopes" or "store /var/cache/scopefs", for messages.
  virtual std::string where() const = 0;
  // stats.json's object (store::StatsReport's keys).
  virtual store::Result<nlohmann::json> Stats() = 0;
  // scopes.json's array: every scope's meta.json, most recently used first.
  virtual store::Result<nlohmann::json> Scopes() = 0;
  // One scope's meta.json; not an access.
  virtual store::Result<nlohmann::json> Info(const std::string& key) = 0;
  virtual store::Status Remove(const std::string& key) = 0;
  virtual store::Result<store::GarbageReport> CollectGarbage() = 0;
  // Re-reads every stored byte of the scope; a damaged one is quarantined.
  virtual store::Status Verify(const std::string& key) = 0;
  // Adds a scope keeping its times; on failure nothing of it is left behind.
  virtual store::Status Add(const ScopeSource& source) = 0;
  // Scopes found damaged and dropped when this client opened the store (key,
  // why); a mount's daemon logs its own at start-up.
  virtual std::vector<std::pair<std::string, store::Status>> DroppedAtOpen() const { return {}; }
};

struct ClientOptions {
  std::optional<std::string> mount;              // default: $SCOPEFS_MOUNT, else kDefaultMount
  std::optional<std::string> store;              // offline: the store directory
  int64_t ttl_ns = store::CacheLimits{}.ttl_ns;  // offline: what counts as expired
};

inline constexpr char kDefaultMount[] = "/mnt/scopes";

// A client for options.store if set, else for the mount. A mount path that is
// not a scopefs mount is Invalid; a store served by a daemon is Busy.
store::Result<std::unique_ptr<CacheClient>> OpenCacheClient(const ClientOptions& options);

std::unique_ptr<CacheClient> NewMountClient(std::string mountpoint);
store::Result<std::unique_ptr<CacheClient>> NewStoreClient(const std::string& store_dir,
                                                           int64_t ttl_ns);

}  // namespace scopefs::tools
