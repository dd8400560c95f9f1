// opendir, readdir, releasedir, mkdir, rmdir.
#include <fuse_lowlevel.h>

#include "fs/handle.h"
#include "fs/ops.h"
#include "fs/request.h"
#include "store/key.h"

namespace scopefs::fs {

// opendir: fuse_reply_open, or ENOTDIR, ESTALE. The listing is taken here, so
// a readdir in pieces sees one consistent snapshot.
void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "opendir", [&] {
    Filesystem& fs = Fs(req);
    store::Result<std::unique_ptr<Handle>> handle =
        [&]() -> store::Result<std::unique_ptr<Handle>> {
      ASSIGN_OR_RETURN(std::shared_ptr<Node> node, GetNode(req, ino));
      ASSIGN_OR_RETURN(std::vector<DirEntry> entries, node->List(fs));
      return std::unique_ptr<Handle>(std::make_unique<DirHandle>(node, std::move(entries)));
    }();
    if (!handle.ok()) return ReplyStatus(req, "opendir", handle.status());
    StoreHandle(fs, fi, std::move(handle).value());
    if (fuse_reply_open(req, fi) != 0) TakeHandle(fs, fi);  // interrupted: nobody will release it
  });
}

namespace {
// The d_ino of entry `i` listed without a lookup: in listing order where the
// directory asks for it (Node::ListsInOrder), else a hash of the name. Never
// 0: readers skip those; the real number comes with lookup.
ino_t ListedIno(const DirHandle& handle, size_t i) {
  if (handle.node().ListsInOrder()) return (handle.node().ino() << 8) + i + 1;
  return std::hash<std::string>()(handle.entries[i].name) | 1;
}
}  // namespace

// readdir: fuse_reply_buf. Offsets: 0 ".", 1 "..", then entry i at i + 2.
void OpReaddir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "readdir", [&] {
    const auto& handle = static_cast<const DirHandle&>(GetHandle(fi));
    std::string buf(size, '\0');
    size_t used = 0;
    const size_t total = handle.entries.size() + 2;
    for (size_t i = static_cast<size_t>(off); i < total; ++i) {
      struct stat st {};
      std::string name;
      if (i < 2) {
        name = i == 0 ? "." : "..";
        st.st_mode = S_IFDIR;
        st.st_ino = i == 0 ? handle.node().ino() : kRootIno;
      } else {
        name = handle.entries[i - 2].name;
        st.st_mode = handle.entries[i - 2].type;
        st.st_ino = ListedIno(handle, i - 2);
      }
      size_t need = fuse_add_direntry(req, buf.data() + used, size - used, name.c_str(), &st,
                                      static_cast<off_t>(i + 1));
      if (need > size - used) break;
      used += need;
    }
    MarkHandleUsed(handle);
    fuse_reply_buf(req, buf.data(), used);
  });
}

// readdirplus: fuse_reply_buf of entries with their attributes, so `ls -l`
// needs no lookup per name. Each entry but "." and ".." counts one kernel
// lookup; one that does not fit in the buffer is un-counted.
void OpReaddirplus(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "readdirplus", [&] {
    Filesystem& fs = Fs(req);
    const auto& handle = static_cast<const DirHandle&>(GetHandle(fi));
    std::string buf(size, '\0');
    size_t used = 0;
    const size_t total = handle.entries.size() + 2;
    for (size_t i = static_cast<size_t>(off); i < total; ++i) {
      fuse_entry_param e{};
      std::string name;
      std::shared_ptr<Node> child;
      if (i < 2) {
        name = i == 0 ? "." : "..";
        e.attr.st_mode = S_IFDIR;
        e.attr.st_ino = i == 0 ? handle.node().ino() : kRootIno;
      } else if (handle.node().ListsInOrder()) {
        // Without attributes (ino 0: no lookup counted), so d_ino keeps the order.
        name = handle.entries[i - 2].name;
        e.attr.st_mode = handle.entries[i - 2].type;
        e.attr.st_ino = ListedIno(handle, i - 2);
      } else {
        name = handle.entries[i - 2].name;
        store::Result<std::shared_ptr<Node>> found = handle.node().Lookup(fs, name);
        store::Result<fuse_entry_param> entry =
            found.ok() ? MakeEntry(fs, **found) : store::Result<fuse_entry_param>(found.status());
        if (entry.ok()) {
          child = *found;
          e = *entry;
        } else {
          if (found.ok()) fs.inodes().Forget((*found)->ino(), 1);
          // Gone since opendir: listed without attributes (ino 0: no lookup counted).
          e.attr.st_mode = handle.entries[i - 2].type;
          e.attr.st_ino = ListedIno(handle, i - 2);
        }
      }
      size_t need = fuse_add_direntry_plus(req, buf.data() + used, size - used, name.c_str(), &e,
                                           static_cast<off_t>(i + 1));
      if (need > size - used) {
        if (child) fs.inodes().Forget(child->ino(), 1);  // the kernel will not see it
        break;
      }
      used += need;
    }
    MarkHandleUsed(handle);
    fuse_reply_buf(req, buf.data(), used);
  });
}

void OpReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, "releasedir", [&] {
    TakeHandle(Fs(req), fi);
    fuse_reply_err(req, 0);
  });
}

// mkdir: fuse_reply_entry for a new pending scope, or EACCES (no write right),
// EINVAL (bad key), EEXIST, EPERM (a directory anywhere but the top level),
// EBUSY (another host holds the shared tier's computation lease on the key).
void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Guard(req, "mkdir", [&] {
    Filesystem& fs = Fs(req);
    store::Result<fuse_entry_param> entry = [&]() -> store::Result<fuse_entry_param> {
      RETURN_IF_ERROR(MayWrite(req, "mkdir " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> node, dir->Mkdir(fs, CallerOf(req), name, mode));
      return MakeEntry(fs, *node);
    }();
    if (!entry.ok()) return ReplyStatus(req, "mkdir", entry.status());
    fuse_reply_entry(req, &*entry);
  });
}

// rmdir: 0, or EACCES (no write right), ENOTEMPTY (a scope with files), ENOENT,
// EPERM (.scopefs).
void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "rmdir", [&] {
    store::Status st = [&]() -> store::Status {
      RETURN_IF_ERROR(MayWrite(req, "rmdir " + store::Printable(name)));
      ASSIGN_OR_RETURN(std::shared_ptr<Node> dir, GetNode(req, parent));
      return dir->Rmdir(Fs(req), name);
    }();
    ReplyStatus(req, "rmdir", st);
  });
}

}  // namespace scopefs::fs
