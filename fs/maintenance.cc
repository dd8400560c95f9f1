#include "fs/maintenance.h"

#include <malloc.h>

#include <exception>
#include <string>

#include "store/log.h"

namespace scopefs::fs {

Maintenance::Maintenance(store::Store* store, std::chrono::seconds interval)
    : store_(store), interval_(interval), thread_([this] {
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
          lock.unlock();
          try {
            store_->RunMaintenance();
            malloc_trim(0);
          } catch (const std::exception& e) {
            store::LogError(std::string("maintenance: ") + e.what());
          }
          lock.lock();
        }
      }) {}

Maintenance::~Maintenance() { Stop(); }

void Maintenance::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

}  // namespace scopefs::fs
