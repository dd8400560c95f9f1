#include "fs/invalidator.h"

#include <cerrno>
#include <cstring>

#include "store/log.h"

namespace scopefs::fs {

Invalidator::Invalidator(fuse_session* session) : session_(session), thread_([this] { Run(); }) {}

Invalidator::~Invalidator() { Stop(); }

void Invalidator::Queue(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    keys_.push_back(key);
  }
  wake_.notify_one();
}

void Invalidator::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Invalidator::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !keys_.empty(); });
    if (stopping_) return;
    std::string key = std::move(keys_.front());
    keys_.pop_front();
    lock.unlock();
    // ENOENT: the kernel had no such entry cached, which is fine.
    int rc = fuse_lowlevel_notify_inval_entry(session_, FUSE_ROOT_ID, key.c_str(), key.size());
    if (rc != 0 && rc != -ENOENT) {
      store::LogWarning("cannot invalidate " + key + " in the kernel: " + std::strerror(-rc));
    }
    lock.lock();
  }
}

}  // namespace scopefs::fs
