// MetaDraft and MetaDrafts: rsync's temporary copies of meta.json and of the
// index files inside committed scopes, and who owns them for how long.
//
// `rsync -a` run again onto a committed scope finds the generated meta.json
// different from its source and sends it as `.meta.json.XXXXXX`, closes it,
// then renames it over meta.json. A draft holds those bytes in memory (at
// most 1 MiB); the rename succeeds if they say what the scope already says,
// and changes nothing (Store::CheckMetaUnchanged). rsync sends nodes.idx and
// links.idx the same way (also the first time, when the scope committed
// before rsync reached them): their drafts discard the bytes, as the index
// is built from the mappings, and their rename changes nothing. Every other
// write to a committed scope is still EACCES.
//
// A draft belongs to its scope and to the process that created it. It is
// dropped when it is renamed or unlinked; when its scope leaves (removed,
// evicted, expired: it is no longer found, and freed at the next sweep); and,
// once its last handle is closed, as soon as its creator has exited or
// kGrace has passed without the rename (a killed rsync, a stray cp). Sweeps
// run at every maintenance pass and whenever the table is full, so abandoned
// drafts never lock others out.
//
// Thread-safety: both classes are thread-safe (internal locking).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/layout.h"
#include "store/mutex.h"
#include "store/pending_scope.h"
#include "store/scope.h"
#include "store/status.h"

namespace scopefs::fs {

class MetaDraft {
 public:
  MetaDraft(store::FileAttrs attrs, pid_t creator, bool discards_bytes)
      : creator_(creator), discards_bytes_(discards_bytes), attrs_(attrs) {}

  // True for the names rsync gives its temporary copy of meta.json, or of an
  // index file.
  static bool IsDraftName(std::string_view name) {
    return IsMetaDraftName(name) || IsIndexDraftName(name);
  }
  static bool IsMetaDraftName(std::string_view name) {
    return store::IsTemporaryNameOf(name, store::kMetaFile);
  }
  static bool IsIndexDraftName(std::string_view name) {
    return store::IsTemporaryNameOf(name, store::kNodesIndexFile) ||
           store::IsTemporaryNameOf(name, store::kLinksIndexFile);
  }

  store::Status Write(uint64_t offset, std::string_view data);
  store::Status Truncate(uint64_t size);
  void SetAttrs(const store::AttrChange& change, int64_t now_ns);
  store::FileAttrs attrs() const;
  std::string data() const;

  // Open handles: a draft is never dropped while one is open.
  void Opened();
  void Closed(int64_t now_ns);
  // True once no handle is open and its creator has exited, or the last
  // close was `grace_ns` ago or more.
  bool Abandoned(int64_t now_ns, int64_t grace_ns, const std::function<bool(pid_t)>& alive) const;

 private:
  const pid_t creator_;
  const bool discards_bytes_;  // an index draft: only its size is kept
  mutable store::Mutex mu_;
  std::string data_ GUARDED_BY(mu_);
  store::FileAttrs attrs_ GUARDED_BY(mu_);
  int open_handles_ GUARDED_BY(mu_) = 0;
  int64_t last_close_ns_ GUARDED_BY(mu_) = 0;
};

class MetaDrafts {
 public:
  static constexpr size_t kMax = 64;
  static constexpr int64_t kGraceNs = int64_t{30} * 1'000'000'000;

  // `alive` tells whether a creator process still runs.
  explicit MetaDrafts(std::function<bool(pid_t)> alive) : alive_(std::move(alive)) {}

  // A new draft `name` of `scope` by process `creator` (replacing one of the
  // same name). Sweeps first when full; NoSpace if kMax drafts are still live.
  store::Result<std::shared_ptr<MetaDraft>> Create(const std::shared_ptr<store::Scope>& scope,
                                                   const std::string& name, store::FileAttrs attrs,
                                                   pid_t creator, int64_t now_ns);
  // The draft `name` of this very scope (not one that had its key or
  // address before), or nullptr.
  std::shared_ptr<MetaDraft> Find(const std::shared_ptr<store::Scope>& scope,
                                  const std::string& name) const;
  void Remove(const std::shared_ptr<MetaDraft>& draft);
  // Drops the drafts whose scope is gone and the abandoned ones; how many.
  size_t Sweep(int64_t now_ns);
  size_t size() const;

 private:
  struct Entry {
    std::weak_ptr<store::Scope> scope;  // weak: compared by owner, never reused while held
    std::string name;
    std::shared_ptr<MetaDraft> draft;
  };
  bool Gone(const Entry& e, int64_t now_ns) const;

  const std::function<bool(pid_t)> alive_;
  mutable store::Mutex mu_;
  std::vector<Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace scopefs::fs
