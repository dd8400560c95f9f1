// Clock: where the store reads the time, so tests can move it by hand.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace scopefs::store {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch (wall clock: times are shown to users).
  virtual int64_t NowNanos() const = 0;
};

// The system's realtime clock. Stateless; lives for the whole process.
const Clock* SystemClock();

// "2026-11-21T07:42:43.123456+00:00": ISO 8601 in UTC with an explicit offset,
// microsecond precision, as Python's datetime.isoformat() prints it.
std::string FormatIsoTime(int64_t unix_nanos);

}  // namespace scopefs::store
