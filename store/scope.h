// Scope: one committed scope, as readers hold it.
//
// Owned through std::shared_ptr by the Store (while the scope is in the
// namespace) and by everyone reading it. Removing a scope moves its directory
// to trash/ and marks it removed: later opens fail with NotFound, files already
// open keep reading the committed bytes, and the last owner to let go deletes
// the directory. The Env must outlive every Scope.
//
// Thread-safety: thread-safe; the record is immutable.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "store/chunked_gzip_reader.h"
#include "store/env.h"
#include "store/member_cache.h"
#include "store/mutex.h"
#include "store/scope_record.h"

namespace scopefs::store {

class Scope {
 public:
  Scope(Env* env, std::string dir, ScopeRecord record, MemberCache* cache);
  ~Scope();  // deletes the trash directory of a removed scope
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  // The record as committed; its `key` is the key at commit (see key()).
  const ScopeRecord& record() const { return record_; }
  std::string key() const EXCLUDES(mu_);  // the key now: a rename changes it
  bool removed() const EXCLUDES(mu_);
  // True for the names the scope's directory shows: kScopeFiles, and the
  // index files it was committed with.
  bool HasFile(std::string_view name) const;

  // Opens a stored file (kNodesFile, kLinksFile or kMappingsGzFile).
  // NotFound once the scope is removed.
  Result<std::shared_ptr<const File>> OpenStored(std::string_view name) const;
  // A bits file (kNodesFile or kLinksFile) read whole from disk and checked
  // against its size and CRC now (Corruption if they differ). Readers are
  // served these verified bytes, not the stored file, so damage to the disk
  // while a file is open can never reach them; readers open at once share
  // one copy (at most kMaxTotalBits / 8 = 2 GiB per file, scope_record.h),
  // freed when the last lets go.
  // NotFound once removed or if the file is missing (see Store::JudgeReadError).
  Result<std::shared_ptr<const std::string>> VerifiedBits(std::string_view name) const;
  // The same, read from `file`, a descriptor OpenStored(name) gave earlier:
  // one opened before a removal still reads (and checks) the committed bytes.
  Result<std::shared_ptr<const std::string>> VerifiedBits(std::string_view name,
                                                          const File& file) const;
  // An index file (kNodesIndexFile or kLinksIndexFile) opened for reading.
  // The first call for each file checks its size and CRC against the record
  // (one pass over it), so damage is found at open; later calls trust that
  // check and only open. NotFound if the scope has no such index, once
  // removed, or if the file is missing (see Store::JudgeReadError).
  Result<std::shared_ptr<const File>> CheckedIndex(std::string_view name) const;
  // The uncompressed mappings.json, shared by all readers; opened on first use.
  // NotFound once the scope is removed and it was never opened.
  Result<std::shared_ptr<const ChunkedGzipReader>> Mappings() const;
  // Re-reads every stored byte, opening each file afresh: the record file
  // against the record loaded at start, the bits and .gz CRCs, every member.
  // Corruption with what is wrong; NotFound for a missing file (damage, or a
  // removal racing with us: Store::JudgeReadError tells which).
  Status Verify() const;
  // The last access (an open of a data file); its creation until the first.
  int64_t last_access_ns() const { return last_access_ns_.load(std::memory_order_relaxed); }
  void RecordAccess(int64_t now_ns) { last_access_ns_.store(now_ns, std::memory_order_relaxed); }

 private:
  friend class Store;
  // Called by the Store after it moved the directory to `trash_dir`. Until
  // this Scope is destroyed its bytes count in `*held_bytes`.
  // REQUIRES: *held_bytes outlives this Scope.
  void MarkRemoved(std::string trash_dir, std::atomic<uint64_t>* held_bytes);
  // Called by the Store after it renamed the directory.
  void Relocate(std::string key, std::string dir);

  Env* const env_;
  MemberCache* const cache_;
  const ScopeRecord record_;
  std::atomic<int64_t> last_access_ns_;

  // Guards the fields below; held for no I/O. Lock order: see Store::ns_mu_.
  mutable Mutex mu_;
  std::string key_ GUARDED_BY(mu_);
  std::string dir_ GUARDED_BY(mu_);
  bool removed_ GUARDED_BY(mu_) = false;
  std::atomic<uint64_t>* held_bytes_ GUARDED_BY(mu_) = nullptr;
  mutable std::shared_ptr<const ChunkedGzipReader> mappings_ GUARDED_BY(mu_);
  mutable std::weak_ptr<const std::string> nodes_bytes_ GUARDED_BY(mu_);
  mutable std::weak_ptr<const std::string> links_bytes_ GUARDED_BY(mu_);
  // Whether nodes.idx and links.idx passed CheckedIndex's check.
  mutable std::atomic<bool> index_checked_[2] = {false, false};
};

}  // namespace scopefs::store
