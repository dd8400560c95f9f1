// ManualClock: a store::Clock that stands still until a test moves it.
//
// Thread-safety: thread-safe (the time is atomic).
#pragma once

#include <atomic>
#include <cstdint>

#include "store/clock.h"

namespace scopefs::testing {

class ManualClock final : public store::Clock {
 public:
  int64_t NowNanos() const override { return now_.load(); }
  void Advance(int64_t ns) { now_ += ns; }

 private:
  std::atomic<int64_t> now_{int64_t{1'700'000'000} * 1'000'000'000};  // 2023-11-14
};

}  // namespace scopefs::testing
