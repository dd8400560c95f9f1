// Store: the cache of committed scopes under one store directory.
//
// Open() takes the store's exclusive lock (a second process is refused with
// Busy), creates the layout, and recovers from whatever a crash left: pending,
// staging and trash leftovers are removed, and committed scopes whose record
// is unreadable or whose files are missing or the wrong size are dropped and
// logged. Then it serves: pending scopes are created and committed, committed
// scopes are found, listed and removed.
//
// Ownership: the caller owns the Store; the Env must outlive it and every
// Scope it handed out. Scopes outlive their removal for as long as someone
// holds them (see scope.h), but not the Store: their readers share its member
// cache, so let every Scope go before destroying it.
// Thread-safety: thread-safe. Find() takes no lock (a concurrent hash map);
// List() and eviction work from a snapshot of a mutex-guarded index, since a
// concurrent_hash_map cannot be iterated while others find in it. Commit and
// removal serialize on a namespace mutex held only for the final rename and
// map updates, never while compressing.
#pragma once

#include <oneapi/tbb/concurrent_hash_map.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/clock.h"
#include "store/commit.h"
#include "store/env.h"
#include "store/layout.h"
#include "store/member_cache.h"
#include "store/mutex.h"
#include "store/pending_scope.h"
#include "store/scope.h"
#include "store/space_budget.h"

namespace scopefs::store {

// The cache's limits (SPEC "Limits, LRU and TTL").
struct CacheLimits {
  uint64_t max_size = uint64_t{10} << 30;                      // stored bytes, committed + pending
  uint64_t max_entries = 100;                                  // committed scopes
  int64_t ttl_ns = int64_t{24} * 3600 * 1'000'000'000;         // since the last access; 0: never
  int64_t pending_timeout_ns = int64_t{3600} * 1'000'000'000;  // idle pending scopes go
};

struct StoreOptions {
  CommitOptions commit;
  CacheLimits limits;
  uint64_t max_file_size = uint64_t{64} << 30;  // a pending file may not grow past this
  const Clock* clock = SystemClock();
  size_t member_cache_bytes = size_t{64} << 20;  // inflated mappings shared by readers
  // Compress pending mappings.json as it is written (mappings_encoder.h);
  // false: keep it raw and compress it at commit.
  bool encode_mappings_as_written = true;
};

// What the store has done since it opened (for stats.json and metrics).
struct StoreCounters {
  uint64_t commits = 0;
  uint64_t rejected_commits = 0;
  uint64_t evictions = 0;
  uint64_t expirations = 0;
  uint64_t quarantined = 0;
  // Commits whose mappings were compressed as they were written, and those
  // compressed at the commit (written out of order, or given as .gz).
  uint64_t mappings_encoded_as_written = 0;
  uint64_t mappings_compressed_at_commit = 0;
  // Scopes fetched from elsewhere (a shared tier) and adopted (Store::Adopt).
  uint64_t adopted = 0;
};

// What one CollectGarbage() pass removed.
struct GarbageReport {
  uint64_t expired = 0;          // committed scopes past their TTL
  uint64_t pending_dropped = 0;  // pending scopes idle past pending_timeout
  uint64_t orphans = 0;          // directories under the store nobody owns
};

class Store;

// A directory under staging/ that Store::CreateAdoptionDir made for a scope
// fetched from elsewhere (a shared tier), to fill with the stored files of a
// committed scope and hand to Store::Adopt. Owned by the caller; the Store
// must outlive it. Destroying it removes the directory (unless Adopt took
// it) and gives back the room made for it.
class AdoptionDir {
 public:
  ~AdoptionDir();
  AdoptionDir(const AdoptionDir&) = delete;
  AdoptionDir& operator=(const AdoptionDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  friend class Store;
  AdoptionDir(Store* store, std::string name, std::string path, uint64_t bytes)
      : store_(store), name_(std::move(name)), path_(std::move(path)), bytes_(bytes) {}
  Store* const store_;
  const std::string name_;  // under staging/
  std::string path_;        // empty once Adopt took it
  uint64_t bytes_;          // room made for it, counted as pending until published
};

class Store final : public SpaceBudget {
 public:
  static Result<std::unique_ptr<Store>> Open(Env* env, const std::string& root,
                                             StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Drops every pending scope, as a restart would (pending/ is emptied at
  // open): their index feeders stop, so no thread asks for room any more.
  // For shutdown, before the listeners are cleared; the destructor calls it.
  // A pending file still held elsewhere (an open handle) lives on.
  void DropAllPending() EXCLUDES(ns_mu_);

  const Layout& layout() const { return layout_; }
  Env* env() const { return env_; }

  // Creates pending/<key>. Invalid for a bad key, Exists if the key is
  // committed or already pending.
  Result<std::shared_ptr<PendingScope>> CreatePending(const std::string& key);
  // The pending scope, or nullptr.
  std::shared_ptr<PendingScope> FindPending(const std::string& key) const;
  // Removes pending/<key> and everything in it; NotFound if there is none.
  Status DropPending(const std::string& key);
  // Every pending scope, a snapshot.
  std::vector<std::shared_ptr<PendingScope>> ListPending() const;

  // Validates and commits pending/<key> (see commit.h), keeping the file times
  // users set. On Invalid the pending scope stays, and its `.status` says why.
  // Commits the scope found under `key` now, under the key it has when the
  // commit starts (see below).
  Result<std::shared_ptr<Scope>> Commit(const std::string& key) EXCLUDES(ns_mu_);
  // The same for `pending`, under the key it has once the commit holds its
  // commit lock (a rename waits for that lock, so the key holds still until
  // the commit ends). Prefer it to Commit(key) where the PendingScope is at
  // hand: a rename racing the caller cannot make it miss the scope. NotFound
  // if the scope was dropped, or replaced by a rename, before it was
  // published; if it was committed already, returns that scope.
  Result<std::shared_ptr<Scope>> Commit(const std::shared_ptr<PendingScope>& pending)
      EXCLUDES(ns_mu_);

  // A fresh directory under staging/ (never a key's: its name starts with
  // '.') for a scope fetched from elsewhere. Room for `bytes`, the size its
  // source announced, is made now by eviction, as a commit makes room for
  // its copy, and counts as pending until the scope is adopted or the
  // AdoptionDir goes. CollectGarbage leaves it alone; recovery at Open
  // removes one a crash left. NoSpace if `bytes` is more than max_size.
  Result<std::unique_ptr<AdoptionDir>> CreateAdoptionDir(uint64_t bytes) EXCLUDES(ns_mu_);
  // Commits the scope in `dir` (the stored files of a committed scope:
  // scopes/<key>/'s names) under `key`, keeping its record and index files.
  // First it checks every byte as Verify does a committed scope's (the
  // record's CRC, each file's size and CRC, every gzip member, the index
  // files against the mappings; nothing else in the directory), syncs the
  // files, then publishes them with the rename a local commit ends with
  // (limits, LRU and stats alike; counted as `adopted`, not as a commit, and
  // the commit listener is not told). Corruption naming the file and the
  // fault if a check fails; Exists if `key` is committed or pending
  // meanwhile; Invalid for a bad key. `dir` is gone when it returns.
  Result<std::shared_ptr<Scope>> Adopt(const std::string& key, std::unique_ptr<AdoptionDir> dir)
      EXCLUDES(ns_mu_);

  // Renames a committed or pending scope to a free key, atomically and durably.
  // Exists if `to` is taken (committed, or pending with files); an empty
  // pending `to` is replaced, as rename(2) replaces an empty directory.
  // Renaming a pending scope waits for a commit of it under way, and then
  // renames what that commit made.
  Status Rename(const std::string& from, const std::string& to) EXCLUDES(ns_mu_);

  // The committed scope, or nullptr; an expired scope is not found.
  std::shared_ptr<Scope> Find(const std::string& key) const;
  // Every committed, unexpired scope: a snapshot in no particular order.
  std::vector<std::shared_ptr<Scope>> List() const;
  // An access (an open of a data file): the scope becomes most recently used.
  void RecordAccess(Scope& scope);
  bool Expired(const Scope& scope) const;
  // Takes the scope out of the namespace durably; its bytes go when the last holder lets go.
  Status Remove(const std::string& key);
  // Removes a scope found damaged, with an error log line saying why; counted,
  // and the removal listener is told. No-op if it is already gone.
  void Quarantine(const Scope& scope, const Status& damage);
  // Re-reads every stored byte of the scope (Scope::Verify), then checks its
  // index files against its mappings (VerifyScopeIndexes); a damaged scope
  // is quarantined and its Corruption returned. NotFound if there is no such scope.
  Status Verify(const std::string& key);
  // Judges `st`, an error from reading `scope`'s stored files, and returns it:
  // NotFound becomes Corruption if the scope still holds its name (its
  // directory moves only under the namespace lock, so a file missing then is
  // damage, not a removal racing with the reader), and a damaged scope is
  // quarantined.
  Status JudgeReadError(const Scope& scope, Status st);

  // OK if `meta_json` says what the committed scope's meta.json already says
  // (the same totals, config_attributes and other keys; daemon-owned keys are
  // ignored), so rewriting it changes nothing; Access otherwise: a committed
  // scope never changes. NotFound if there is no such scope.
  Status CheckMetaUnchanged(const std::string& key, std::string_view meta_json) const;

  // The scopes recovery dropped when the store opened (key, why), in key order.
  const std::vector<std::pair<std::string, Status>>& dropped_at_open() const {
    return dropped_at_open_;
  }

  uint64_t stored_bytes() const { return stored_bytes_.load(); }
  uint64_t pending_bytes() const { return pending_bytes_.load(); }
  // Bytes of removed scopes that open files still hold on disk.
  uint64_t held_bytes() const { return held_bytes_.load(); }
  // Inflated mappings members the readers share (bounded by member_cache_bytes).
  size_t member_cache_bytes() const { return cache_.bytes_cached(); }
  size_t size() const;
  const CacheLimits& limits() const { return options_.limits; }
  StoreCounters counters() const;

  // Called with the key of every scope that leaves by eviction or expiry (the
  // kernel, which did not ask for it, must forget the name). Set it before
  // serving; it runs on the thread that evicted, with no store lock held.
  void SetRemovalListener(std::function<void(const std::string& key)> listener);
  // Called with the key of every scope a local Commit is about to publish
  // (not an adopted one): after its checks and staging, before the rename
  // that makes it durable, so what the listener makes durable (e.g. the
  // entry queueing its publish to a shared tier) outlasts any crash that
  // leaves the commit standing. The commit may still fail after it (the
  // rename fails, or the scope was dropped meanwhile): the listener must
  // allow for a key that never commits. Set it before serving; it runs on
  // the committing thread with the pending scope's commit lock held and no
  // other store lock, so whoever finds the key still pending can wait for
  // the commit's outcome by taking that lock.
  void SetCommitListener(std::function<void(const std::string& key)> listener);

  // One maintenance pass: removes expired scopes and pending scopes idle past
  // pending_timeout, and saves access times if they changed. Call it every
  // maintenance_interval; the destructor saves access times too.
  // Returns what it removed (no orphans: CollectGarbage looks for those).
  GarbageReport RunMaintenance();
  // A maintenance pass now, plus removal of orphans: pending/ and staging/
  // directories of no pending scope, and scopes/ directories the store did
  // not load (left by a failed removal or copied in by hand).
  GarbageReport CollectGarbage();
  // Writes access times to STORE_DIR/access.json atomically, if they changed.
  Status PersistAccessTimes();

  // SpaceBudget: pending writes reserve room, evicting LRU scopes for it.
  Status Reserve(uint64_t bytes) override;
  void Release(uint64_t bytes) override;

 private:
  friend class AdoptionDir;  // its destructor
  using ScopeMap = tbb::concurrent_hash_map<std::string, std::shared_ptr<Scope>>;

  Store(Env* env, Layout layout, StoreOptions options, std::unique_ptr<FileLock> lock);
  Status Recover();
  // Loads scopes/<key>; a scope that fails its checks is deleted and logged.
  void LoadScope(const std::string& key);
  void LoadAccessTimes();
  // Keep scopes_ and listing_ in step.
  void AddScopeLocked(const std::string& key, std::shared_ptr<Scope> scope) REQUIRES(ns_mu_);
  void EraseScopeLocked(const std::string& key) REQUIRES(ns_mu_);
  // Rename() once it holds the locks: `locked` is the pending scope found
  // under `from` whose commit lock the caller holds, or null if there was
  // none. nullopt if that changed in between: the caller looks again.
  std::optional<Status> RenameLocked(const std::string& from, const std::string& to,
                                     const PendingScope* locked) REQUIRES(ns_mu_);
  // The scope under `key`, expired or not; and all of them.
  std::shared_ptr<Scope> FindAny(const std::string& key) const;
  std::vector<std::shared_ptr<Scope>> ListAll() const;
  // Evicts the least recently used committed scope other than `keep`; false if none.
  bool EvictOne(const std::string& keep);
  // After a commit: evicts until the entry and size limits hold (never `keep`).
  void EnforceLimits(const std::string& keep);
  // Removes a scope the user did not ask to remove, counts it, tells the
  // listener; false if it was gone already or could not be removed.
  bool Drop(const std::string& key, const char* why, std::atomic<uint64_t>& counter);
  // Adopt's checks of the scope in `dir`: its record, with `key` as its key.
  Result<ScopeRecord> CheckAdoptedScope(const std::string& key, const std::string& dir);
  // ~AdoptionDir: removes what Adopt did not take, gives back its room.
  void DiscardAdoptionDir(AdoptionDir& dir) EXCLUDES(ns_mu_);
  // Removes what CollectGarbage() calls orphans; returns how many.
  uint64_t RemoveOrphans();

  Env* const env_;
  const Layout layout_;
  const StoreOptions options_;
  const std::unique_ptr<FileLock> lock_;
  MemberCache cache_;
  std::vector<std::pair<std::string, Status>> dropped_at_open_;  // written only by Open
  std::atomic<uint64_t> held_bytes_{0};  // before the scope maps: removed Scopes report into it

  // Held across the rename that publishes, renames or removes a scope, so
  // the maps and the disk agree; never while compressing.
  //
  // The store's lock order; a thread holding one of these takes only those
  // after it (clang's -Wthread-safety checks the pairs it can see):
  //   1. PendingScope::commit_mu_  a whole commit, or a rename of the scope
  //   2. PendingFile::io_mu_       a write: its Reserve may evict (3, 6)
  //   3. Store::ns_mu_             this one
  //   4. PendingScope::mu_         the file table (Store::Rename lists it)
  //   5. PendingFile::mu_          a file's attributes
  //   6. Scope::mu_                a scope's key, directory and readers
  //   then ScopeMap accessors and the leaf locks, under which nothing else
  //   is taken: MemberCache::mu_, ChunkedGzipReader::spawn_mu_,
  //   ChunkedGzipWriter::mu_.
  // No two locks of one rank are held at once. So a rename that replaces an
  // empty pending scope does not take that scope's commit lock, nor does a
  // drop; Commit checks instead, under ns_mu_, that its scope still holds
  // its key before it publishes.
  mutable Mutex ns_mu_ ACQUIRED_AFTER(PendingScope::commit_mu_, PendingFile::io_mu_)
      ACQUIRED_BEFORE(PendingScope::mu_, PendingFile::mu_, Scope::mu_);
  ScopeMap scopes_;  // inserts and erases under ns_mu_; finds take no lock; never iterated
  std::map<std::string, std::shared_ptr<Scope>> listing_ GUARDED_BY(ns_mu_);  // for List()
  std::map<std::string, std::shared_ptr<PendingScope>> pending_ GUARDED_BY(ns_mu_);
  std::set<std::string> adopting_ GUARDED_BY(ns_mu_);  // AdoptionDirs' names under staging/
  std::atomic<uint64_t> stored_bytes_{0};
  std::atomic<uint64_t> pending_bytes_{0};
  std::atomic<uint64_t> next_trash_{0};
  std::atomic<uint64_t> next_verify_{0};  // names Verify's scratch files under encoding/
  std::atomic<bool> access_dirty_{false};
  std::atomic<uint64_t> commits_{0}, rejected_{0}, evictions_{0}, expirations_{0}, quarantined_{0};
  std::atomic<uint64_t> encoded_as_written_{0}, compressed_at_commit_{0};
  std::atomic<uint64_t> adopted_{0}, next_adoption_{0};
  std::function<void(const std::string&)> removal_listener_;  // set before serving
  std::function<void(const std::string&)> commit_listener_;   // set before serving
};

}  // namespace scopefs::store
