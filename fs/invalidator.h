// Invalidator: tells the kernel to forget names the daemon removed on its own.
//
// Evicted and expired scopes leave without a request from the kernel, which
// may keep their names cached for an hour. SPEC: notifications are sent from
// one dedicated thread, never from a request handler or under a lock a
// handler needs, so Queue() only appends and wakes the thread.
// Ownership: the Daemon; Stop() (or the destructor) joins the thread.
// Thread-safety: Queue() from any thread.
#pragma once

#include <fuse_lowlevel.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace scopefs::fs {

class Invalidator {
 public:
  explicit Invalidator(fuse_session* session);
  ~Invalidator();
  Invalidator(const Invalidator&) = delete;
  Invalidator& operator=(const Invalidator&) = delete;

  // The kernel should forget the top-level name `key`.
  void Queue(const std::string& key);
  void Stop();

 private:
  void Run();

  fuse_session* const session_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::string> keys_;  // GUARDED_BY(mu_)
  bool stopping_ = false;         // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace scopefs::fs
