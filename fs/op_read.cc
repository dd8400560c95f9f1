// read.
#include <algorithm>

#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"
#include "store/layout.h"

namespace scopefs::fs {

// read: fuse_reply_data (bits: straight from the stored file's descriptor, so
// the kernel may splice) or fuse_reply_buf; EBUSY on a pending file, EIO when
// stored bytes fail their checks (never wrong data).
void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "read", [&] {
    Handle& h = GetHandle(fi);
    const auto offset = static_cast<uint64_t>(off);
    if (h.file && h.file->fd() >= 0) {
      fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
      buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
      buf.buf[0].fd = h.file->fd();
      buf.buf[0].pos = off;
      const store::ScopeRecord& r = h.scope->record();
      const uint64_t file_size = h.node->name() == store::kNodesFile ? r.nodes.size : r.links.size;
      Fs(req).CountServed(offset < file_size ? std::min<uint64_t>(size, file_size - offset) : 0);
      MarkHandleUsed(h);
      fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);  // the Scope keeps the fd open
      return;
    }
    if (h.file || h.mappings) {
      thread_local std::string buffer;
      buffer.resize(size);
      store::Result<size_t> n = [&]() -> store::Result<size_t> {
        if (h.file) return h.file->ReadAt(offset, buffer.data(), size);
        std::lock_guard lock(h.ra_mu);
        return h.mappings->ReadAt(offset, buffer.data(), size, &h.read_ahead);
      }();
      MarkHandleUsed(h);
      if (!n.ok()) {
        if (n.status().code() == store::Status::Code::kCorruption) {
          Fs(req).store().Quarantine(*h.scope, n.status());
        }
        return ReplyStatus(req, "read", n.status().Annotate(h.node->name()));
      }
      Fs(req).CountServed(*n);
      fuse_reply_buf(req, buffer.data(), *n);
      return;
    }
    if (h.writer) {
      store::Status busy = store::Status::Busy(h.node->name() + " is pending");
      MarkHandleUsed(h);
      return ReplyStatus(req, "read", busy);
    }
    thread_local std::string copy;
    {
      std::lock_guard lock(h.content_mu);
      if (h.draft) h.content = h.draft->data();  // a draft may have grown since open
      const size_t from = std::min<uint64_t>(offset, h.content.size());
      copy.assign(h.content, from, std::min(size, h.content.size() - from));
    }
    MarkHandleUsed(h);  // the reply lets the kernel release the handle: touch it no more
    fuse_reply_buf(req, copy.data(), copy.size());
  });
}

}  // namespace scopefs::fs
