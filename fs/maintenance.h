// Maintenance: the thread that runs Store::RunMaintenance every interval
// (expiry, idle pending scopes, saving access times), then gives the heap's
// free pages back to the kernel (malloc_trim): the member cache and copies
// churn through 64 KiB blocks from up to 16 threads, and without it
// RSS shows the high-water mark of that churn, not what the daemon holds.
//
// Ownership: RunDaemon (daemon.cc); Stop() (or the destructor) wakes and joins it.
// Thread-safety: Stop() from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "store/mutex.h"
#include "store/store.h"

namespace scopefs::fs {

class Maintenance {
 public:
  // `after_pass` (may be empty) runs on the thread after each pass.
  Maintenance(store::Store* store, std::chrono::seconds interval,
              std::function<void()> after_pass = {});
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  void Stop();

 private:
  // Waits up to `timeout`; true if Stop() was called.
  bool StopRequestedWithin(std::chrono::seconds timeout) EXCLUDES(mu_);

  store::Store* const store_;
  const std::chrono::seconds interval_;
  const std::function<void()> after_pass_;
  store::Mutex mu_;
  store::CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace scopefs::fs
