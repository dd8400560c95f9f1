#include "store/serial_worker.h"

#include <algorithm>
#include <system_error>
#include <utility>

namespace scopefs::store {

SerialWorker::SerialWorker(size_t max_queued) : max_queued_(std::max<size_t>(1, max_queued)) {
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::system_error&) {
    // No thread to be had: Submit runs each task itself.
  }
}

SerialWorker::~SerialWorker() { Stop(); }

Status SerialWorker::Submit(Task task) {
  if (!thread_.joinable()) {
    // On the producer's thread, outside mu_: the task takes locks of its own.
    Status st;
    {
      MutexLock lock(&mu_);
      st = status_;
    }
    if (st.ok()) st = CallCatching(task);
    MutexLock lock(&mu_);
    if (status_.ok()) status_ = st;
    return status_;
  }
  {
    MutexLock lock(&mu_);
    changed_.Wait(&mu_,
                  [&]() REQUIRES(mu_) { return !status_.ok() || queued_.size() < max_queued_; });
    if (!status_.ok()) return status_;
    queued_.push_back(std::move(task));
  }
  changed_.NotifyAll();
  return Status::Ok();
}

Status SerialWorker::Finish() {
  Status st;
  {
    MutexLock lock(&mu_);
    changed_.Wait(&mu_,
                  [&]() REQUIRES(mu_) { return !status_.ok() || (queued_.empty() && !running_); });
    st = status_;
  }
  Stop();
  return st;
}

void SerialWorker::Stop() {
  if (!thread_.joinable()) return;
  {
    MutexLock lock(&mu_);
    ending_ = true;
    queued_.clear();
  }
  changed_.NotifyAll();
  thread_.join();
}

void SerialWorker::Run() {
  for (;;) {
    Task task;
    {
      MutexLock lock(&mu_);
      changed_.Wait(&mu_, [&]() REQUIRES(mu_) { return ending_ || !queued_.empty(); });
      if (queued_.empty()) return;  // ending
      task = std::move(queued_.front());
      queued_.pop_front();
      running_ = true;
    }
    Status st = CallCatching(task);
    task = nullptr;  // what it captured goes before the producer hears it is done
    {
      MutexLock lock(&mu_);
      running_ = false;
      if (!st.ok() && status_.ok()) {
        status_ = std::move(st);
        queued_.clear();
      }
    }
    changed_.NotifyAll();
  }
}

}  // namespace scopefs::store
