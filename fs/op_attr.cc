// getattr, setattr.
#include "fs/control_files.h"
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

// Applies a setattr to the node. Mode, owner and times are accepted on
// pending files and on scope directories (cp -a, rsync -a and tar set them);
// a committed scope keeps its own. Sizes change only on pending files.
store::Status Apply(fuse_req_t req, Node& node, const store::AttrChange& change, int64_t now_ns,
                    fuse_file_info* fi) {
  Node::Binding b = node.Resolve();
  switch (node.kind()) {
    case NodeKind::kPendingFile:
      if (b.pending->closed()) {
        if (change.size) return store::Status::Access("the scope is committed and read-only");
        return store::Status::Ok();  // e.g. tar setting times after the commit
      }
      if (change.size) {
        RETURN_IF_ERROR(ClaimPending(req, *b.pending));
        // An open handle keeps its file even if the name moved on.
        std::shared_ptr<store::PendingFile> file = b.file;
        if (fi && GetHandle(fi).pending_file) {
          file = GetHandle(fi).pending_file;
          MarkHandleUsed(GetHandle(fi));
        }
        RETURN_IF_ERROR(file->Truncate(*change.size));
      }
      b.file->SetAttrs(change);
      return store::Status::Ok();
    case NodeKind::kScopeDir:
      if (change.size) return store::Status::IsDir("truncate of a directory");
      if (b.pending) b.pending->SetDirAttrs(change);
      if (!b.pending && !b.scope) return Stale("scope " + node.name());
      return store::Status::Ok();
    case NodeKind::kScopeFile:
      if (change.size) return store::Status::Access(node.name() + " of a committed scope is read-only");
      return store::Status::Ok();
    case NodeKind::kMetaDraft:
      if (change.size) RETURN_IF_ERROR(b.draft->Truncate(*change.size));
      b.draft->SetAttrs(change, now_ns);
      return store::Status::Ok();
    case NodeKind::kControlFile:
      if (IsControlAction(node.ino())) return store::Status::Ok();  // `echo KEY > verify` truncates
      [[fallthrough]];
    default:
      return store::Status::Permission("cannot change attributes of " + node.name());
  }
}

}  // namespace

// getattr: fuse_reply_attr, or ESTALE.
void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guard(req, "getattr", [&] {
    Filesystem& fs = Fs(req);
    store::Result<std::shared_ptr<Node>> node = GetNode(req, ino);
    if (!node.ok()) return ReplyStatus(req, "getattr", node.status());
    store::Result<struct stat> attr = fs.Attr(**node);
    if (!attr.ok()) return ReplyStatus(req, "getattr", attr.status());
    fuse_reply_attr(req, &*attr, fs.AttrTimeout(**node));
  });
}

// setattr: fuse_reply_attr, or EACCES (truncating a committed file; no write
// right), EPERM
// (root, control files), EFBIG (past the size limit), ESTALE, I/O errors.
void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  Guard(req, "setattr", [&] {
    Filesystem& fs = Fs(req);
    store::Result<struct stat> result = [&]() -> store::Result<struct stat> {
      ASSIGN_OR_RETURN(std::shared_ptr<Node> node, GetNode(req, ino));
      RETURN_IF_ERROR(MayWrite(req, "setattr " + node->name()));
      const int64_t now = fs.clock().NowNanos();
      RETURN_IF_ERROR(Apply(req, *node, ChangeFrom(*attr, to_set, now), now, fi));
      return fs.Attr(*node);
    }();
    if (!result.ok()) return ReplyStatus(req, "setattr", result.status());
    std::shared_ptr<Node> node = fs.inodes().Get(ino);
    fuse_reply_attr(req, &*result, node ? fs.AttrTimeout(*node) : 0);
  });
}

}  // namespace scopefs::fs
