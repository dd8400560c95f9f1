#include "fs/node.h"

#include <fcntl.h>

#include <cstdio>

#include "fs/filesystem.h"
#include "fs/handle.h"
#include "store/key.h"

namespace scopefs::fs {

std::string Node::name() const {
  store::MutexLock lock(&mu_);
  return name_;
}

void Node::SetName(std::string name) {
  store::MutexLock lock(&mu_);
  name_ = std::move(name);
}

store::Status Node::SetAttr(Filesystem&, const Caller&, const store::AttrChange&, Handle*) {
  return store::Status::Permission("cannot change attributes of " + name());
}

store::Result<std::unique_ptr<Handle>> Node::Open(Filesystem&, const Caller&, fuse_file_info*) {
  return store::Status::IsDir("open " + name());
}

store::Result<std::shared_ptr<Node>> Node::Lookup(Filesystem&, const std::string& name) {
  return store::Status::NotDir(store::Printable(name));
}

store::Result<std::vector<DirEntry>> Node::List(const Filesystem&) const {
  return store::Status::NotDir(name());
}

store::Result<std::shared_ptr<Node>> Node::Mkdir(Filesystem&, const Caller&,
                                                 const std::string& name, mode_t) {
  return store::Status::Permission("mkdir " + store::Printable(name) +
                                   ": scopes hold files only, no subdirectories");
}

store::Status Node::Rmdir(Filesystem&, const std::string& name) {
  return store::Status::NotFound(store::Printable(name));
}

store::Result<std::unique_ptr<Handle>> Node::Create(Filesystem&, const Caller&,
                                                    const std::string& name, mode_t,
                                                    fuse_file_info*) {
  return store::Status::Permission("create " + store::Printable(name) +
                                   ": files go inside a scope directory");
}

store::Status Node::Unlink(Filesystem&, const std::string& name) {
  return store::Status::Permission("unlink " + store::Printable(name) + ": not allowed here");
}

store::Status Node::Rename(Filesystem&, const Caller&, const std::string& from, Node&,
                           const std::string&, unsigned int) {
  return store::Status::Permission("rename " + store::Printable(from) + ": not allowed here");
}

void SetTimes(struct stat& st, int64_t atime_ns, int64_t mtime_ns, int64_t ctime_ns) {
  auto ts = [](int64_t ns) {
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  };
  st.st_atim = ts(atime_ns);
  st.st_mtim = ts(mtime_ns);
  st.st_ctim = ts(ctime_ns);
}

namespace {
// What every stat of the mount shares: the inode, the daemon's user and group.
struct stat OwnedStat(const Filesystem& fs, const Node& node) {
  struct stat st {};
  st.st_ino = node.ino();
  st.st_uid = fs.access().daemon_uid();
  st.st_gid = fs.access().daemon_gid();
  st.st_blksize = 4096;
  return st;
}
}  // namespace

struct stat DirStat(const Filesystem& fs, const Node& node, mode_t mode) {
  struct stat st = OwnedStat(fs, node);
  st.st_mode = S_IFDIR | mode;
  st.st_nlink = 2;
  st.st_size = 4096;
  return st;
}

struct stat FileStat(const Filesystem& fs, const Node& node, mode_t mode, uint64_t size) {
  struct stat st = OwnedStat(fs, node);
  st.st_mode = S_IFREG | mode;
  st.st_nlink = 1;
  st.st_size = static_cast<off_t>(size);
  st.st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
  return st;
}

struct stat UserFileStat(const Filesystem& fs, const Node& node, const store::FileAttrs& a) {
  struct stat st = FileStat(fs, node, a.mode, a.size);
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  SetTimes(st, a.atime_ns, a.mtime_ns, a.ctime_ns);
  return st;
}

bool WantsWrite(const fuse_file_info* fi) {
  return (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC);
}

std::string AddressOf(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

}  // namespace scopefs::fs
