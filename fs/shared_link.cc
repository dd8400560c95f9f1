#include "fs/shared_link.h"

#include <optional>

#include "store/log.h"

namespace scopefs::fs {

using store::MutexLock;
using store::Status;
using Clock = std::chrono::steady_clock;

SharedLink::SharedLink(store::Store* store, std::unique_ptr<store::SharedTier> tier,
                       Options options)
    : store_(store), tier_(std::move(tier)), options_(options), breaker_(store::SystemClock()) {}

store::Result<std::unique_ptr<SharedLink>> SharedLink::Start(
    store::Store* store, std::unique_ptr<store::SharedTier> tier, Options options) {
  const Status probe = tier->Probe();
  if (probe.code() == Status::Code::kNotFound) {
    store::LogError("shared tier " + tier->url() + ": bucket not found; running local-only");
    return std::unique_ptr<SharedLink>();
  }
  std::unique_ptr<SharedLink> link(new SharedLink(store, std::move(tier), options));
  if (!probe.ok()) {
    store::LogWarning("shared tier " + link->tier_->url() + ": " + probe.message() +
                      "; local scopes serve as usual, publishes queue until it answers");
    link->breaker_.Record(probe);
  }
  ASSIGN_OR_RETURN(link->publisher_,
                   store::SharedPublisher::Start(store, link->tier_.get(), &link->breaker_, {}));
  store->SetCommitListener([p = link->publisher_.get()](const std::string& key) {
    if (Status st = p->Enqueue(key); !st.ok()) {
      store::LogError("cannot queue the publish of " + key + ": " + st.message());
    }
  });
  link->reader_ = std::make_unique<store::SharedReader>(store, link->tier_.get(), &link->breaker_);
  link->keeper_ = std::thread([l = link.get()] { l->Keep(); });
  store::LogInfo("shared tier " + link->tier_->url() + ": publishing commits, reading through");
  return link;
}

SharedLink::~SharedLink() { Stop(); }

store::Result<std::shared_ptr<store::Scope>> SharedLink::Fetch(const std::string& key) {
  return reader_->FetchIfShared(key, std::chrono::steady_clock::now() + options_.wait);
}

store::SharedStats SharedLink::Stats() const {
  uint64_t held = 0;
  {
    MutexLock lock(&mu_);
    held = leases_.size();
  }
  return store::CollectSharedStats(*tier_, breaker_, reader_.get(), publisher_.get(), held);
}

Status SharedLink::TakeLease(const std::string& key) {
  {
    MutexLock lock(&mu_);
    if (leases_.count(key) != 0) return Status::Ok();  // ours already (mkdir after rmdir)
  }
  if (!breaker_.Allow()) return Status::Ok();  // the tier is down: compute locally
  store::Result<store::SharedLease> lease = tier_->AcquireLease(key, options_.lease_ttl);
  breaker_.Record(lease.status());
  if (lease.ok()) {
    // A host lets its lease go only once its manifest is in the tier, so with
    // the lease taken a manifest means the scope is there already: this
    // host's lookup missed it (its negative cache, or a publish just after).
    store::Result<store::SharedScope> found = tier_->Find(key);
    breaker_.Record(found.status());
    if (found.ok()) {
      if (Status st = tier_->ReleaseLease(*lease); !st.ok()) {
        store::LogWarning("shared tier: cannot release the lease on " + key + ": " + st.message());
      }
      reader_->Forget(key);  // the next lookup reads it through
      return Status::Exists("mkdir " + key + ": another host has published it");
    }
    MutexLock lock(&mu_);
    leases_[key] = Held{std::move(lease).value(), Clock::now()};
    return Status::Ok();
  }
  if (lease.status().code() == Status::Code::kExists) {
    store::LogWarning("mkdir " + key +
                      ": another host is computing it: " + lease.status().message());
    return Status::Busy("mkdir " + key + ": " + lease.status().message());
  }
  if (!store::IsTierUnavailable(lease.status())) {
    store::LogWarning("shared tier " + tier_->url() + ": no lease on " + key + " (" +
                      lease.status().message() + "); computing it locally");
  }
  return Status::Ok();
}

void SharedLink::ReleaseLease(const std::string& key) {
  std::optional<store::SharedLease> lease;
  {
    MutexLock lock(&mu_);
    auto it = leases_.find(key);
    if (it == leases_.end()) return;
    lease = it->second.lease;
    leases_.erase(it);
  }
  if (Status st = tier_->ReleaseLease(*lease); !st.ok()) {
    store::LogWarning("shared tier: cannot release the lease on " + key + ": " + st.message());
  }
}

bool SharedLink::Done(const std::string& key, Held& held) {
  const bool pending = store_->FindPending(key) != nullptr;
  if (!pending && store_->Find(key) == nullptr) return true;  // dropped, evicted or renamed
  if (!breaker_.Allow()) return false;                        // kept until the tier answers
  if (!pending) {
    // Committed: others wait on the lease until the manifest is there.
    store::Result<store::SharedScope> found = tier_->Find(key);
    breaker_.Record(found.status());
    if (found.ok()) return true;
    if (store::IsTierUnavailable(found.status())) return false;
    // Anything but "not there yet" (a manifest that does not parse, say) will
    // not change by waiting: others are better off computing it themselves.
    if (found.status().code() != Status::Code::kNotFound) return true;
  }
  const auto now = Clock::now();
  if (now - held.renewed < options_.lease_ttl / 3) return false;
  const Status renewed = tier_->RenewLease(held.lease, options_.lease_ttl);
  breaker_.Record(renewed);
  if (renewed.ok()) {
    held.renewed = now;
  } else if (renewed.code() == Status::Code::kExists) {
    store::LogWarning("the lease on " + key + " was lost: " + renewed.message());
    return true;
  }
  return false;
}

void SharedLink::Keep() {
  for (;;) {
    std::map<std::string, Held> held;
    {
      MutexLock lock(&mu_);
      cv_.WaitFor(&mu_, std::chrono::seconds(1), [&]() REQUIRES(mu_) { return stopping_; });
      if (stopping_) return;
      held = leases_;
    }
    for (auto& [key, h] : held) {
      const bool done = Done(key, h);
      bool release = false;
      {
        MutexLock lock(&mu_);
        auto it = leases_.find(key);
        if (it == leases_.end() || it->second.lease.id != h.lease.id) continue;  // released
        if (done) {
          leases_.erase(it);
          release = true;
        } else {
          it->second = h;
        }
      }
      if (release) {
        if (Status st = tier_->ReleaseLease(h.lease); !st.ok()) {
          store::LogWarning("shared tier: cannot release the lease on " + key + ": " +
                            st.message());
        }
      }
    }
  }
}

void SharedLink::CancelWaits() {
  if (reader_) reader_->Cancel();
}

void SharedLink::Stop() {
  CancelWaits();
  std::map<std::string, Held> held;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    held.swap(leases_);
  }
  cv_.NotifyAll();
  if (keeper_.joinable()) keeper_.join();
  // Pending scopes do not outlive the daemon's work on them: let others compute.
  for (const auto& [key, h] : held) {
    if (breaker_.closed()) (void)tier_->ReleaseLease(h.lease);
  }
  store_->SetCommitListener(nullptr);
  if (publisher_) publisher_->Stop();
}

}  // namespace scopefs::fs
