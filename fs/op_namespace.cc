// unlink, rename, link, symlink, mknod.
#include <linux/fs.h>
#include <sys/stat.h>

#include "fs/ops.h"
#include "fs/request.h"
#include "store/key.h"

namespace scopefs::fs {

// unlink: 0 (also for .status, which stays), or EACCES (no write right), ENOENT,
// EPERM (control files), EISDIR (a scope).
void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "unlink", [&] {
    store::Status st = [&]() -> store::Status {
      RETURN_IF_ERROR(MayWrite(req, "unlink " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      return dir->Unlink(Fs(req), name);
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
      if (flags & RENAME_EXCHANGE)
        return store::Status::Invalid("RENAME_EXCHANGE is not supported");
      ASSIGN_OR_RETURN(std::shared_ptr<Node> from, GetNode(req, parent));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> to, GetNode(req, newparent));
      return from->Rename(Fs(req), CallerOf(req), name, *to, newname, flags);
    }();
    ReplyStatus(req, "rename", st);
  });
}

// link: EPERM (scopes hold plain files only).
void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char* newname) {
  Guard(req, "link", [&] {
    ReplyStatus(req, "link",
                store::Status::Permission("hard link " + store::Printable(newname) +
                                          ": scopes hold plain files only"));
  });
}

// symlink: EPERM.
void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char* name) {
  Guard(req, "symlink", [&] {
    ReplyStatus(req, "symlink",
                store::Status::Permission("symlink " + store::Printable(name) +
                                          ": scopes hold plain files only"));
  });
}

// mknod: EPERM (devices, fifos, sockets; regular files come through create).
void OpMknod(fuse_req_t req, fuse_ino_t, const char* name, mode_t, dev_t) {
  Guard(req, "mknod", [&] {
    ReplyStatus(req, "mknod",
                store::Status::Permission("mknod " + store::Printable(name) +
                                          ": scopes hold plain files only"));
  });
}

}  // namespace scopefs::fs
