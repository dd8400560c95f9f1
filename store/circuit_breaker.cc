#include "store/circuit_breaker.h"

#include <algorithm>
#include <cerrno>

namespace scopefs::store {

bool IsTierUnavailable(const Status& status) {
  return status.code() == Status::Code::kIOError && status.err() == EAGAIN;
}

CircuitBreaker::CircuitBreaker(const Clock* clock, CircuitBreakerOptions options)
    : clock_(clock), options_(options) {}

bool CircuitBreaker::Allow() {
  MutexLock lock(&mu_);
  if (!open_) return true;
  const int64_t now = clock_->NowNanos();
  if (now < retry_at_ns_) return false;
  // The trial: the others wait another back-off unless it reports first.
  retry_at_ns_ = now + backoff_ns_;
  trial_ = true;
  return true;
}

void CircuitBreaker::RecordSuccess() {
  MutexLock lock(&mu_);
  failures_ = 0;
  open_ = false;
  trial_ = false;
  backoff_ns_ = 0;
  retry_at_ns_ = 0;
}

void CircuitBreaker::RecordFailure() {
  MutexLock lock(&mu_);
  ++failures_;
  if (open_) {
    // Calls let through before the breaker opened fail late: only a trial's
    // failure lengthens the back-off.
    if (!trial_) return;
    trial_ = false;
    backoff_ns_ = std::min(backoff_ns_ * 2, options_.max_backoff_ns);
  } else if (failures_ >= options_.failures_to_open) {
    open_ = true;
    backoff_ns_ = options_.first_backoff_ns;
  } else {
    return;
  }
  retry_at_ns_ = clock_->NowNanos() + backoff_ns_;
}

void CircuitBreaker::Record(const Status& status) {
  if (IsTierUnavailable(status)) {
    RecordFailure();
  } else {
    RecordSuccess();
  }
}

bool CircuitBreaker::closed() const {
  MutexLock lock(&mu_);
  return !open_;
}

int64_t CircuitBreaker::retry_in_ns() const {
  MutexLock lock(&mu_);
  return open_ ? std::max<int64_t>(retry_at_ns_ - clock_->NowNanos(), 0) : 0;
}

}  // namespace scopefs::store
