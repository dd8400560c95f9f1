// ScopeDirNode: a scope's directory, pending or committed. Its names are the
// scope's files; creating, removing and renaming files happens here.
#include <linux/fs.h>

#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/kinds.h"
#include "fs/request.h"
#include "store/key.h"
#include "store/layout.h"

namespace scopefs::fs {

std::string ScopeDirNode::Identity(std::string_view key) { return "d:" + std::string(key); }

std::shared_ptr<Node> ScopeDirNode::ForScope(Filesystem& fs, const std::string& key,
                                             const std::shared_ptr<store::Scope>& scope) {
  return fs.inodes().Lookup(
      Identity(key),
      [&](const Node& n) { return static_cast<const ScopeDirNode&>(n).Resolve().scope == scope; },
      [&](fuse_ino_t ino) {
        auto node = std::make_shared<ScopeDirNode>(ino, key);
        node->Bind(scope);
        return node;
      });
}

std::shared_ptr<Node> ScopeDirNode::ForPending(
    Filesystem& fs, const std::shared_ptr<store::PendingScope>& pending) {
  const std::string key = pending->key();
  return fs.inodes().Lookup(
      Identity(key),
      [&](const Node& n) {
        return static_cast<const ScopeDirNode&>(n).Resolve().pending == pending;
      },
      [&](fuse_ino_t ino) {
        auto node = std::make_shared<ScopeDirNode>(ino, key);
        node->Bind(pending);
        return node;
      });
}

void ScopeDirNode::Bind(std::shared_ptr<store::Scope> scope) {
  store::MutexLock lock(&mu_);
  scope_ = std::move(scope);
  pending_.reset();
}

void ScopeDirNode::Bind(std::shared_ptr<store::PendingScope> pending) {
  store::MutexLock lock(&mu_);
  pending_ = std::move(pending);
  scope_.reset();
}

ScopeDirNode::Binding ScopeDirNode::Resolve() const {
  store::MutexLock lock(&mu_);
  if (pending_ && pending_->closed()) {  // committed since: show what it became
    scope_ = pending_->committed_scope();
    pending_.reset();
  }
  Binding b{scope_.lock(), pending_};
  if (b.scope && b.scope->removed()) b.scope.reset();
  return b;
}

ScopeDirNode::Binding ScopeDirNode::ResolveForNames() const {
  Binding b = Resolve();
  if (unlinked()) {
    store::MutexLock lock(&mu_);
    b.scope = ghost_;
  }
  return b;
}

void ScopeDirNode::MarkUnlinked(std::shared_ptr<store::Scope> ghost) {
  store::MutexLock lock(&mu_);
  ghost_ = std::move(ghost);
  unlinked_ = true;
}

void ScopeDirNode::DropGhost() {
  store::MutexLock lock(&mu_);
  ghost_.reset();
  unlinked_ = false;  // the rmdir is done: the directory is simply gone now
}

store::Result<struct stat> ScopeDirNode::Attr(const Filesystem& fs) const {
  const Binding b = Resolve();
  if (b.scope) {
    if (fs.store().Expired(*b.scope)) return store::Status::NotFound("scope expired");
    struct stat st = DirStat(fs, *this, 0555);
    SetTimes(st, b.scope->last_access_ns(), b.scope->record().created_ns,
             b.scope->record().created_ns);
    return st;
  }
  if (b.pending) {
    const store::FileAttrs a = b.pending->dir_attrs();
    struct stat st = DirStat(fs, *this, a.mode);
    st.st_uid = a.uid;
    st.st_gid = a.gid;
    SetTimes(st, a.atime_ns, a.mtime_ns, a.ctime_ns);
    return st;
  }
  return Gone("scope " + name());
}

// A pending scope's names come and go: the kernel must ask.
double ScopeDirNode::EntryTimeout() const { return Resolve().scope ? kImmutableTimeout : 0; }
double ScopeDirNode::AttrTimeout() const { return Resolve().scope ? kDirAttrTimeout : 0; }

store::Status ScopeDirNode::SetAttr(Filesystem&, const Caller&, const store::AttrChange& change,
                                    Handle*) {
  if (change.size) return store::Status::IsDir("truncate of a directory");
  const Binding b = Resolve();
  if (b.pending) b.pending->SetDirAttrs(change);  // a committed scope keeps its own
  if (!b.pending && !b.scope) return Gone("scope " + name());
  return store::Status::Ok();
}

store::Result<std::shared_ptr<Node>> ScopeDirNode::Lookup(Filesystem& fs, const std::string& name) {
  const Binding b = ResolveForNames();
  auto not_found = [&] { return store::Status::NotFound("no " + store::Printable(name)); };
  if (b.scope) {
    if (MetaDraft::IsDraftName(name)) {
      std::shared_ptr<MetaDraft> draft = fs.drafts().Find(b.scope, name);
      if (!draft) return not_found();
      return MetaDraftNode::For(fs, draft, name);
    }
    if (!b.scope->HasFile(name)) return not_found();
    return ScopeFileNode::For(fs, b.scope, name);
  }
  if (b.pending) {
    if (name == StatusFileNode::kName) return StatusFileNode::For(fs, b.pending);
    ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> file, b.pending->Find(name));
    return PendingFileNode::For(fs, b.pending, file, name);
  }
  return not_found();
}

store::Result<std::vector<DirEntry>> ScopeDirNode::List(const Filesystem&) const {
  const Binding b = ResolveForNames();
  std::vector<DirEntry> out;
  if (b.scope) {
    // The index files first: `cp -r` and `tar` copy in this order, and a copy
    // back in then writes them (discarded) before the last file that commits.
    for (std::string_view file : store::kIndexFiles) {
      if (b.scope->HasFile(file)) out.push_back({std::string(file), S_IFREG});
    }
    for (std::string_view file : store::kScopeFiles) out.push_back({std::string(file), S_IFREG});
    return out;
  }
  if (b.pending) {
    out.push_back({std::string(StatusFileNode::kName), S_IFREG});
    for (std::string& file : b.pending->List()) out.push_back({std::move(file), S_IFREG});
    return out;
  }
  return Gone("scope " + name());
}

namespace {
// Opens the node a create just made; if that fails, the kernel will never hear
// of the node, so its lookup is undone.
store::Result<std::unique_ptr<Handle>> OpenCreated(Filesystem& fs, const Caller& caller,
                                                   const std::shared_ptr<Node>& node,
                                                   fuse_file_info* fi) {
  store::Result<std::unique_ptr<Handle>> handle = node->Open(fs, caller, fi);
  if (!handle.ok()) fs.inodes().Forget(node->ino(), 1);
  return handle;
}
}  // namespace

store::Result<std::unique_ptr<Handle>> ScopeDirNode::Create(Filesystem& fs, const Caller& caller,
                                                            const std::string& name, mode_t mode,
                                                            fuse_file_info* fi) {
  const Binding b = Resolve();
  const uint32_t file_mode = mode & 07777 & ~caller.umask;
  if (b.scope && MetaDraft::IsDraftName(name)) {
    store::FileAttrs attrs;
    attrs.mode = file_mode;
    attrs.uid = caller.uid;
    attrs.gid = caller.gid;
    attrs.atime_ns = attrs.mtime_ns = attrs.ctime_ns = fs.clock().NowNanos();
    ASSIGN_OR_RETURN(std::shared_ptr<MetaDraft> draft,
                     fs.drafts().Create(b.scope, name, attrs, caller.pid, attrs.ctime_ns));
    return OpenCreated(fs, caller, MetaDraftNode::For(fs, draft, name), fi);
  }
  if (b.scope || unlinked()) {
    return store::Status::Access("create " + store::Printable(name) + " in committed scope " +
                                 this->name() + ": committed scopes are read-only");
  }
  if (!b.pending) return Gone("scope " + this->name());
  RETURN_IF_ERROR(ClaimPending(caller, *b.pending));
  ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> file,
                   b.pending->Create(name, file_mode, caller.uid, caller.gid));
  return OpenCreated(fs, caller, PendingFileNode::For(fs, b.pending, file, name), fi);
}

store::Status ScopeDirNode::Unlink(Filesystem& fs, const std::string& name) {
  if (unlinked()) {
    // The scope went with an earlier unlink of this `rm -r`; its files went with it.
    const std::shared_ptr<store::Scope> ghost = ResolveForNames().scope;
    if (store::IsCommittedScopeFileName(name) || (ghost && ghost->HasFile(name))) {
      return store::Status::Ok();
    }
    return store::Status::NotFound(store::Printable(name));
  }
  const Binding b = Resolve();
  if (b.scope && MetaDraft::IsDraftName(name)) {
    std::shared_ptr<MetaDraft> draft = fs.drafts().Find(b.scope, name);
    if (!draft) return store::Status::NotFound(store::Printable(name));
    fs.drafts().Remove(draft);
    return store::Status::Ok();
  }
  if (b.scope) {
    if (!b.scope->HasFile(name)) return store::Status::NotFound(store::Printable(name));
    // Unlinking any file of a committed scope removes the whole scope at once.
    RETURN_IF_ERROR(fs.store().Remove(b.scope->key()));
    MarkUnlinked(b.scope);
    return store::Status::Ok();
  }
  if (!b.pending) return Gone("scope " + this->name());
  // Generated, so there is nothing to remove; succeeding lets `rm -r` and
  // shutil.rmtree remove a pending scope, which lists it.
  if (name == StatusFileNode::kName) return store::Status::Ok();
  return b.pending->Unlink(name);  // removing mixes nothing: no writer claim needed
}

store::Status ScopeDirNode::Rename(Filesystem& fs, const Caller& caller, const std::string& from,
                                   Node& to_dir, const std::string& to, unsigned int flags) {
  if (to_dir.ino() != ino()) return store::Status::CrossDevice("files cannot move between scopes");
  const Binding b = Resolve();
  if (b.scope && MetaDraft::IsMetaDraftName(from) && to == store::kMetaFile) {
    // rsync putting its copy of meta.json in place: fine if it changes nothing.
    std::shared_ptr<MetaDraft> draft = fs.drafts().Find(b.scope, from);
    if (!draft) return store::Status::NotFound(store::Printable(from));
    RETURN_IF_ERROR(fs.store().CheckMetaUnchanged(b.scope->key(), draft->data()));
    fs.drafts().Remove(draft);
    return store::Status::Ok();
  }
  if (b.scope && MetaDraft::IsIndexDraftName(from) && store::IsIndexFileName(to) &&
      b.scope->HasFile(to)) {
    // rsync putting its copy of an index in place: the one built stays.
    std::shared_ptr<MetaDraft> draft = fs.drafts().Find(b.scope, from);
    if (!draft) return store::Status::NotFound(store::Printable(from));
    fs.drafts().Remove(draft);
    return store::Status::Ok();
  }
  if (b.scope || unlinked()) return store::Status::Access("rename in committed scope " + name());
  if (!b.pending) return Gone("scope " + name());
  if ((flags & RENAME_NOREPLACE) && b.pending->Find(to).ok()) return store::Status::Exists(to);
  RETURN_IF_ERROR(ClaimPending(caller, *b.pending));
  RETURN_IF_ERROR(b.pending->Rename(from, to));
  // A file renamed into place can complete the scope (rsync, editors).
  if (store::IsScopeFileName(to) && b.pending->ReadyToCommit(nullptr)) {
    return fs.store().Commit(b.pending).status();
  }
  return store::Status::Ok();
}

}  // namespace scopefs::fs
