// Filesystem: the daemon's state that every handler reaches through its request.
//
// The store, the access policy, the inode table, the meta.json drafts, the
// handles given to the kernel, and what the mount has served. What a node
// does is its kind's business (kinds.h); this is lookup plus registries.
// Ownership: one per mount, made by RunDaemon (daemon.cc); the Store outlives it.
// Thread-safety: thread-safe (the Store, InodeTable and MetaDrafts are).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "fs/access_policy.h"
#include "fs/control_files.h"
#include "fs/inode_table.h"
#include "fs/meta_drafts.h"
#include "fs/node.h"
#include "store/store.h"

namespace scopefs::fs {

class Handle;
class SharedLink;

class Filesystem {
 public:
  Filesystem(store::Store* store, AccessPolicy access);
  // Frees the handles the kernel never released (files still open when the
  // mount went away), so their scopes' bytes are let go too.
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  store::Store& store() const { return *store_; }
  const AccessPolicy& access() const { return access_; }
  InodeTable& inodes() { return inodes_; }
  MetaDrafts& drafts() { return drafts_; }
  const store::Clock& clock() const;
  // The shared tier, or null when the mount runs local-only. Set before
  // serving; the link outlives the session.
  void SetShared(SharedLink* shared) { shared_ = shared; }
  SharedLink* shared() const { return shared_; }
  int64_t started_ns() const { return started_ns_; }

  // Every handle given to the kernel is registered until its release.
  void AdoptHandle(Handle* handle);
  void ForgetHandle(Handle* handle);

  // What the mount has served since it started (stats.json, metrics).
  ServeCounters serve_counters() const {
    return {hits_.load(), misses_.load(), bytes_served_.load(), bits_verified_.load(),
            inodes_.size()};
  }
  void CountServed(uint64_t bytes) { bytes_served_ += bytes; }
  void CountBitsVerified() { ++bits_verified_; }
  void CountLookup(bool hit) { ++(hit ? hits_ : misses_); }

  // Set once the kernel's INIT has been answered.
  void MarkInitialized() { initialized_ = true; }
  bool initialized() const { return initialized_; }

  // Scope directories the kernel holds, by key (ScopeDirNode::Identity).
  // After the store renamed scope `from` to `to`: the directory the kernel
  // holds is `to`'s from now on (so the rest of an `rm -r` finds it).
  void RenamedScopeDir(const std::string& from, const std::string& to);
  // At the rmdir ending an `rm -r` whose unlink removed the scope (or a new
  // mkdir of the key) the ghost goes; true if `key`'s directory was such an
  // unlinked one.
  bool EndUnlinkedScopeDir(const std::string& key);
  // The inode the kernel holds for `key`'s directory, or 0.
  fuse_ino_t KnownScopeDir(const std::string& key);
  // Directories the kernel still holds whose scope is gone (evicted, expired
  // or dropped; not one `rm -r` is removing): their names and their files'
  // may still be cached, e.g. looked up in a race with the invalidation.
  std::vector<std::shared_ptr<Node>> GoneScopeDirs();

 private:
  store::Store* const store_;
  const AccessPolicy access_;
  InodeTable inodes_;
  MetaDrafts drafts_;
  const int64_t started_ns_;
  SharedLink* shared_ = nullptr;
  std::atomic<bool> initialized_{false};
  std::atomic<uint64_t> hits_{0}, misses_{0}, bytes_served_{0}, bits_verified_{0};
  store::Mutex handles_mu_;
  std::unordered_set<Handle*> handles_ GUARDED_BY(handles_mu_);  // owned
};

// Stale (ESTALE), for a node whose scope no longer exists.
store::Status Gone(const std::string& what);

}  // namespace scopefs::fs
