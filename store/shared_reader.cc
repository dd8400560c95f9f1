#include "store/shared_reader.h"

#include "store/key.h"
#include "store/log.h"

namespace scopefs::store {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// The negative cache is pruned of expired entries when it grows past this.
constexpr size_t kPruneAbsentAt = 4096;

}  // namespace

SharedReader::SharedReader(Store* store, const SharedTier* tier, CircuitBreaker* breaker,
                           SharedReaderOptions options)
    : store_(store), tier_(tier), breaker_(breaker), options_(options) {}

Result<std::shared_ptr<Scope>> SharedReader::FetchIfShared(const std::string& key,
                                                           SteadyTime deadline) {
  if (std::shared_ptr<Scope> scope = store_->Find(key)) return scope;
  if (!ValidateKey(key).ok()) return Status::NotFound("no scope " + Printable(key));
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    MutexLock lock(&mu_);
    if (cancelled_) return Status::NotFound("scope " + key + ": the shared tier is shutting down");
    if (auto it = absent_until_ns_.find(key); it != absent_until_ns_.end()) {
      if (options_.clock->NowNanos() < it->second) {
        return Status::NotFound("scope " + key + " is not in the shared tier (asked lately)");
      }
      absent_until_ns_.erase(it);
    }
    std::shared_ptr<Flight>& slot = flights_[key];
    if (!slot) {
      slot = std::make_shared<Flight>();
      leader = true;
    }
    flight = slot;
  }
  if (leader) {
    Result<std::shared_ptr<Scope>> result = Fetch(key, deadline);
    MutexLock lock(&mu_);
    flight->result = result;
    flight->done = true;
    flights_.erase(key);
    cv_.NotifyAll();
    return result;
  }
  MutexLock lock(&mu_);
  cv_.WaitFor(&mu_, deadline - std::chrono::steady_clock::now(),
              [&]() REQUIRES(mu_) { return flight->done || cancelled_; });
  if (flight->done) return *flight->result;
  return Status::NotFound("scope " + key + ": " +
                          (cancelled_ ? "the shared tier is shutting down"
                                      : "timed out waiting for its fetch from the shared tier"));
}

Result<std::shared_ptr<Scope>> SharedReader::Fetch(const std::string& key, SteadyTime deadline) {
  if (std::shared_ptr<Scope> scope = store_->Find(key)) return scope;  // a flight just ended
  if (!breaker_->Allow()) {
    return Status::NotFound("scope " + key + ": the shared tier " + tier_->url() +
                            " is unavailable (not asked again for now)");
  }
  ASSIGN_OR_RETURN(SharedScope found, Find(key, deadline));
  ASSIGN_OR_RETURN(std::unique_ptr<AdoptionDir> dir, store_->CreateAdoptionDir(found.bytes));
  Result<uint64_t> got = tier_->Fetch(found, dir->path());
  breaker_->Record(got.status());
  if (!got.ok()) {
    const Status& st = got.status();
    if (st.code() == Status::Code::kCorruption) return Rejected(key, st);
    if (st.code() == Status::Code::kNoSpace) return st;  // our disk, not the tier
    ++fetch_errors_;
    if (!IsTierUnavailable(st))
      LogWarning("shared tier: cannot fetch " + key + ": " + st.ToString());
    return Status::NotFound("scope " + key +
                            ": cannot fetch it from the shared tier: " + st.message());
  }
  bytes_fetched_ += *got;
  Result<std::shared_ptr<Scope>> adopted = store_->Adopt(key, std::move(dir));
  if (adopted.ok()) {
    ++fetches_;
    LogInfo("shared tier: fetched scope " + key + " from " + tier_->url() + " (" +
            std::to_string(*got) + " bytes, published by " + found.publisher + ")");
    return adopted;
  }
  const Status& st = adopted.status();
  if (st.code() == Status::Code::kCorruption) return Rejected(key, st);
  if (st.code() == Status::Code::kExists) {
    if (std::shared_ptr<Scope> scope = store_->Find(key)) return scope;  // committed meanwhile
    return Status::NotFound("scope " + key + " is pending here");
  }
  return st;
}

Result<SharedScope> SharedReader::Find(const std::string& key, SteadyTime deadline) {
  Result<SharedScope> found = tier_->Find(key);
  breaker_->Record(found.status());
  if (found.status().code() == Status::Code::kNotFound && options_.wait_for_leases) {
    found = WaitForLease(key, deadline);
  }
  if (found.ok()) return found;
  const Status& st = found.status();
  if (st.code() == Status::Code::kNotFound) {
    RememberAbsent(key);
    return Status::NotFound("scope " + key + " is not in the shared tier");
  }
  if (st.code() == Status::Code::kCorruption) return Rejected(key, st);  // a damaged manifest
  // Unavailable, refused, timed out: no answer, so nothing is remembered.
  return Status::NotFound("scope " + key + ": no answer from the shared tier: " + st.message());
}

Result<SharedScope> SharedReader::WaitForLease(const std::string& key, SteadyTime deadline) {
  Result<SharedLease> lease = tier_->FindLease(key);
  breaker_->Record(lease.status());
  if (!lease.ok()) return lease.status();  // NotFound: nobody computes it
  const std::string holder = lease->holder;
  ++lease_waits_;
  LogInfo("shared tier: scope " + key + " is being computed by " + holder + "; waiting for it");
  for (;;) {
    {
      MutexLock lock(&mu_);
      const SteadyTime now = std::chrono::steady_clock::now();
      cv_.WaitFor(&mu_, std::min(deadline, now + options_.lease_poll) - now,
                  [&]() REQUIRES(mu_) { return cancelled_; });
      if (cancelled_) return Status::Busy("shut down while " + holder + " computes it");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Busy("timed out waiting for " + holder + " to compute it");
    }
    Result<SharedScope> found = tier_->Find(key);
    breaker_->Record(found.status());
    if (found.status().code() != Status::Code::kNotFound) return found;  // or the tier failing
    lease = tier_->FindLease(key);
    breaker_->Record(lease.status());
    if (lease.ok()) continue;
    if (lease.status().code() != Status::Code::kNotFound) return lease.status();
    // The lease went: published between the two looks, or given up.
    found = tier_->Find(key);
    breaker_->Record(found.status());
    return found;
  }
}

Status SharedReader::Rejected(const std::string& key, const Status& why) {
  ++fetch_errors_;
  LogError("shared tier: rejected scope " + key + " from " + tier_->url() + ": " + why.ToString());
  RememberAbsent(key);
  return Status::NotFound("scope " + key +
                          " from the shared tier failed its checks: " + why.message());
}

void SharedReader::RememberAbsent(const std::string& key) {
  if (options_.negative_ttl_ns <= 0) return;
  const int64_t now = options_.clock->NowNanos();
  MutexLock lock(&mu_);
  if (absent_until_ns_.size() >= kPruneAbsentAt) {
    std::erase_if(absent_until_ns_, [now](const auto& entry) { return entry.second <= now; });
  }
  absent_until_ns_[key] = now + options_.negative_ttl_ns;
}

void SharedReader::Forget(const std::string& key) {
  MutexLock lock(&mu_);
  absent_until_ns_.erase(key);
}

void SharedReader::Cancel() {
  MutexLock lock(&mu_);
  cancelled_ = true;
  cv_.NotifyAll();
}

ReaderCounters SharedReader::counters() const {
  return {fetches_.load(), fetch_errors_.load(), bytes_fetched_.load(), lease_waits_.load()};
}

}  // namespace scopefs::store
