// open, create, flush, release, fsync.
#include <fcntl.h>
#include <unistd.h>

#include "fs/control_files.h"
#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"
#include "store/key.h"
#include "store/layout.h"

namespace scopefs::fs {
namespace {

bool WantsWrite(const fuse_file_info* fi) {
  return (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
}

// Opens a file of a committed scope for reading: an access, in SPEC's terms,
// for the data files. Bits files are checked against their CRC first.
store::Status OpenCommitted(Filesystem& fs, Handle& h, fuse_file_info* fi) {
  const std::string name = h.node->name();
  if (WantsWrite(fi)) return store::Status::Access(name + ": committed scopes are read-only");
  h.scope = h.node->Resolve().scope;
  if (!h.scope || h.scope->removed() || fs.store().Expired(*h.scope)) {
    return store::Status::NotFound("scope of " + name + " was removed or expired");
  }
  fi->noflush = 1;  // read-only: close() has nothing to report, skip the round trip
  if (name == store::kMetaFile) {
    ASSIGN_OR_RETURN(h.content, fs.Content(*h.node));
    fi->direct_io = 1;  // last_accessed changes: never serve a cached copy
    return store::Status::Ok();
  }
  store::Status opened = [&]() -> store::Status {
    if (name == store::kMappingsFile) {
      ASSIGN_OR_RETURN(h.mappings, h.scope->Mappings());
    } else {
      ASSIGN_OR_RETURN(h.bits, h.scope->VerifiedBits(name));
    }
    return store::Status::Ok();
  }();
  if (!opened.ok()) return fs.store().JudgeReadError(*h.scope, std::move(opened));
  fi->keep_cache = 1;  // immutable: the kernel's page cache stays valid
  fs.store().RecordAccess(*h.scope);
  return store::Status::Ok();
}

store::Status OpenPendingForWrite(fuse_req_t req, Handle& h, fuse_file_info* fi) {
  if (WantsWrite(fi)) RETURN_IF_ERROR(MayWrite(req, "write " + h.node->name()));
  Node::Binding b = h.node->Resolve();
  if (b.pending->closed()) {
    if (WantsWrite(fi)) return store::Status::Access(h.node->name() + ": the scope is committed");
    // A reader that looked the name up just before the commit: ESTALE makes
    // the kernel look it up again (LOOKUP_REVAL) and open the committed file.
    return Stale(h.node->name() + " of a scope committed since its lookup");
  }
  if (!WantsWrite(fi)) {
    return store::Status::Busy(h.node->name() + " belongs to a pending scope; it can be read once " +
                               "the scope is committed");
  }
  RETURN_IF_ERROR(ClaimPending(req, *b.pending));
  h.pending = b.pending;
  h.pending_file = b.file;
  if (fi->flags & O_TRUNC) RETURN_IF_ERROR(b.file->Truncate(0));
  h.writer = true;
  ResumeWriting(h);
  fi->direct_io = 1;  // writes go straight through; nothing to cache
  return store::Status::Ok();
}

// An action file runs what root writes to it (control_files.h).
store::Status OpenControlAction(fuse_req_t req, Handle& h, fuse_file_info* fi) {
  RETURN_IF_ERROR(MayAct(req, h.node->name()));
  h.action = true;
  fi->direct_io = 1;
  fi->noflush = 1;
  return store::Status::Ok();
}

}  // namespace

// open: fuse_reply_open, or EACCES (writing a committed file; no write right), EBUSY (reading
// a pending file, or writing one another process is writing), EISDIR, ESTALE, EIO (a bits file failing its CRC).
void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "open", [&] {
    Filesystem& fs = Fs(req);
    auto handle = std::make_unique<Handle>();
    store::Status st = [&]() -> store::Status {
      ASSIGN_OR_RETURN(handle->node, GetNode(req, ino));
      switch (handle->node->kind()) {
        case NodeKind::kScopeFile: return OpenCommitted(fs, *handle, fi);
        case NodeKind::kPendingFile: return OpenPendingForWrite(req, *handle, fi);
        case NodeKind::kMetaDraft:
          if (WantsWrite(fi)) RETURN_IF_ERROR(MayWrite(req, "write " + handle->node->name()));
          handle->draft = handle->node->Resolve().draft;
          if (fi->flags & O_TRUNC) RETURN_IF_ERROR(handle->draft->Truncate(0));
          fi->direct_io = 1;
          return store::Status::Ok();
        case NodeKind::kControlFile:
          if (WantsWrite(fi) && IsControlAction(ino)) return OpenControlAction(req, *handle, fi);
          [[fallthrough]];
        case NodeKind::kStatusFile: {
          if (WantsWrite(fi)) return store::Status::Access(handle->node->name() + " is read-only");
          ASSIGN_OR_RETURN(handle->content, fs.Content(*handle->node));
          fi->direct_io = 1;
          fi->noflush = 1;
          return store::Status::Ok();
        }
        case NodeKind::kRoot:
        case NodeKind::kControlDir:
        case NodeKind::kScopeDir: break;
      }
      return store::Status::IsDir("open");
    }();
    if (!st.ok()) return ReplyStatus(req, "open", st);
    StoreHandle(Fs(req), fi, std::move(handle));
    if (fuse_reply_open(req, fi) != 0) TakeHandle(Fs(req), fi);  // interrupted: nobody will release it
  });
}

// create: fuse_reply_create, or EACCES (in a committed scope; no write right), EPERM (a name a
// scope does not take, or a file outside a scope), ESTALE.
void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Guard(req, "create", [&] {
    Filesystem& fs = Fs(req);
    auto handle = std::make_unique<Handle>();
    store::Result<fuse_entry_param> entry = [&]() -> store::Result<fuse_entry_param> {
      RETURN_IF_ERROR(MayWrite(req, "create " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      if (dir->kind() != NodeKind::kScopeDir) {
        return store::Status::Permission("create " + store::Printable(name) +
                                         ": files go inside a scope directory");
      }
      Node::Binding b = dir->Resolve();
      const fuse_ctx* ctx = fuse_req_ctx(req);
      if (b.scope && MetaDraft::IsDraftName(name)) {
        store::FileAttrs attrs;
        attrs.mode = mode & 07777 & ~ctx->umask;
        attrs.uid = ctx->uid;
        attrs.gid = ctx->gid;
        attrs.atime_ns = attrs.mtime_ns = attrs.ctime_ns = fs.clock().NowNanos();
        ASSIGN_OR_RETURN(handle->node, fs.CreateDraft(b.scope, name, attrs));
        handle->draft = handle->node->Resolve().draft;
        fi->direct_io = 1;
        return MakeEntry(fs, *handle->node);
      }
      if (b.scope || dir->unlinked()) {
        return store::Status::Access("create " + store::Printable(name) + " in committed scope " +
                                     dir->name() + ": committed scopes are read-only");
      }
      if (!b.pending) return Stale("scope " + dir->name());
      RETURN_IF_ERROR(ClaimPending(req, *b.pending));
      ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> file,
                       b.pending->Create(name, mode & 07777 & ~ctx->umask, ctx->uid, ctx->gid));
      handle->node = fs.AddPendingFile(b.pending, file, name);
      store::Status opened = OpenPendingForWrite(req, *handle, fi);
      if (!opened.ok()) {
        fs.inodes().Forget(handle->node->ino(), 1);
        return opened;
      }
      return MakeEntry(fs, *handle->node);
    }();
    if (!entry.ok()) return ReplyStatus(req, "create", entry.status());
    StoreHandle(Fs(req), fi, std::move(handle));
    if (fuse_reply_create(req, &*entry, fi) != 0) TakeHandle(Fs(req), fi);  // interrupted
  });
}

// flush: 0, or EINVAL (the scope this close completes fails validation; its
// .status says why), I/O errors of the commit. Called on every close() of a
// descriptor, possibly more than once per open: a committed scope makes it a no-op.
void OpFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, "flush", [&] {
    Filesystem& fs = Fs(req);
    Handle& h = GetHandle(fi);
    store::Status st;
    if (h.writer) {
      StopWriting(h);
      if (!h.pending->closed() && h.pending->ReadyToCommit(nullptr)) {
        st = fs.store().Commit(h.pending->key()).status();
      }
    }
    MarkHandleUsed(h);
    ReplyStatus(req, "close", st);
  });
}

// release: 0 (its result reaches nobody; flush reported what mattered).
void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, "release", [&] {
    TakeHandle(Fs(req), fi);
    fuse_reply_err(req, 0);
  });
}

// fsync: 0. Committed data was made durable by its commit; pending data is not
// meant to survive a restart (SPEC), so there is nothing to sync.
void OpFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); }

}  // namespace scopefs::fs
