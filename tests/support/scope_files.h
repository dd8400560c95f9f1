// Test inputs: the four files of a small pending scope, made in memory.
#pragma once

#include <cstdint>
#include <string>

#include "store/env.h"
#include "store/pending_scope.h"
#include "store/store.h"

namespace scopefs::testing {

struct ScopeFiles {
  std::string nodes_bits;
  std::string links_bits;
  std::string mappings_json;
  std::string meta_json;
};

// A valid scope of `nodes` nodes and `links` links; ids "n<i>" and "l<j>", index i / j.
ScopeFiles MakeScopeFiles(uint64_t nodes, uint64_t links, uint32_t seed = 1);

// Writes the files into a pending scope, as the mount would; mappings and
// meta with an empty content string are skipped (bits files are always written).
store::Status WriteScopeFiles(store::PendingScope& pending, const ScopeFiles& files);
// Creates `name` in the scope (or takes the existing one) and writes `data` at 0.
store::Status WritePendingFile(store::PendingScope& pending, const std::string& name,
                               std::string_view data);

// A store on `env` under /store, timed by `clock`, with 4 KiB mappings members
// so that even small scopes have many. Null (and a test failure) if it fails.
std::unique_ptr<store::Store> OpenTestStore(store::Env* env, const store::Clock* clock);
// Creates pending/<key> in `store` holding `files`; null (and a failure) if it fails.
std::shared_ptr<store::PendingScope> PendTestScope(store::Store& store, const std::string& key,
                                                   const ScopeFiles& files);

// A temporary directory on the real filesystem, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace scopefs::testing
