// init, statfs, extended attributes.
#include <sys/statvfs.h>

#include <algorithm>

#include "fs/ops.h"
#include "fs/request.h"

namespace scopefs::fs {

void OpInit(void* userdata, fuse_conn_info* conn) {
  static_cast<Filesystem*>(userdata)->MarkInitialized();
  // Writes must reach us in order and synchronously: commit happens on close.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

// statfs: fuse_reply_statfs. Size and use are the store's (SPEC: df shows max_size).
void OpStatfs(fuse_req_t req, fuse_ino_t) {
  Guard(req, "statfs", [&] {
    Filesystem& fs = Fs(req);
    const uint64_t block = 4096;
    const store::CacheLimits& limits = fs.store().limits();
    const uint64_t capacity = limits.max_size;
    const uint64_t used =
        std::min(fs.store().stored_bytes() + fs.store().pending_bytes(), capacity);
    struct statvfs st {};
    st.f_bsize = block;
    st.f_frsize = block;
    st.f_blocks = capacity / block;
    st.f_bfree = st.f_bavail = (capacity - used) / block;
    st.f_files = limits.max_entries;
    st.f_ffree = st.f_favail =
        limits.max_entries - std::min<uint64_t>(limits.max_entries, fs.store().size());
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
  });
}

// Extended attributes: scopes carry none. ENOSYS tells the kernel so once and
// for all: it stops asking (ls -l asks twice per entry, for ACLs and labels)
// and answers EOPNOTSUPP itself, which ls, cp -a and rsync treat as "none here".
void OpGetxattr(fuse_req_t req, fuse_ino_t, const char*, size_t) { fuse_reply_err(req, ENOSYS); }
void OpListxattr(fuse_req_t req, fuse_ino_t, size_t) { fuse_reply_err(req, ENOSYS); }
void OpSetxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  fuse_reply_err(req, ENOSYS);
}
void OpRemovexattr(fuse_req_t req, fuse_ino_t, const char*) { fuse_reply_err(req, ENOSYS); }

}  // namespace scopefs::fs
