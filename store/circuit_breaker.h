// CircuitBreaker: stops asking a shared tier that keeps failing, so a tier
// that is down costs the local cache nothing (docs/SHARED.md, "Failure
// isolation").
//
// Closed, it lets every call through. After `failures_to_open` consecutive
// failures it opens for a back-off (5 s at first), during which Allow() is
// false. When the back-off ends, one caller is let through as a trial (the
// others still wait); a trial that fails opens the breaker again for twice
// the back-off, up to `max_backoff_ns`; any success closes it and resets the
// back-off. A trial whose caller never reports is retried after the next
// back-off, so the breaker can never stay open for good.
//
// Only unavailability counts as a failure (IsTierUnavailable): an answer such
// as NotFound or Exists shows the tier is there.
//
// Thread-safety: thread-safe (internal locking, a leaf lock). The Clock must
// outlive it; tests move it by hand.
#pragma once

#include <cstdint>

#include "store/clock.h"
#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

// True for a tier's "down, slow or refusing for a while" (shared_tier.h):
// kIOError with errno EAGAIN. Never true for NotFound.
bool IsTierUnavailable(const Status& status);

struct CircuitBreakerOptions {
  int failures_to_open = 3;
  int64_t first_backoff_ns = int64_t{5} * 1'000'000'000;
  int64_t max_backoff_ns = int64_t{300} * 1'000'000'000;
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(const Clock* clock, CircuitBreakerOptions options = {});
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Whether to ask the tier now. True while closed; once the back-off has
  // passed, true for one caller (the trial), which must then report.
  bool Allow() EXCLUDES(mu_);
  void RecordSuccess() EXCLUDES(mu_);
  void RecordFailure() EXCLUDES(mu_);
  // Reports `status`, a tier call's outcome: a failure if IsTierUnavailable,
  // a success otherwise.
  void Record(const Status& status);

  // False while open (including a trial in flight): `shared.reachable`.
  bool closed() const EXCLUDES(mu_);
  // How long until the open breaker lets its next trial through (0 when
  // closed or due), by its Clock: a background thread sleeps that long.
  int64_t retry_in_ns() const EXCLUDES(mu_);

 private:
  const Clock* const clock_;
  const CircuitBreakerOptions options_;
  mutable Mutex mu_;                  // a leaf: nothing is taken under it
  int failures_ GUARDED_BY(mu_) = 0;  // consecutive
  bool open_ GUARDED_BY(mu_) = false;
  bool trial_ GUARDED_BY(mu_) = false;       // a trial was let through and has not failed
  int64_t backoff_ns_ GUARDED_BY(mu_) = 0;   // of the current opening
  int64_t retry_at_ns_ GUARDED_BY(mu_) = 0;  // while open: when the next trial may go
};

}  // namespace scopefs::store
