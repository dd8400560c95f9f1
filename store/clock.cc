#include "store/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

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

namespace {

// Reads exactly `width` digits at text[*pos].
std::optional<int> Digits(std::string_view text, size_t* pos, size_t width) {
  if (*pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  *pos += width;
  return value;
}

bool Expect(std::string_view text, size_t* pos, std::string_view any_of) {
  if (*pos >= text.size() || any_of.find(text[*pos]) == std::string_view::npos) return false;
  ++*pos;
  return true;
}

}  // namespace

std::optional<int64_t> ParseIsoTime(std::string_view text) {
  size_t pos = 0;
  std::tm tm{};
  auto year = Digits(text, &pos, 4);
  if (!year || !Expect(text, &pos, "-")) return std::nullopt;
  auto month = Digits(text, &pos, 2);
  if (!month || !Expect(text, &pos, "-")) return std::nullopt;
  auto day = Digits(text, &pos, 2);
  if (!day || !Expect(text, &pos, "T ")) return std::nullopt;
  auto hour = Digits(text, &pos, 2);
  if (!hour || !Expect(text, &pos, ":")) return std::nullopt;
  auto minute = Digits(text, &pos, 2);
  if (!minute || !Expect(text, &pos, ":")) return std::nullopt;
  auto second = Digits(text, &pos, 2);
  if (!second || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  int64_t nanos = 0;
  if (Expect(text, &pos, ".")) {
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 9) {
      nanos = nanos * 10 + (text[pos++] - '0');
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  std::time_t secs;
  if (pos == text.size()) {
    tm.tm_isdst = -1;
    secs = std::mktime(&tm);  // no offset: local time
  } else {
    int offset = 0;
    if (!Expect(text, &pos, "Z")) {
      const char sign = pos < text.size() ? text[pos] : '?';
      if (!Expect(text, &pos, "+-")) return std::nullopt;
      auto oh = Digits(text, &pos, 2);
      if (!oh || !Expect(text, &pos, ":")) return std::nullopt;
      auto om = Digits(text, &pos, 2);
      if (!om || *oh > 23 || *om > 59) return std::nullopt;
      offset = (sign == '-' ? -1 : 1) * (*oh * 3600 + *om * 60);
    }
    if (pos != text.size()) return std::nullopt;
    secs = timegm(&tm) - offset;
  }
  return int64_t{secs} * 1'000'000'000 + nanos;
}

}  // namespace scopefs::store
