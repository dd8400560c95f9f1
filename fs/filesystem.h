// Filesystem: the daemon's state, and the questions every handler asks of it.
//
// It answers in store terms (Status / Result): which node a name stands for,
// a node's attributes and cache timeouts, a directory's entries, a generated
// file's bytes. Handlers (op_*.cc) turn those answers into FUSE replies.
// Ownership: one per mount, owned by the Daemon; the Store outlives it.
// Thread-safety: thread-safe (the Store and InodeTable are).
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "fs/access_policy.h"
#include "fs/control_files.h"
#include "fs/inode_table.h"
#include "fs/node.h"
#include "store/store.h"

namespace scopefs::fs {

struct Handle;

class Filesystem {
 public:
  Filesystem(store::Store* store, AccessPolicy access);
  // Frees the handles the kernel never released (files still open when the
  // mount went away), so their scopes' bytes are let go too.
  ~Filesystem();

  // Every handle given to the kernel is registered until its release.
  void AdoptHandle(Handle* handle);
  void ForgetHandle(Handle* handle);

  // What the mount has served since it started (stats.json, metrics).
  ServeCounters serve_counters() const {
    return {hits_.load(), misses_.load(), bytes_served_.load(), inodes_.size()};
  }
  void CountServed(uint64_t bytes) { bytes_served_ += bytes; }

  // Set once the kernel's INIT has been answered.
  void MarkInitialized() { initialized_ = true; }
  bool initialized() const { return initialized_; }

  store::Store& store() const { return *store_; }
  const AccessPolicy& access() const { return access_; }
  InodeTable& inodes() { return inodes_; }
  const store::Clock& clock() const;

  // The child `name` of `parent`, counting one kernel lookup.
  // NotFound if there is none; ENOTDIR if `parent` is not a directory.
  store::Result<std::shared_ptr<Node>> Lookup(const Node& parent, const std::string& name);
  // Registers what mkdir and create made, counting one kernel lookup.
  std::shared_ptr<Node> AddPendingDir(const std::shared_ptr<store::PendingScope>& pending);
  std::shared_ptr<Node> AddPendingFile(const std::shared_ptr<store::PendingScope>& pending,
                                       const std::shared_ptr<store::PendingFile>& file,
                                       const std::string& name);

  // ESTALE when the node's scope is gone.
  store::Result<struct stat> Attr(const Node& node) const;
  // How long the kernel may cache the node's name and its attributes.
  double EntryTimeout(const Node& node) const;
  double AttrTimeout(const Node& node) const;

  struct DirEntry {
    std::string name;
    mode_t type;  // S_IFDIR or S_IFREG
  };
  // The entries of a directory, without "." and "..".
  store::Result<std::vector<DirEntry>> List(const Node& dir) const;

  // The bytes of a generated file: a committed meta.json, a .status, a control file.
  store::Result<std::string> Content(const Node& node) const;
  // True for files whose bytes are generated (served with direct_io, never cached).
  static bool IsGenerated(const Node& node);

  // Unlinking one file of a committed scope removes the whole scope, and its
  // directory node keeps the removed scope as a ghost (node.h) so the rest of
  // that `rm -r` succeeds. At the rmdir (or a new mkdir of the key) the ghost
  // goes; true if the key's directory was such an unlinked one.
  bool EndUnlinkedScopeDir(const std::string& key);
  // After the store renamed scope `from` to `to`: the directory the kernel
  // holds is `to`'s from now on (so the rest of an `rm -r` finds it).
  void RenamedScopeDir(const std::string& from, const std::string& to);
  // The inode the kernel holds for `key`'s directory, or 0.
  fuse_ino_t KnownScopeDir(const std::string& key);
  // Directories the kernel still holds whose scope is gone (evicted, expired
  // or dropped; not one `rm -r` is removing): their names and their files'
  // may still be cached, e.g. looked up in a race with the invalidation.
  std::vector<std::shared_ptr<Node>> GoneScopeDirs();

  // Drafts of meta.json in committed scopes (meta_draft.h), by scope and name.
  // Creating one counts a kernel lookup. At most kMaxDrafts exist at once.
  store::Result<std::shared_ptr<Node>> CreateDraft(const std::shared_ptr<store::Scope>& scope,
                                                   const std::string& name, store::FileAttrs attrs);
  std::shared_ptr<MetaDraft> FindDraft(const store::Scope& scope, const std::string& name);
  void RemoveDraft(const store::Scope& scope, const std::string& name);
  static constexpr size_t kMaxDrafts = 64;

 private:
  // The node of a draft, counting one kernel lookup.
  std::shared_ptr<Node> DraftNode(const std::shared_ptr<store::Scope>& scope,
                                  const std::shared_ptr<MetaDraft>& draft, const std::string& name);

  store::Store* const store_;
  const AccessPolicy access_;
  InodeTable inodes_;
  const uid_t uid_;
  const gid_t gid_;
  const int64_t started_ns_;
  std::atomic<bool> initialized_{false};
  std::atomic<uint64_t> hits_{0}, misses_{0}, bytes_served_{0};
  std::mutex drafts_mu_;
  std::map<std::string, std::shared_ptr<MetaDraft>> drafts_;  // GUARDED_BY(drafts_mu_)
  std::mutex handles_mu_;
  std::unordered_set<Handle*> handles_;  // GUARDED_BY(handles_mu_); owned
};

// ESTALE, for a node whose scope no longer exists.
store::Status Stale(const std::string& what);

}  // namespace scopefs::fs
