// Clock: where the store reads the time, so tests can move it by hand.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
// Parses ISO 8601 as FormatIsoTime and Python's isoformat() write it:
// YYYY-MM-DDTHH:MM:SS, then optionally a fraction of up to 9 digits and a
// "Z" or ±HH:MM offset ('T' may be a space). Without an offset the time is
// local, as Python's datetime.now().isoformat() means it. nullopt otherwise.
std::optional<int64_t> ParseIsoTime(std::string_view text);

}  // namespace scopefs::store
