// read, write, fallocate.
#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"

namespace scopefs::fs {

// read: fuse_reply_buf, or EBUSY (a pending file), EIO (stored bytes fail
// their checks: never wrong data), EBADF.
void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "read", [&] {
    Handle& h = GetHandle(fi);
    const store::Result<ReadBytes> bytes = h.Read(Fs(req), static_cast<uint64_t>(off), size);
    MarkHandleUsed(h);  // the reply lets the kernel release the handle: touch it no more
    if (!bytes.ok()) return ReplyStatus(req, "read", bytes.status());
    fuse_reply_buf(req, bytes->data, bytes->size);
  });
}

// write: fuse_reply_write, or EACCES (the scope got committed), EFBIG (past
// the size limit), EBADF (not open for writing), ENOSPC and other I/O errors;
// for an action file, what the action returned (control_files.h).
void OpWrite(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off,
             fuse_file_info* fi) {
  Guard(req, "write", [&] {
    Handle& h = GetHandle(fi);
    const store::Status st =
        h.Write(Fs(req), static_cast<uint64_t>(off), std::string_view(buf, size));
    MarkHandleUsed(h);
    if (!st.ok()) return ReplyStatus(req, "write", st);
    fuse_reply_write(req, size);
  });
}

// fallocate: 0, or EOPNOTSUPP (anything but plain allocation), EFBIG, EACCES, EBADF.
void OpFallocate(fuse_req_t req, fuse_ino_t, int mode, off_t offset, off_t length,
                 fuse_file_info* fi) {
  Guard(req, "fallocate", [&] {
    Handle& h = GetHandle(fi);
    const store::Status st = [&] {
      if (mode != 0) return store::Status::NotSupported("fallocate mode " + std::to_string(mode));
      return h.Allocate(static_cast<uint64_t>(offset) + static_cast<uint64_t>(length));
    }();
    MarkHandleUsed(h);
    ReplyStatus(req, "fallocate", st);
  });
}

}  // namespace scopefs::fs
