// getattr, setattr.
#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"

namespace scopefs::fs {
namespace {

int64_t Nanos(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

store::AttrChange ChangeFrom(const struct stat& attr, int to_set, int64_t now) {
  store::AttrChange c;
  if (to_set & FUSE_SET_ATTR_MODE) c.mode = attr.st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) c.uid = attr.st_uid;
  if (to_set & FUSE_SET_ATTR_GID) c.gid = attr.st_gid;
  if (to_set & FUSE_SET_ATTR_ATIME) c.atime_ns = Nanos(attr.st_atim);
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) c.atime_ns = now;
  if (to_set & FUSE_SET_ATTR_MTIME) c.mtime_ns = Nanos(attr.st_mtim);
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) c.mtime_ns = now;
  if (to_set & FUSE_SET_ATTR_SIZE) c.size = static_cast<uint64_t>(attr.st_size);
  return c;
}

}  // namespace

// getattr: fuse_reply_attr, or ESTALE.
void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guard(req, "getattr", [&] {
    Filesystem& fs = Fs(req);
    store::Result<std::shared_ptr<Node>> node = GetNode(req, ino);
    if (!node.ok()) return ReplyStatus(req, "getattr", node.status());
    store::Result<struct stat> attr = (*node)->Attr(fs);
    if (!attr.ok()) return ReplyStatus(req, "getattr", attr.status());
    fuse_reply_attr(req, &*attr, (*node)->AttrTimeout());
  });
}

// setattr: fuse_reply_attr, or EACCES (truncating a committed file; no write
// right), EPERM
// (root, control files), EFBIG (past the size limit), ESTALE, I/O errors.
void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  Guard(req, "setattr", [&] {
    Filesystem& fs = Fs(req);
    std::shared_ptr<Node> node;
    store::Result<struct stat> result = [&]() -> store::Result<struct stat> {
      ASSIGN_OR_RETURN(node, GetNode(req, ino));
      RETURN_IF_ERROR(MayWrite(req, "setattr " + node->name()));
      Handle* handle = fi ? &GetHandle(fi) : nullptr;
      const store::AttrChange change = ChangeFrom(*attr, to_set, fs.clock().NowNanos());
      RETURN_IF_ERROR(node->SetAttr(fs, CallerOf(req), change, handle));
      if (handle) MarkHandleUsed(*handle);
      return node->Attr(fs);
    }
    ();
    if (!result.ok()) return ReplyStatus(req, "setattr", result.status());
    fuse_reply_attr(req, &*result, node->AttrTimeout());
  });
}

}  // namespace scopefs::fs
