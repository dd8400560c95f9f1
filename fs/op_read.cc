// read.
#include <algorithm>
#include <memory>

#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"
#include "store/layout.h"

namespace scopefs::fs {

// read: fuse_reply_buf; EBUSY on a pending file, EIO when stored bytes fail
// their checks (never wrong data). Bits files are served from the bytes
// verified at open, so later damage on disk cannot reach an open file.
void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "read", [&] {
    Handle& h = GetHandle(fi);
    const auto offset = static_cast<uint64_t>(off);
    if (h.bits) {
      const std::shared_ptr<const std::string> bits = h.bits;  // outlives the handle's release
      const size_t from = std::min<uint64_t>(offset, bits->size());
      const size_t n = std::min(size, bits->size() - from);
      Fs(req).CountServed(n);
      MarkHandleUsed(h);
      fuse_reply_buf(req, bits->data() + from, n);
      return;
    }
    if (h.mappings) {
      // Per request, not per thread: a buffer kept by each of the pool's 16
      // workers would pin up to 16 MiB; freed ones go back to shared arenas.
      const std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(size);
      store::Result<size_t> n = [&]() -> store::Result<size_t> {
        std::lock_guard lock(h.ra_mu);
        return h.mappings->ReadAt(offset, buffer.get(), size, &h.read_ahead);
      }();
      MarkHandleUsed(h);
      if (!n.ok()) {
        const store::Status judged = Fs(req).store().JudgeReadError(*h.scope, n.status());
        return ReplyStatus(req, "read", judged.Annotate(h.node->name()));
      }
      Fs(req).CountServed(*n);
      fuse_reply_buf(req, buffer.get(), *n);
      return;
    }
    if (h.writer) {
      store::Status busy = store::Status::Busy(h.node->name() + " is pending");
      MarkHandleUsed(h);
      return ReplyStatus(req, "read", busy);
    }
    std::string copy;
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
