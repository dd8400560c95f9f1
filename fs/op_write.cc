// write, fallocate.
#include <fcntl.h>

#include "fs/control_files.h"
#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"

namespace scopefs::fs {

// write: fuse_reply_write, or EACCES (the scope got committed), EFBIG (past
// the size limit), EBADF (not open for writing), I/O errors (ENOSPC); for an
// action file, what the action returned (control_files.h).
void OpWrite(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off,
             fuse_file_info* fi) {
  Guard(req, "write", [&] {
    Handle& h = GetHandle(fi);
    store::Status st = [&]() -> store::Status {
      if (h.action) {
        ActionResult result = RunControlAction(h.node->ino(), std::string_view(buf, size), Fs(req).store());
        std::lock_guard lock(h.content_mu);
        h.content = std::move(result.output);
        return result.status;
      }
      if (h.draft) return h.draft->Write(static_cast<uint64_t>(off), std::string_view(buf, size));
      if (!h.writer) return store::Status::BadHandle("write to a read-only handle");
      if (h.pending->closed()) return store::Status::Access(h.node->name() + ": scope is committed");
      ResumeWriting(h);  // a write through a descriptor still open after another's close
      return h.pending_file->Write(static_cast<uint64_t>(off), std::string_view(buf, size));
    }();
    MarkHandleUsed(h);
    if (!st.ok()) return ReplyStatus(req, "write", st);
    fuse_reply_write(req, size);
  });
}

// fallocate: 0, or EOPNOTSUPP (anything but plain allocation), EFBIG, EACCES.
void OpFallocate(fuse_req_t req, fuse_ino_t, int mode, off_t offset, off_t length,
                 fuse_file_info* fi) {
  Guard(req, "fallocate", [&] {
    Handle& h = GetHandle(fi);
    store::Status st = [&]() -> store::Status {
      if (mode != 0) return store::Status::NotSupported("fallocate mode");
      if (!h.writer) return store::Status::BadHandle("fallocate on a read-only handle");
      if (h.pending->closed()) return store::Status::Access(h.node->name() + ": scope is committed");
      const auto end = static_cast<uint64_t>(offset) + static_cast<uint64_t>(length);
      if (end <= h.pending_file->attrs().size) return store::Status::Ok();
      return h.pending_file->Truncate(end);
    }();
    MarkHandleUsed(h);
    ReplyStatus(req, "fallocate", st);
  });
}

}  // namespace scopefs::fs
