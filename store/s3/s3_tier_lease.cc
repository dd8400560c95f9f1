// S3Tier's computation leases (docs/SHARED.md, "Leases"; the races are in
// s3_tier.h).
#include <time.h>
#include <unistd.h>

#include <chrono>

#include "store/key.h"
#include "store/s3/lease_record.h"
#include "store/s3/s3_error.h"
#include "store/s3/s3_tier.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::SharedLease;
using store::Status;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t ExpiryNs(std::chrono::seconds ttl) {
  return NowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
}

// "2026-11-29T10:48:04Z"
std::string UtcTime(int64_t ns) {
  const time_t seconds = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm {};
  char text[32] = "?";
  if (gmtime_r(&seconds, &tm) != nullptr) strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

Status HeldBy(const SharedLease& lease) {
  return Status::Exists("the lease on " + lease.key + " is held by " + lease.holder + " until " +
                        UtcTime(lease.expires_ns));
}

Status CheckTtl(std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return Status::Invalid("a lease needs a positive ttl");
  return Status::Ok();
}

}  // namespace

std::string S3Tier::Holder() const { return options_.host + ":" + std::to_string(getpid()); }

Result<SharedLease> S3Tier::ReadLease(const std::string& key) const {
  RETURN_IF_ERROR(store::ValidateKey(key));
  ASSIGN_OR_RETURN(const std::string text, client_->GetObject(layout_.Lease(key)));
  return ParseLeaseRecord(text, key);
}

Result<SharedLease> S3Tier::AcquireLease(const std::string& key, std::chrono::seconds ttl) const {
  RETURN_IF_ERROR(store::ValidateKey(key));
  RETURN_IF_ERROR(CheckTtl(ttl));
  // Each round either takes the lease, finds it live, or clears an expired or
  // released one for the next round; others doing the same can only make it
  // run out of rounds.
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    SharedLease lease{key, NewPublishId(), Holder(), ExpiryNs(ttl)};
    const Status put =
        client_->PutObject(layout_.Lease(key), SerializeLeaseRecord(lease), PutMode::kIfAbsent);
    if (put.ok()) return lease;
    if (ErrorKindOf(put) != S3ErrorKind::kPreconditionFailed) return put;
    Result<SharedLease> held = ReadLease(key);
    if (!held.ok() && held.status().code() == Status::Code::kNotFound) continue;  // released
    if (!held.ok()) return held.status();
    if (held->expires_ns > NowNs()) return HeldBy(*held);
    // Expired: delete it, and let the conditional PUT of the next round
    // settle a race with another host doing the same.
    RETURN_IF_ERROR(client_->DeleteObject(layout_.Lease(key)));
  }
  return Status::Exists("the lease on " + key + " changed hands " + std::to_string(kRounds) +
                        " times as this host tried to take it");
}

Status S3Tier::RenewLease(SharedLease& lease, std::chrono::seconds ttl) const {
  RETURN_IF_ERROR(CheckTtl(ttl));
  SharedLease renewed = lease;
  renewed.expires_ns = ExpiryNs(ttl);
  Result<SharedLease> held = ReadLease(lease.key);
  if (!held.ok() && held.status().code() == Status::Code::kNotFound) {
    // Gone (deleted by a host that found it expired, which then gave up):
    // nobody holds it, so it is ours again if no one else is faster.
    const Status put = client_->PutObject(layout_.Lease(lease.key), SerializeLeaseRecord(renewed),
                                          PutMode::kIfAbsent);
    if (ErrorKindOf(put) == S3ErrorKind::kPreconditionFailed) {
      return Status::Exists("the lease on " + lease.key + " was taken by another host");
    }
    RETURN_IF_ERROR(put);
    lease = renewed;
    return Status::Ok();
  }
  if (!held.ok()) return held.status();
  if (held->id != lease.id) return HeldBy(*held);
  RETURN_IF_ERROR(client_->PutObject(layout_.Lease(lease.key), SerializeLeaseRecord(renewed),
                                     PutMode::kOverwrite));
  lease = renewed;
  return Status::Ok();
}

Status S3Tier::ReleaseLease(const SharedLease& lease) const {
  Result<SharedLease> held = ReadLease(lease.key);
  if (!held.ok() && held.status().code() == Status::Code::kNotFound) return Status::Ok();
  if (!held.ok()) return held.status();
  if (held->id != lease.id) return Status::Ok();  // another host's now
  return client_->DeleteObject(layout_.Lease(lease.key));
}

Result<SharedLease> S3Tier::FindLease(const std::string& key) const {
  ASSIGN_OR_RETURN(SharedLease lease, ReadLease(key));
  if (lease.expires_ns <= NowNs()) {
    return Status::NotFound("the lease on " + key + " expired at " + UtcTime(lease.expires_ns));
  }
  return lease;
}

}  // namespace scopefs::s3
