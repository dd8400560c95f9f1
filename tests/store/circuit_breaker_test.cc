// CircuitBreaker: opens after three consecutive unavailable answers, lets one
// trial through per back-off, doubles the back-off up to its cap, and closes
// on a success. The clock is moved by hand.
#include "store/circuit_breaker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>

#include "tests/support/manual_clock.h"

namespace scopefs::store {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

using testing::ManualClock;

Status Unavailable() { return Status::FromErrno(EAGAIN, "service unavailable: HTTP 503"); }

class CircuitBreakerTest : public ::testing::Test {
 protected:
  // Fails the trial that the breaker lets through once its back-off passed.
  void FailTrialAfter(int64_t backoff_ns) {
    clock_.Advance(backoff_ns - 1);
    EXPECT_FALSE(breaker_.Allow()) << "open 1 ns before the back-off ends";
    clock_.Advance(1);
    ASSERT_TRUE(breaker_.Allow()) << "the trial goes at " << backoff_ns / kSecond << " s";
    EXPECT_FALSE(breaker_.Allow()) << "one trial at a time";
    breaker_.Record(Unavailable());
  }
  ManualClock clock_;
  CircuitBreaker breaker_{&clock_};
};

TEST_F(CircuitBreakerTest, OnlyUnavailableCountsAsAFailure) {
  EXPECT_TRUE(IsTierUnavailable(Unavailable()));
  EXPECT_FALSE(IsTierUnavailable(Status::NotFound("no such key")));
  EXPECT_FALSE(IsTierUnavailable(Status::Exists("HTTP 412")));
  EXPECT_FALSE(IsTierUnavailable(Status::FromErrno(EPROTO, "HTTP 400")));
  for (int i = 0; i < 10; ++i) breaker_.Record(Status::NotFound("absent"));
  EXPECT_TRUE(breaker_.closed());
  EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, OpensAfterThreeConsecutiveFailures) {
  breaker_.Record(Unavailable());
  breaker_.Record(Unavailable());
  breaker_.Record(Status::NotFound("an answer"));  // resets the count
  breaker_.Record(Unavailable());
  breaker_.Record(Unavailable());
  EXPECT_TRUE(breaker_.closed());
  EXPECT_TRUE(breaker_.Allow());
  breaker_.Record(Unavailable());
  EXPECT_FALSE(breaker_.closed());
  EXPECT_FALSE(breaker_.Allow());
  EXPECT_EQ(breaker_.retry_in_ns(), 5 * kSecond);
}

TEST_F(CircuitBreakerTest, TheBackOffDoublesToFiveMinutes) {
  for (int i = 0; i < 3; ++i) breaker_.Record(Unavailable());
  for (int64_t backoff : {5, 10, 20, 40, 80, 160, 300, 300}) {
    SCOPED_TRACE(backoff);
    FailTrialAfter(backoff * kSecond);
    EXPECT_FALSE(breaker_.closed());
  }
}

TEST_F(CircuitBreakerTest, LateFailuresOfCallsBeforeTheOpeningDoNotLengthenIt) {
  for (int i = 0; i < 5; ++i) breaker_.Record(Unavailable());  // five lookups at once
  EXPECT_EQ(breaker_.retry_in_ns(), 5 * kSecond);
}

TEST_F(CircuitBreakerTest, ASuccessfulTrialClosesItAndResetsTheBackOff) {
  for (int i = 0; i < 3; ++i) breaker_.Record(Unavailable());
  FailTrialAfter(5 * kSecond);
  clock_.Advance(10 * kSecond);
  ASSERT_TRUE(breaker_.Allow());
  breaker_.Record(Status::Ok());
  EXPECT_TRUE(breaker_.closed());
  EXPECT_EQ(breaker_.retry_in_ns(), 0);
  EXPECT_TRUE(breaker_.Allow());
  EXPECT_TRUE(breaker_.Allow());
  for (int i = 0; i < 3; ++i) breaker_.Record(Unavailable());
  EXPECT_EQ(breaker_.retry_in_ns(), 5 * kSecond);  // from the start again
}

TEST_F(CircuitBreakerTest, ATrialThatNeverReportsIsRetriedAfterTheBackOff) {
  for (int i = 0; i < 3; ++i) breaker_.Record(Unavailable());
  clock_.Advance(5 * kSecond);
  ASSERT_TRUE(breaker_.Allow());  // its caller is lost
  EXPECT_FALSE(breaker_.Allow());
  clock_.Advance(5 * kSecond);
  EXPECT_TRUE(breaker_.Allow());
}

}  // namespace
}  // namespace scopefs::store
