// unlink, rename, link, symlink, mknod.
#include <linux/fs.h>
#include <sys/stat.h>

#include "fs/control_files.h"
#include "fs/ops.h"
#include "fs/request.h"
#include "store/key.h"
#include "store/layout.h"

namespace scopefs::fs {
namespace {

bool IsCommittedFileName(std::string_view name) {
  return name == store::kNodesFile || name == store::kLinksFile || name == store::kMappingsFile ||
         name == store::kMetaFile;
}

store::Status Unlink(Filesystem& fs, Node& dir, const std::string& name) {
  if (dir.kind() != NodeKind::kScopeDir) {
    if (dir.kind() == NodeKind::kRoot && name != kControlDirName) {
      return store::Status::IsDir("unlink " + store::Printable(name));
    }
    return store::Status::Permission("unlink " + store::Printable(name) + ": not allowed here");
  }
  if (dir.unlinked()) {
    // The scope went with an earlier unlink of this `rm -r`; its files went with it.
    if (IsCommittedFileName(name)) return store::Status::Ok();
    return store::Status::NotFound(name);
  }
  Node::Binding b = dir.Resolve();
  if (b.scope && MetaDraft::IsDraftName(name)) {
    if (!fs.FindDraft(*b.scope, name)) return store::Status::NotFound(name);
    fs.RemoveDraft(*b.scope, name);
    return store::Status::Ok();
  }
  if (b.scope) {
    if (!IsCommittedFileName(name)) return store::Status::NotFound(name);
    // Unlinking any file of a committed scope removes the whole scope at once.
    RETURN_IF_ERROR(fs.store().Remove(b.scope->key()));
    dir.MarkUnlinked(b.scope);
    return store::Status::Ok();
  }
  if (!b.pending) return Stale("scope " + dir.name());
  // Generated, so there is nothing to remove; succeeding lets `rm -r` and
  // shutil.rmtree remove a pending scope, which lists it.
  if (name == ".status") return store::Status::Ok();
  return b.pending->Unlink(name);  // removing mixes nothing: anyone may (no claim)
}

store::Status Rename(fuse_req_t req, Filesystem& fs, Node& from_dir, const std::string& from,
                     Node& to_dir, const std::string& to, unsigned int flags) {
  if (flags & RENAME_EXCHANGE) return store::Status::Invalid("RENAME_EXCHANGE is not supported");
  const bool no_replace = flags & RENAME_NOREPLACE;
  if (from_dir.kind() == NodeKind::kRoot && to_dir.kind() == NodeKind::kRoot) {
    if (from == kControlDirName || to == kControlDirName) {
      return store::Status::Permission(".scopefs cannot be renamed");
    }
    RETURN_IF_ERROR(fs.store().Rename(from, to));
    fs.RenamedScopeDir(from, to);
    return store::Status::Ok();
  }
  if (from_dir.ino() != to_dir.ino()) {
    return store::Status::CrossDevice("files cannot move between scopes");
  }
  if (from_dir.kind() != NodeKind::kScopeDir) return store::Status::Permission("rename here");
  Node::Binding b = from_dir.Resolve();
  if (b.scope && MetaDraft::IsDraftName(from) && to == store::kMetaFile) {
    // rsync putting a copy of meta.json in place: fine if it changes nothing.
    std::shared_ptr<MetaDraft> draft = fs.FindDraft(*b.scope, from);
    if (!draft) return store::Status::NotFound(from);
    RETURN_IF_ERROR(fs.store().CheckMetaUnchanged(b.scope->key(), draft->data()));
    fs.RemoveDraft(*b.scope, from);
    return store::Status::Ok();
  }
  if (b.scope || from_dir.unlinked()) {
    return store::Status::Access("rename in committed scope " + from_dir.name());
  }
  if (!b.pending) return Stale("scope " + from_dir.name());
  if (no_replace && b.pending->Find(to).ok()) return store::Status::Exists(to);
  RETURN_IF_ERROR(ClaimPending(req, *b.pending));
  RETURN_IF_ERROR(b.pending->Rename(from, to));
  // A file renamed into place can complete the scope (rsync, editors).
  if (store::IsScopeFileName(to) && b.pending->ReadyToCommit(nullptr)) {
    return fs.store().Commit(b.pending->key()).status();
  }
  return store::Status::Ok();
}

}  // namespace

// unlink: 0 (also for .status, which stays), or EACCES (no write right), ENOENT,
// EPERM (control files), EISDIR (a scope).
void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "unlink", [&] {
    store::Status st = [&]() -> store::Status {
      RETURN_IF_ERROR(MayWrite(req, "unlink " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      return Unlink(Fs(req), *dir, name);
    }();
    ReplyStatus(req, "unlink", st);
  });
}

// rename: 0, or EEXIST (the target key is taken), EINVAL (bad key; the file
// renamed into place completes a scope that fails validation), EXDEV (between
// scopes), EACCES (in a committed scope; no write right), EPERM (a name a scope does not take).
void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
              const char* newname, unsigned int flags) {
  Guard(req, "rename", [&] {
    store::Status st = [&]() -> store::Status {
      RETURN_IF_ERROR(MayWrite(req, "rename " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> from, GetNode(req, parent));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> to, GetNode(req, newparent));
      return Rename(req, Fs(req), *from, name, *to, newname, flags);
    }();
    ReplyStatus(req, "rename", st);
  });
}

// link: EPERM (scopes hold plain files only).
void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char* newname) {
  Guard(req, "link", [&] {
    ReplyStatus(req, "link", store::Status::Permission("hard link " + store::Printable(newname) +
                                                       ": scopes hold plain files only"));
  });
}

// symlink: EPERM.
void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char* name) {
  Guard(req, "symlink", [&] {
    ReplyStatus(req, "symlink", store::Status::Permission("symlink " + store::Printable(name) +
                                                          ": scopes hold plain files only"));
  });
}

// mknod: EPERM (devices, fifos, sockets; regular files come through create).
void OpMknod(fuse_req_t req, fuse_ino_t, const char* name, mode_t, dev_t) {
  Guard(req, "mknod", [&] {
    ReplyStatus(req, "mknod", store::Status::Permission("mknod " + store::Printable(name) +
                                                        ": scopes hold plain files only"));
  });
}

}  // namespace scopefs::fs
