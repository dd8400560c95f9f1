// Node: what one FUSE inode number stands for.
//
// Each kind of thing the mount shows is a subclass (kinds.h, one file each)
// that owns its attributes, its cache timeouts, what opening it gives and, for
// directories, its names. Handlers (op_*.cc) find the node and ask it; they
// never ask what kind it is. Every answer is a Status / Result; the handler
// turns it into the one reply.
// Ownership: the InodeTable, and open handles, through std::shared_ptr.
// Thread-safety: thread-safe; ino never changes, the name is guarded by mu_,
// and each kind guards its own bindings.
#pragma once

#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "fs/caller.h"
#include "store/mutex.h"
#include "store/pending_scope.h"
#include "store/status.h"

namespace scopefs::fs {

class Filesystem;
class Handle;

inline constexpr fuse_ino_t kRootIno = FUSE_ROOT_ID;
inline constexpr fuse_ino_t kControlDirIno = 2;
inline constexpr fuse_ino_t kFirstDynamicIno = 16;

// Committed scopes never change, so the kernel may keep their names and file
// attributes for long; eviction and expiry invalidate them explicitly.
inline constexpr double kImmutableTimeout = 3600;
// A directory's atime is its scope's last access (`ls -lut` shows LRU order).
inline constexpr double kDirAttrTimeout = 1;

struct DirEntry {
  std::string name;
  mode_t type;  // S_IFDIR or S_IFREG
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node(fuse_ino_t ino, std::string name) : ino_(ino), name_(std::move(name)) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  fuse_ino_t ino() const { return ino_; }
  std::string name() const;
  void SetName(std::string name);

  // stat. Stale (ESTALE) once what the node stood for is gone.
  virtual store::Result<struct stat> Attr(const Filesystem& fs) const = 0;
  // How long the kernel may cache the node's name, and its attributes.
  // Default 0: the kernel asks every time.
  virtual double EntryTimeout() const { return 0; }
  virtual double AttrTimeout() const { return 0; }
  // setattr, by a caller with the write right; `handle` is the open file an
  // ftruncate came through, or null. Default: Permission.
  virtual store::Status SetAttr(Filesystem& fs, const Caller& caller,
                                const store::AttrChange& change, Handle* handle);
  // open: a handle, with fi's caching flags set (direct_io, keep_cache,
  // noflush). Default: IsDir.
  virtual store::Result<std::unique_ptr<Handle>> Open(Filesystem& fs, const Caller& caller,
                                                      fuse_file_info* fi);

  // Directories. The defaults are a file's answers: NotDir for Lookup and
  // List, Permission for changes, NotFound for rmdir.
  // Lookup counts one kernel lookup of the node it returns.
  virtual store::Result<std::shared_ptr<Node>> Lookup(Filesystem& fs, const std::string& name);
  virtual store::Result<std::vector<DirEntry>> List(const Filesystem& fs) const;
  // True if a listing numbers its entries (d_ino) in listing order, without
  // looking them up: `cp -r` copies a directory in d_ino order, and real
  // inode numbers follow lookup history. Default: false.
  virtual bool ListsInOrder() const { return false; }
  virtual store::Result<std::shared_ptr<Node>> Mkdir(Filesystem& fs, const Caller& caller,
                                                     const std::string& name, mode_t mode);
  virtual store::Status Rmdir(Filesystem& fs, const std::string& name);
  // A new file, opened: the handle's node counts one kernel lookup.
  virtual store::Result<std::unique_ptr<Handle>> Create(Filesystem& fs, const Caller& caller,
                                                        const std::string& name, mode_t mode,
                                                        fuse_file_info* fi);
  virtual store::Status Unlink(Filesystem& fs, const std::string& name);
  // REQUIRES: flags has no RENAME_EXCHANGE.
  virtual store::Status Rename(Filesystem& fs, const Caller& caller, const std::string& from,
                               Node& to_dir, const std::string& to, unsigned int flags);

  // Kernel lookup count (FUSE forget protocol); guarded by the InodeTable.
  uint64_t lookups = 0;

 private:
  const fuse_ino_t ino_;
  mutable store::Mutex mu_;
  std::string name_ GUARDED_BY(mu_);
};

// For the kinds' Attr(): a stat of a directory or a regular file of the
// daemon's user, and its times.
struct stat DirStat(const Filesystem& fs, const Node& node, mode_t mode);
struct stat FileStat(const Filesystem& fs, const Node& node, mode_t mode, uint64_t size);
void SetTimes(struct stat& st, int64_t atime_ns, int64_t mtime_ns, int64_t ctime_ns);
// A file's owner, mode and times as users set them (pending files, drafts).
struct stat UserFileStat(const Filesystem& fs, const Node& node, const store::FileAttrs& a);

// True when an open asks to change the file (a write mode or O_TRUNC).
bool WantsWrite(const fuse_file_info* fi);

// A stable identity for an object the node binds to (InodeTable identities).
std::string AddressOf(const void* p);

}  // namespace scopefs::fs
