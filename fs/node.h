// Node: what one FUSE inode number stands for.
//
// Scope directories and files bind to the store object they were looked up
// from (a Scope, a PendingScope, a PendingFile), not to a name, so an inode
// the kernel caches follows its scope through commit (pending -> committed)
// and rename, and goes stale when the scope is gone. A node holds its Scope
// weakly: the kernel remembering a name must not keep a removed scope's
// bytes on disk; only open handles do.
// Ownership: the InodeTable, and open handles, through std::shared_ptr.
// Thread-safety: the bindings are guarded by mu_; kind and ino never change.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "fs/meta_draft.h"
#include "store/pending_scope.h"
#include "store/scope.h"

namespace scopefs::fs {

enum class NodeKind : uint8_t {
  kRoot,
  kControlDir,   // .scopefs/
  kControlFile,  // .scopefs/stats.json, scopes.json, metrics
  kScopeDir,     // <key>/, pending or committed
  kScopeFile,    // a file of a committed scope
  kPendingFile,  // a file of a pending scope
  kStatusFile,   // <key>/.status of a pending scope
  kMetaDraft,    // rsync's temporary meta.json in a committed scope (meta_draft.h)
};

inline constexpr fuse_ino_t kRootIno = FUSE_ROOT_ID;
inline constexpr fuse_ino_t kControlDirIno = 2;
inline constexpr fuse_ino_t kFirstDynamicIno = 16;

class Node {
 public:
  Node(fuse_ino_t ino, NodeKind kind, std::string name) : ino_(ino), kind_(kind), name_(std::move(name)) {}

  fuse_ino_t ino() const { return ino_; }
  NodeKind kind() const { return kind_; }

  // What a scope directory or file is bound to now. For a directory, follows
  // commit and rename to the current object; both are null once it is gone.
  struct Binding {
    std::shared_ptr<store::Scope> scope;           // committed
    std::shared_ptr<store::PendingScope> pending;  // pending
    std::shared_ptr<store::PendingFile> file;      // kPendingFile only
    std::shared_ptr<MetaDraft> draft;              // kMetaDraft only
    std::string name;                              // file name within the scope
  };
  Binding Resolve() const;

  void BindScope(std::shared_ptr<store::Scope> scope);
  void BindPending(std::shared_ptr<store::PendingScope> pending);
  void BindFile(std::shared_ptr<store::PendingScope> pending, std::shared_ptr<store::PendingFile> file);
  void BindDraft(std::shared_ptr<store::Scope> scope, std::shared_ptr<MetaDraft> draft);
  void SetName(std::string name);
  std::string name() const;

  // A scope whose file was unlinked is gone at once, but the rest of that
  // `rm -r` looks up and unlinks its other files before the rmdir. Until then
  // the directory keeps the removed scope as a ghost: its names resolve, its
  // files cannot be opened (see op_namespace.cc).
  void MarkUnlinked(std::shared_ptr<store::Scope> ghost);
  bool unlinked() const { return unlinked_; }
  std::shared_ptr<store::Scope> ghost() const;
  void DropGhost();

  // Kernel lookup count (FUSE forget protocol); guarded by the InodeTable.
  uint64_t lookups = 0;

 private:
  const fuse_ino_t ino_;
  const NodeKind kind_;
  std::atomic<bool> unlinked_{false};
  mutable std::mutex mu_;
  std::string name_;
  mutable std::weak_ptr<store::Scope> scope_;
  mutable std::shared_ptr<store::PendingScope> pending_;
  std::shared_ptr<store::PendingFile> file_;
  std::shared_ptr<MetaDraft> draft_;
  std::shared_ptr<store::Scope> ghost_;
};

}  // namespace scopefs::fs
