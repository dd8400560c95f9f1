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
        while (!StopRequestedWithin(interval_)) {
          try {
            store_->RunMaintenance();
            if (after_pass_) after_pass_();
            malloc_trim(0);
          } catch (const std::exception& e) {
            store::LogError(std::string("maintenance: ") + e.what());
          }
        }
      }) {}

bool Maintenance::StopRequestedWithin(std::chrono::seconds timeout) {
  store::MutexLock lock(&mu_);
  return wake_.WaitFor(&mu_, timeout, [this]() REQUIRES(mu_) { return stopping_; });
}

Maintenance::~Maintenance() { Stop(); }

void Maintenance::Stop() {
  {
    store::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

}  // namespace scopefs::fs
