// The kinds of node the mount shows, one file each (kind_*.cc):
//
//   RootNode        /                          scopes by key, and .scopefs/
//   ControlDirNode  /.scopefs/                 the control files
//   ControlFileNode /.scopefs/NAME             generated figures, or an action
//   ScopeDirNode    /KEY/                      a pending or committed scope
//   ScopeFileNode   /KEY/FILE                  a file of a committed scope
//   PendingFileNode /KEY/FILE                  a file of a pending scope, being written
//   StatusFileNode  /KEY/.status               what a pending scope waits for
//   MetaDraftNode   /KEY/.meta.json.XXXXXX     rsync's temporary meta.json (meta_drafts.h)
//
// A node binds to the store object it was looked up from (a Scope, a
// PendingScope, a PendingFile), not to a name, so an inode the kernel caches
// follows its scope through commit and rename, and goes stale when the scope
// is gone. Scopes are held weakly: the kernel remembering a name must not keep
// a removed scope's bytes on disk; only open handles do.
// Thread-safety: thread-safe; bindings are guarded by each node's mutex.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "fs/control_files.h"
#include "fs/meta_drafts.h"
#include "fs/node.h"
#include "store/mount_names.h"
#include "store/pending_scope.h"
#include "store/scope.h"

namespace scopefs::fs {

class RootNode final : public Node {
 public:
  RootNode() : Node(kRootIno, "") {}
  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  double EntryTimeout() const override { return kImmutableTimeout; }
  double AttrTimeout() const override { return kDirAttrTimeout; }
  store::Result<std::shared_ptr<Node>> Lookup(Filesystem& fs, const std::string& name) override;
  store::Result<std::vector<DirEntry>> List(const Filesystem& fs) const override;
  store::Result<std::shared_ptr<Node>> Mkdir(Filesystem& fs, const Caller& caller,
                                             const std::string& name, mode_t mode) override;
  store::Status Rmdir(Filesystem& fs, const std::string& name) override;
  store::Status Unlink(Filesystem& fs, const std::string& name) override;
  store::Status Rename(Filesystem& fs, const Caller& caller, const std::string& from, Node& to_dir,
                       const std::string& to, unsigned int flags) override;
};

class ControlDirNode final : public Node {
 public:
  ControlDirNode() : Node(kControlDirIno, std::string(kControlDirName)) {}
  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  double EntryTimeout() const override { return kImmutableTimeout; }
  double AttrTimeout() const override { return kDirAttrTimeout; }
  store::Result<std::shared_ptr<Node>> Lookup(Filesystem& fs, const std::string& name) override;
  store::Result<std::vector<DirEntry>> List(const Filesystem& fs) const override;
};

class ControlFileNode final : public Node {
 public:
  explicit ControlFileNode(const ControlEntry& entry)
      : Node(entry.ino, std::string(entry.name)), action_(entry.action) {}
  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  double EntryTimeout() const override { return kImmutableTimeout; }
  store::Status SetAttr(Filesystem& fs, const Caller& caller, const store::AttrChange& change,
                        Handle* handle) override;
  store::Result<std::unique_ptr<Handle>> Open(Filesystem& fs, const Caller& caller,
                                              fuse_file_info* fi) override;

 private:
  const bool action_;
};

class ScopeDirNode final : public Node {
 public:
  // The directory node of a committed or pending scope, counting one kernel lookup.
  static std::shared_ptr<Node> ForScope(Filesystem& fs, const std::string& key,
                                        const std::shared_ptr<store::Scope>& scope);
  static std::shared_ptr<Node> ForPending(Filesystem& fs,
                                          const std::shared_ptr<store::PendingScope>& pending);
  // The InodeTable identity of `key`'s directory: one node whatever it holds.
  static std::string Identity(std::string_view key);

  ScopeDirNode(fuse_ino_t ino, std::string key) : Node(ino, std::move(key)) {}

  // What the directory shows now: a pending scope follows its commit to the
  // committed one; both are null once the scope is gone (a removed scope is
  // gone for names; open handles hold their own reference).
  struct Binding {
    std::shared_ptr<store::Scope> scope;
    std::shared_ptr<store::PendingScope> pending;
  };
  Binding Resolve() const;

  // A scope whose file was unlinked is gone at once, but the rest of that
  // `rm -r` looks up and unlinks its other files before the rmdir. Until then
  // the directory keeps the removed scope as a ghost: its names resolve, its
  // files cannot be opened. DropGhost() ends that, at the rmdir.
  void MarkUnlinked(std::shared_ptr<store::Scope> ghost);
  bool unlinked() const { return unlinked_; }
  void DropGhost();

  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  double EntryTimeout() const override;
  double AttrTimeout() const override;
  store::Status SetAttr(Filesystem& fs, const Caller& caller, const store::AttrChange& change,
                        Handle* handle) override;
  store::Result<std::shared_ptr<Node>> Lookup(Filesystem& fs, const std::string& name) override;
  store::Result<std::vector<DirEntry>> List(const Filesystem& fs) const override;
  // The order matters to copies back in (List()).
  bool ListsInOrder() const override { return true; }
  store::Result<std::unique_ptr<Handle>> Create(Filesystem& fs, const Caller& caller,
                                                const std::string& name, mode_t mode,
                                                fuse_file_info* fi) override;
  store::Status Unlink(Filesystem& fs, const std::string& name) override;
  store::Status Rename(Filesystem& fs, const Caller& caller, const std::string& from, Node& to_dir,
                       const std::string& to, unsigned int flags) override;

 private:
  void Bind(std::shared_ptr<store::Scope> scope);
  void Bind(std::shared_ptr<store::PendingScope> pending);
  // The scope names resolve in: the committed one, or the ghost of an unlinked one.
  Binding ResolveForNames() const;

  std::atomic<bool> unlinked_{false};
  mutable store::Mutex mu_;
  mutable std::weak_ptr<store::Scope> scope_ GUARDED_BY(mu_);
  mutable std::shared_ptr<store::PendingScope> pending_ GUARDED_BY(mu_);
  std::shared_ptr<store::Scope> ghost_ GUARDED_BY(mu_);
};

class ScopeFileNode final : public Node {
 public:
  // The node of committed file `name` of `scope`, counting one kernel lookup.
  static std::shared_ptr<Node> For(Filesystem& fs, const std::shared_ptr<store::Scope>& scope,
                                   const std::string& name);

  ScopeFileNode(fuse_ino_t ino, std::string name, const std::shared_ptr<store::Scope>& scope)
      : Node(ino, std::move(name)), scope_(scope) {}
  std::shared_ptr<store::Scope> scope() const { return scope_.lock(); }

  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  double EntryTimeout() const override { return kImmutableTimeout; }
  double AttrTimeout() const override;
  store::Status SetAttr(Filesystem& fs, const Caller& caller, const store::AttrChange& change,
                        Handle* handle) override;
  store::Result<std::unique_ptr<Handle>> Open(Filesystem& fs, const Caller& caller,
                                              fuse_file_info* fi) override;

 private:
  bool generated() const;  // meta.json: made from the record and the last access
  const std::weak_ptr<store::Scope> scope_;
  // A bits file's bytes passed their check at an open of this inode, so the
  // kernel may hold them in its page cache (keep_cache): later opens check
  // only if a read reaches the daemon (kind_scope_file.cc).
  std::atomic<bool> bits_verified_{false};
};

class PendingFileNode final : public Node {
 public:
  // The node of `file` (found again after a rename), counting one kernel lookup.
  static std::shared_ptr<Node> For(Filesystem& fs,
                                   const std::shared_ptr<store::PendingScope>& pending,
                                   const std::shared_ptr<store::PendingFile>& file,
                                   const std::string& name);

  PendingFileNode(fuse_ino_t ino, std::string name, std::shared_ptr<store::PendingScope> pending,
                  std::shared_ptr<store::PendingFile> file)
      : Node(ino, std::move(name)), pending_(std::move(pending)), file_(std::move(file)) {}

  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  store::Status SetAttr(Filesystem& fs, const Caller& caller, const store::AttrChange& change,
                        Handle* handle) override;
  store::Result<std::unique_ptr<Handle>> Open(Filesystem& fs, const Caller& caller,
                                              fuse_file_info* fi) override;

 private:
  const std::shared_ptr<store::PendingScope> pending_;
  const std::shared_ptr<store::PendingFile> file_;
};

class StatusFileNode final : public Node {
 public:
  static constexpr std::string_view kName = store::kStatusFile;
  // The .status of `pending`, counting one kernel lookup.
  static std::shared_ptr<Node> For(Filesystem& fs,
                                   const std::shared_ptr<store::PendingScope>& pending);

  StatusFileNode(fuse_ino_t ino, std::shared_ptr<store::PendingScope> pending)
      : Node(ino, std::string(kName)), pending_(std::move(pending)) {}

  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  store::Result<std::unique_ptr<Handle>> Open(Filesystem& fs, const Caller& caller,
                                              fuse_file_info* fi) override;

 private:
  store::Result<std::string> Content() const;
  const std::shared_ptr<store::PendingScope> pending_;
};

class MetaDraftNode final : public Node {
 public:
  // The node of `draft`, counting one kernel lookup.
  static std::shared_ptr<Node> For(Filesystem& fs, const std::shared_ptr<MetaDraft>& draft,
                                   const std::string& name);

  MetaDraftNode(fuse_ino_t ino, std::string name, std::shared_ptr<MetaDraft> draft)
      : Node(ino, std::move(name)), draft_(std::move(draft)) {}

  store::Result<struct stat> Attr(const Filesystem& fs) const override;
  store::Status SetAttr(Filesystem& fs, const Caller& caller, const store::AttrChange& change,
                        Handle* handle) override;
  store::Result<std::unique_ptr<Handle>> Open(Filesystem& fs, const Caller& caller,
                                              fuse_file_info* fi) override;

 private:
  const std::shared_ptr<MetaDraft> draft_;
};

}  // namespace scopefs::fs
