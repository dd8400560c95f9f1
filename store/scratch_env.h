// ScratchEnv: an Env whose new files count against the cache's max_size.
//
// A MappingIndexBuilder's sorts spill to scratch files under encoding/
// (SpillBuckets, ExternalSorter runs). Those bytes are on disk beside the
// pending scope while it is written, and beside the staged copy while it is
// committed, so they must be counted before they land, as every other byte
// the store writes (DESIGN "Room for a commit"). The builder hands its sorts
// a ScratchEnv over the real Env: every file they create through it is
// counted as it grows (its furthest byte written), and given back when they
// unlink it (or truncate it, or create it afresh).
//
// Who pays is a ScratchAccount, switched as the builder changes hands: the
// pending mappings file while it is written (PendingFile::Count, which may
// refuse with NoSpace: the write then fails), the commit once it takes the
// builder over (CommitOptions.make_room, which evicts and never refuses). A
// switch gives back what the old account holds and takes what is on disk
// from the new one. An account without `release` keeps what it took until
// it is switched away (the commit's room lasts until the commit ends): bytes
// freed then are reused before more is asked.
//
// Ownership: the builder owns it; it must outlive the files made through it.
// Thread-safety: thread-safe (internal locking). The lock is held across the
// account's calls, which may evict: it comes after PendingFile::io_mu_ and
// before the Store's locks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

struct ScratchAccount {
  const void* owner = nullptr;  // who set it: only the owner stops it (StopCounting)
  // Asked before scratch grows by `bytes`; its error fails the write.
  std::function<Status(uint64_t bytes)> reserve;
  // Given back what scratch no longer takes; empty: kept until switched away.
  std::function<void(uint64_t bytes)> release;
};

class ScratchEnv final : public Env {
 public:
  explicit ScratchEnv(Env* base) : base_(base) {}
  ~ScratchEnv() override;
  ScratchEnv(const ScratchEnv&) = delete;
  ScratchEnv& operator=(const ScratchEnv&) = delete;

  // From now on `account` pays: the old account gets back what it held, and
  // the new one is asked for the bytes on disk now (if it refuses, nobody
  // pays and its error is returned).
  Status CountWith(ScratchAccount account) EXCLUDES(mu_);
  // If `owner` pays now, gives back what it holds; then nobody pays until
  // the next CountWith.
  void StopCounting(const void* owner) EXCLUDES(mu_);
  // Bytes in the scratch files now.
  uint64_t bytes() const EXCLUDES(mu_);

  // Files created (kCreate, kCreateExclusive) are counted; the rest forward.
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Result<FileInfo> Stat(const std::string& path) override { return base_->Stat(path); }
  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  Status MakeDir(const std::string& path) override { return base_->MakeDir(path); }
  Status RemoveDir(const std::string& path) override { return base_->RemoveDir(path); }
  Status Unlink(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to, RenameMode mode) override;
  Status SyncDir(const std::string& path) override { return base_->SyncDir(path); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

 private:
  class CountedFile;

  // The file at `path` now ends at `end` or later: counts what it grew by.
  Status Extend(const std::string& path, uint64_t end) EXCLUDES(mu_);
  // The file at `path` now has at most `size` bytes; with `gone`, it is removed.
  void Shrink(const std::string& path, uint64_t size, bool gone) EXCLUDES(mu_);
  void GiveBackLocked() REQUIRES(mu_);  // all account_ holds
  void SettleLocked() REQUIRES(mu_);    // what it holds past used_, if it takes releases

  Env* const base_;
  mutable Mutex mu_;
  ScratchAccount account_ GUARDED_BY(mu_);
  std::map<std::string, uint64_t> sizes_ GUARDED_BY(mu_);  // counted bytes, by path
  uint64_t used_ GUARDED_BY(mu_) = 0;                      // their sum
  uint64_t held_ GUARDED_BY(mu_) = 0;                      // what account_ took for them
};

}  // namespace scopefs::store
