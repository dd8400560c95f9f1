// SerialWorker: tasks run on a thread of its own, one at a time, in the order
// they were given, so that a producer's loop and the work it hands off overlap
// (the index build's entries: IndexFeeder).
//
// At most `max_queued` tasks wait: a producer faster than the worker waits
// for room rather than queue without bound. The first task to fail stops the
// worker: the tasks behind it are dropped, and Submit and Finish return its
// error. A task that throws fails with ENOMEM (bad_alloc) or EIO. If no thread
// can be started, Submit runs each task itself.
//
// Ownership: the tasks own what they capture; whatever they point to must
// outlive Finish or the destructor (which drops waiting tasks and waits for
// the running one).
// Thread-safety: Submit and Finish from one thread (the producer's).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

class SerialWorker {
 public:
  using Task = std::function<Status()>;
  explicit SerialWorker(size_t max_queued);  // at least 1
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Queues `task`, after waiting for room; returns an earlier task's error
  // (and drops this one).
  Status Submit(Task task) EXCLUDES(mu_);
  // Waits until every task has run; returns the first error. No Submit after it.
  Status Finish() EXCLUDES(mu_);

 private:
  void Run() EXCLUDES(mu_);
  void Stop() EXCLUDES(mu_);

  const size_t max_queued_;
  Mutex mu_;
  CondVar changed_;  // a task queued or done, an error, or the end
  std::deque<Task> queued_ GUARDED_BY(mu_);
  bool running_ GUARDED_BY(mu_) = false;  // the thread is in a task
  bool ending_ GUARDED_BY(mu_) = false;
  Status status_ GUARDED_BY(mu_);
  std::thread thread_;  // last: it starts once the rest exists; not joinable: no thread
};

}  // namespace scopefs::store
