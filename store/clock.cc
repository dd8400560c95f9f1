#include "store/clock.h"

#include <ctime>

#include <chrono>
#include <cstdio>

namespace scopefs::store {
namespace {

class SystemClockImpl final : public Clock {
 public:
  int64_t NowNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

const Clock* SystemClock() {
  static const SystemClockImpl* clock = new SystemClockImpl;  // stateless; never destroyed
  return clock;
}

std::string FormatIsoTime(int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1'000'000'000;
  int64_t micros = (unix_nanos % 1'000'000'000) / 1000;
  if (micros < 0) {
    micros += 1'000'000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return buf;
}

}  // namespace scopefs::store
