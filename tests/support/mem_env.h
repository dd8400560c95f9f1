// MemEnv: an in-memory filesystem that models what survives a power loss.
//
// Every file and directory keeps two states: what the process sees (volatile)
// and what is on stable storage (durable). File::Sync makes a file's bytes
// durable; Env::SyncDir makes a directory's entries (creations, renames,
// unlinks) durable. SimulateCrash() throws away what was not made durable, the
// way ext4 or xfs may after a power cut, in one of three modes. Paths must be
// absolute ("/store/scopes/k"); the root directory always exists.
//
// Thread-safety: internal locking (one mutex). Files opened before a crash fail
// every later call with EIO, as descriptors of a dead process would not exist.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/env.h"

namespace scopefs::testing {

enum class CrashMode {
  kDropUnsynced,  // unsynced bytes and directory changes are lost
  kZeroUnsynced,  // unsynced directory changes are lost; a file keeps its new size
                  // but bytes past the durable ones read as zeros
  kKeepUnsynced,  // everything written reached the disk (a clean kill -9)
};

class MemEnv final : public store::Env {
 public:
  MemEnv();
  ~MemEnv() override;

  store::Result<std::unique_ptr<store::File>> Open(const std::string& path,
                                                   store::OpenMode mode) override;
  store::Result<store::FileInfo> Stat(const std::string& path) override;
  store::Result<std::vector<std::string>> ListDir(const std::string& path) override;
  store::Status MakeDir(const std::string& path) override;
  store::Status RemoveDir(const std::string& path) override;
  store::Status Unlink(const std::string& path) override;
  store::Status Rename(const std::string& from, const std::string& to,
                       store::RenameMode mode) override;
  store::Status SyncDir(const std::string& path) override;
  store::Result<std::unique_ptr<store::FileLock>> LockFile(const std::string& path) override;

  // Reverts to the durable state per `mode`, drops locks, invalidates open files.
  void SimulateCrash(CrashMode mode);

  // Every path below `dir` (files and directories), sorted; for assertions.
  std::vector<std::string> Tree(const std::string& dir);

  struct Node;

 private:
  class MemFile;
  class MemLock;

  // REQUIRES: mu_ held. The node at `path`, or nullptr.
  std::shared_ptr<Node> Find(const std::string& path) const;
  // REQUIRES: mu_ held. The parent directory of `path` and the last component.
  store::Result<std::pair<std::shared_ptr<Node>, std::string>> Parent(
      const std::string& path) const;

  mutable std::mutex mu_;
  std::shared_ptr<Node> root_;    // GUARDED_BY(mu_)
  uint64_t generation_ = 0;       // GUARDED_BY(mu_); bumped by SimulateCrash
  std::set<std::string> locked_;  // GUARDED_BY(mu_)
  // Renames whose directories are not both synced yet. A journaling filesystem
  // commits a rename as one transaction, so syncing either directory makes the
  // rename durable in both: a directory is never durably in two places.
  std::vector<std::pair<std::shared_ptr<Node>, std::shared_ptr<Node>>>
      unsynced_renames_;  // GUARDED_BY(mu_)
};

}  // namespace scopefs::testing
