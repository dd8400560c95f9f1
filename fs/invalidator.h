// Invalidator: tells the kernel to forget names the daemon removed on its own.
//
// Evicted and expired scopes leave without a request from the kernel, which
// may keep their names cached for an hour. The names of the scope's files go
// too: a file open across the removal keeps its dentry, which would otherwise
// stay cached after the close and pin both inodes (and the daemon's nodes)
// until memory pressure. SPEC: notifications are sent from
// one dedicated thread, never from a request handler or under a lock a
// handler needs, so Queue() only appends and wakes the thread.
// Ownership: RunDaemon (daemon.cc); Stop() (or the destructor) joins the thread.
// Thread-safety: Queue() from any thread.
#pragma once

#include <fuse_lowlevel.h>

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "store/mutex.h"

namespace scopefs::fs {

class Invalidator {
 public:
  // `scope_dir` names the inode the kernel knows for a key's directory (0: none).
  Invalidator(fuse_session* session, std::function<fuse_ino_t(const std::string& key)> scope_dir);
  ~Invalidator();
  Invalidator(const Invalidator&) = delete;
  Invalidator& operator=(const Invalidator&) = delete;

  // The kernel should forget the top-level name `key` and its files' names
  // under directory inode `dir` (0: the one `scope_dir` names).
  void Queue(const std::string& key, fuse_ino_t dir = 0);
  void Stop();

 private:
  void Run();

  void Invalidate(fuse_ino_t parent, std::string_view name);

  fuse_session* const session_;
  const std::function<fuse_ino_t(const std::string&)> scope_dir_;
  store::Mutex mu_;
  store::CondVar wake_;
  struct Item {
    std::string key;
    fuse_ino_t dir = 0;
  };
  std::deque<Item> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace scopefs::fs
