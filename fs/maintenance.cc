#include "fs/maintenance.h"

#include <malloc.h>

#include <exception>
#include <string>
#include <utility>

#include "store/log.h"

namespace scopefs::fs {

Maintenance::Maintenance(store::Store* store, std::chrono::seconds interval,
                         std::function<void()> after_pass)
    : store_(store), interval_(interval), after_pass_(std::move(after_pass)), thread_([this] {
        std::unique_lock lock(mu_);
        while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
          lock.unlock();
          try {
            store_->RunMaintenance();
            if (after_pass_) after_pass_();
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
