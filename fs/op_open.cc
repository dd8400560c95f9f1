// open, create, flush, release, fsync.
#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"
#include "store/key.h"

namespace scopefs::fs {

// open: fuse_reply_open, or EACCES (writing a committed file; no write right;
// a control action by anyone but root), EBUSY (reading a pending file, or
// writing one another process is writing), EISDIR, ESTALE, EIO (a bits file
// failing its CRC at the inode's first open; later opens check at the read),
// ENOENT (a removed or expired scope).
void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "open", [&] {
    Filesystem& fs = Fs(req);
    store::Result<std::unique_ptr<Handle>> handle =
        [&]() -> store::Result<std::unique_ptr<Handle>> {
      ASSIGN_OR_RETURN(std::shared_ptr<Node> node, GetNode(req, ino));
      return node->Open(fs, CallerOf(req), fi);
    }();
    if (!handle.ok()) return ReplyStatus(req, "open", handle.status());
    StoreHandle(fs, fi, std::move(handle).value());
    if (fuse_reply_open(req, fi) != 0) TakeHandle(fs, fi);  // interrupted: nobody will release it
  });
}

// create: fuse_reply_create, or EACCES (in a committed scope; no write right),
// EPERM (a name a scope does not take, or a file outside a scope), EBUSY
// (another process writes the scope), ENOSPC (too many meta.json drafts), ESTALE.
void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  Guard(req, "create", [&] {
    Filesystem& fs = Fs(req);
    std::unique_ptr<Handle> handle;
    store::Result<fuse_entry_param> entry = [&]() -> store::Result<fuse_entry_param> {
      RETURN_IF_ERROR(MayWrite(req, "create " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      ASSIGN_OR_RETURN(handle, dir->Create(fs, CallerOf(req), name, mode, fi));
      return MakeEntry(fs, handle->node());
    }();
    if (!entry.ok()) {
      if (handle) fs.inodes().Forget(handle->node().ino(), 1);  // the kernel will not hear of it
      return ReplyStatus(req, "create", entry.status());
    }
    StoreHandle(fs, fi, std::move(handle));
    if (fuse_reply_create(req, &*entry, fi) != 0) TakeHandle(fs, fi);  // interrupted
  });
}

// flush: 0, or EINVAL (the scope this close completes fails validation; its
// .status says why), I/O errors of the commit. Called on every close() of a
// descriptor, possibly more than once per open: a committed scope makes it a no-op.
void OpFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, "flush", [&] {
    Handle& h = GetHandle(fi);
    const store::Status st = h.Flush(Fs(req));
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
// meant to survive a restart, so there is nothing to sync.
void OpFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, 0); }

}  // namespace scopefs::fs
