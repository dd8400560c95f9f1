#include "fs/invalidator.h"

#include <cerrno>
#include <cstring>

#include "store/layout.h"
#include "store/log.h"

namespace scopefs::fs {

Invalidator::Invalidator(fuse_session* session,
                         std::function<fuse_ino_t(const std::string&)> scope_dir)
    : session_(session), scope_dir_(std::move(scope_dir)), thread_([this] { Run(); }) {}

Invalidator::~Invalidator() { Stop(); }

void Invalidator::Queue(const std::string& key, fuse_ino_t dir) {
  {
    store::MutexLock lock(&mu_);
    queue_.push_back({key, dir});
  }
  wake_.NotifyAll();
}

void Invalidator::Stop() {
  {
    store::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

void Invalidator::Run() {
  for (;;) {
    Item item;
    {
      store::MutexLock lock(&mu_);
      wake_.Wait(&mu_, [this]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    // Looked up here, not when queued: the removal listener may run under a
    // pending file's lock (a write evicting for room), never the inode table's.
    if (fuse_ino_t dir = item.dir != 0 ? item.dir : scope_dir_(item.key); dir != 0) {
      for (std::string_view name : store::kScopeFiles) Invalidate(dir, name);
      for (std::string_view name : store::kIndexFiles) Invalidate(dir, name);
    }
    Invalidate(FUSE_ROOT_ID, item.key);
  }
}

void Invalidator::Invalidate(fuse_ino_t parent, std::string_view name) {
  // ENOENT: the kernel had no such entry cached, which is fine.
  int rc = fuse_lowlevel_notify_inval_entry(session_, parent, name.data(), name.size());
  if (rc != 0 && rc != -ENOENT) {
    store::LogWarning("cannot invalidate " + std::string(name) +
                      " in the kernel: " + std::strerror(-rc));
  }
}

}  // namespace scopefs::fs
