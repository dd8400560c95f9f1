// MemberCache: inflated gzip members shared by every ChunkedGzipReader.
//
// One cache serves all readers of all mappings files, so memory for inflated
// data stays under one budget however many files are open. Entries are keyed
// by (reader id, member index) and evicted least-recently-used once their
// bytes pass the capacity. Values are shared_ptr<const string>: a reader keeps
// the bytes it is copying from even if the entry is evicted meanwhile, so the
// cache itself never holds more than `capacity` bytes, and the process holds
// at most that plus the members in use or being inflated.
//
// Concurrent requests for a member that is missing inflate it once: the first
// caller runs the loader, the others wait for its result. Failed loads are not
// cached; the next request tries again.
//
// Thread-safety: internal locking. The loader runs with no lock held.
// Ownership: usually one per process, owned by the store; it must outlive its readers.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

class MemberCache {
 public:
  using Value = std::shared_ptr<const std::string>;
  using Loader = std::function<Result<std::string>()>;

  static constexpr size_t kDefaultCapacity = size_t{64} << 20;

  explicit MemberCache(size_t capacity_bytes = kDefaultCapacity);
  MemberCache(const MemberCache&) = delete;
  MemberCache& operator=(const MemberCache&) = delete;

  // A fresh id for a reader's keys; never reused in this process.
  uint64_t NewReaderId();

  // The member's bytes: from the cache, from a load another thread is running
  // (after calling `while_waiting`, if set, once on this thread), or from `load`
  // run here. The loader's error is returned to every caller waiting for it.
  Result<Value> GetOrLoad(uint64_t reader, uint64_t member, const Loader& load,
                          const std::function<void()>& while_waiting = nullptr);

  // Runs `load` here and caches its value, unless the member is cached or being
  // loaded; never waits. Returns whether it ran `load`. A failed load is dropped:
  // the next GetOrLoad retries it and reports the error.
  bool Prefetch(uint64_t reader, uint64_t member, const Loader& load);

  // Drops the reader's cached members.
  // REQUIRES: the reader has no call into the cache in progress.
  void EraseReader(uint64_t reader);

  size_t capacity() const { return capacity_; }
  size_t bytes_cached() const;  // never more than capacity()
  size_t entries() const;

 private:
  struct Key {
    uint64_t reader;
    uint64_t member;
    auto operator<=>(const Key&) const = default;
  };
  struct Entry {
    Value value;
    std::list<Key>::iterator lru;  // position in lru_
  };
  using Future = std::shared_future<Result<Value>>;

  // With `wait`, the value or the error. Without, never waits: nullopt unless
  // this call ran `load`.
  std::optional<Result<Value>> Get(Key key, const Loader& load, bool wait,
                                   const std::function<void()>& while_waiting);
  // Inserts and evicts; evicted values go to `dropped` so they are freed after unlocking.
  void InsertLocked(Key key, Value value, std::list<Value>* dropped) REQUIRES(mu_);

  const size_t capacity_;

  // A leaf lock (see the lock order in store.h): nothing else is locked while
  // it is held, and it is never held across a load or the freeing of a value.
  mutable Mutex mu_;
  std::map<Key, Entry> entries_ GUARDED_BY(mu_);
  std::list<Key> lru_ GUARDED_BY(mu_);             // most recently used first
  std::map<Key, Future> loading_ GUARDED_BY(mu_);  // loads in progress
  size_t bytes_ GUARDED_BY(mu_) = 0;
  uint64_t next_reader_id_ GUARDED_BY(mu_) = 1;
};

}  // namespace scopefs::store
