// lookup, forget.
#include "fs/ops.h"
#include "fs/request.h"

namespace scopefs::fs {

// lookup: fuse_reply_entry, or ENOENT (no such name, here or on the shared
// tier), ENOTDIR, ESTALE (parent gone); a scope read through from the shared
// tier may also give ENOSPC (larger than the cache) or EIO (storing it failed).
void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "lookup", [&] {
    Filesystem& fs = Fs(req);
    store::Result<fuse_entry_param> entry = [&]() -> store::Result<fuse_entry_param> {
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> child, dir->Lookup(fs, name));
      store::Result<fuse_entry_param> e = MakeEntry(fs, *child);
      if (!e.ok()) fs.inodes().Forget(child->ino(), 1);  // the kernel will not hear of it
      return e;
    }();
    if (!entry.ok()) return ReplyStatus(req, "lookup", entry.status());
    fuse_reply_entry(req, &*entry);
  });
}

// forget: no reply.
void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  GuardNoReply(req, "forget", [&] { Fs(req).inodes().Forget(ino, nlookup); });
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  GuardNoReply(req, "forget", [&] {
    for (size_t i = 0; i < count; ++i) Fs(req).inodes().Forget(forgets[i].ino, forgets[i].nlookup);
  });
}

}  // namespace scopefs::fs
