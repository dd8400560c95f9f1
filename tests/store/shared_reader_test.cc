// SharedReader's own logic, with the in-process tier double (its comment says
// what it is): one fetch for many callers, absent answers remembered for a
// while and unavailable ones never, damaged bytes rejected and retried later,
// the breaker, and the wait for another host's lease. The read-through
// against a real tier is tests/shared/shared_tier_test.cc.
#include "store/shared_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/store/shared_tier_double.h"
#include "tests/support/manual_clock.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using namespace std::chrono_literals;
using testing::SharedTierDouble;

constexpr int64_t kSecond = 1'000'000'000;

using testing::ManualClock;

std::unique_ptr<Store> OpenStore(const std::string& root) {
  StoreOptions options;
  options.commit.codec.chunk_size = 4096;
  Result<std::unique_ptr<Store>> store = Store::Open(PosixEnv(), root, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

class SharedReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = OpenStore(tmp_.path() + "/a");
    store_ = OpenStore(tmp_.path() + "/b");
    ASSERT_TRUE(source_ && store_);
    auto pending = testing::PendTestScope(*source_, "k1", testing::MakeScopeFiles(200, 100));
    ASSERT_TRUE(pending && source_->Commit(pending).ok());
    tier_.Hold("k1", source_->layout().scope_dir("k1"));
  }
  std::unique_ptr<SharedReader> Reader(SharedReaderOptions options = {}) {
    options.clock = &clock_;
    return std::make_unique<SharedReader>(store_.get(), &tier_, &breaker_, options);
  }
  static std::chrono::steady_clock::time_point In(std::chrono::milliseconds ms) {
    return std::chrono::steady_clock::now() + ms;
  }
  bool StagingEmpty() { return std::filesystem::is_empty(store_->layout().staging_dir()); }

  testing::TempDir tmp_;
  std::unique_ptr<Store> source_, store_;
  SharedTierDouble tier_;
  ManualClock clock_;
  CircuitBreaker breaker_{&clock_};
};

TEST_F(SharedReaderTest, AScopeTheTierHoldsIsFetchedAndAdoptedOnce) {
  auto reader = Reader();
  Result<std::shared_ptr<Scope>> scope = reader->FetchIfShared("k1", In(10s));
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ(store_->Find("k1"), *scope);
  EXPECT_EQ(store_->counters().adopted, 1u);
  EXPECT_EQ(reader->counters().fetches, 1u);
  EXPECT_GT(reader->counters().bytes_fetched, (*scope)->record().stored_bytes());  // + meta.json
  ASSERT_TRUE(reader->FetchIfShared("k1", In(10s)).ok());
  EXPECT_EQ(tier_.finds, 1) << "the local copy answers now";
  EXPECT_TRUE(StagingEmpty());
}

TEST_F(SharedReaderTest, ManyCallersShareOneFetch) {
  auto reader = Reader();
  tier_.Close();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += reader->FetchIfShared("k1", In(30s)).ok(); });
  }
  while (tier_.fetches.load() == 0) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);  // the others reach the flight (no effect on correctness)
  tier_.Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(tier_.fetches, 1);
  EXPECT_LE(tier_.finds, 8);
  EXPECT_EQ(reader->counters().fetches, 1u);
}

TEST_F(SharedReaderTest, AWaitingCallerGivesUpAtItsDeadline) {
  auto reader = Reader();
  tier_.Close();
  std::thread leader([&] { EXPECT_TRUE(reader->FetchIfShared("k1", In(30s)).ok()); });
  while (tier_.fetches.load() == 0) std::this_thread::sleep_for(1ms);
  Result<std::shared_ptr<Scope>> late = reader->FetchIfShared("k1", In(50ms));
  EXPECT_EQ(late.status().code(), Status::Code::kNotFound);
  EXPECT_NE(late.status().message().find("timed out"), std::string::npos);
  tier_.Open();
  leader.join();
}

TEST_F(SharedReaderTest, AnAbsentKeyIsRememberedForTenSeconds) {
  auto reader = Reader();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(reader->FetchIfShared("nope", In(1s)).status().code(), Status::Code::kNotFound);
  }
  EXPECT_EQ(tier_.finds, 1);
  clock_.Advance(10 * kSecond);
  EXPECT_FALSE(reader->FetchIfShared("nope", In(1s)).ok());
  EXPECT_EQ(tier_.finds, 2);
  EXPECT_TRUE(breaker_.closed());
}

TEST_F(SharedReaderTest, ForgetEndsTheAbsentAnswerForItsKeyOnly) {
  auto reader = Reader();
  EXPECT_FALSE(reader->FetchIfShared("late", In(1s)).ok());
  EXPECT_FALSE(reader->FetchIfShared("other", In(1s)).ok());
  // Both are published just after: remembered as absent all the same.
  for (const char* key : {"late", "other"}) {
    auto pending = testing::PendTestScope(*source_, key, testing::MakeScopeFiles(200, 100));
    ASSERT_TRUE(pending && source_->Commit(pending).ok());
    tier_.Hold(key, source_->layout().scope_dir(key));
  }
  reader->Forget("late");  // a mkdir found its manifest
  EXPECT_TRUE(reader->FetchIfShared("late", In(10s)).ok());
  EXPECT_EQ(reader->FetchIfShared("other", In(1s)).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(reader->counters().fetches, 1u);
}

TEST_F(SharedReaderTest, AnUnavailableTierIsNeverRememberedAndTheBreakerStopsAsking) {
  auto reader = Reader();
  tier_.down = true;
  for (int i = 0; i < 3; ++i) {
    Result<std::shared_ptr<Scope>> r = reader->FetchIfShared("k1", In(1s));
    EXPECT_EQ(r.status().code(), Status::Code::kNotFound) << r.status().ToString();
  }
  EXPECT_EQ(tier_.finds, 3) << "asked each time";
  EXPECT_FALSE(breaker_.closed());
  EXPECT_FALSE(reader->FetchIfShared("k1", In(1s)).ok());
  EXPECT_EQ(tier_.finds, 3) << "the open breaker answers at once";
  tier_.down = false;
  clock_.Advance(5 * kSecond);  // the back-off ends: the trial fetches
  EXPECT_TRUE(reader->FetchIfShared("k1", In(1s)).ok());
  EXPECT_TRUE(breaker_.closed());
}

TEST_F(SharedReaderTest, DamagedBytesAreRejectedCountedAndRetriedLater) {
  auto reader = Reader();
  tier_.damage = true;
  Result<std::shared_ptr<Scope>> r = reader->FetchIfShared("k1", In(10s));
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound) << r.status().ToString();
  EXPECT_NE(r.status().message().find("nodes.bits"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(reader->counters().fetch_errors, 1u);
  EXPECT_EQ(store_->Find("k1"), nullptr);
  EXPECT_TRUE(StagingEmpty());
  tier_.damage = false;
  EXPECT_FALSE(reader->FetchIfShared("k1", In(10s)).ok()) << "not fetched again at once";
  EXPECT_EQ(tier_.fetches, 1);
  clock_.Advance(10 * kSecond);
  EXPECT_TRUE(reader->FetchIfShared("k1", In(10s)).ok());
  EXPECT_EQ(reader->counters().fetches, 1u);
}

TEST_F(SharedReaderTest, ALiveLeaseIsWaitedForUntilTheManifestAppears) {
  SharedReaderOptions options;
  options.lease_poll = 10ms;
  auto reader = Reader(options);
  tier_.leased = true;
  std::thread publisher([&] {
    while (tier_.lease_finds.load() < 3) std::this_thread::sleep_for(1ms);
    tier_.Hold("k2", source_->layout().scope_dir("k1"));  // the other host publishes
  });
  Result<std::shared_ptr<Scope>> r = reader->FetchIfShared("k2", In(30s));
  publisher.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(reader->counters().lease_waits, 1u);

  // A lease that outlives the deadline: NotFound, and not remembered as absent.
  Result<std::shared_ptr<Scope>> late = reader->FetchIfShared("k3", In(50ms));
  EXPECT_EQ(late.status().code(), Status::Code::kNotFound);
  EXPECT_NE(late.status().message().find("timed out"), std::string::npos)
      << late.status().ToString();
  const int finds = tier_.finds;
  EXPECT_FALSE(reader->FetchIfShared("k3", In(0ms)).ok());
  EXPECT_GT(tier_.finds, finds);
}

TEST_F(SharedReaderTest, CancelEndsALeaseWait) {
  auto reader = Reader();
  tier_.leased = true;
  std::thread canceller([&] {
    while (tier_.lease_finds.load() < 1) std::this_thread::sleep_for(1ms);
    reader->Cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(reader->FetchIfShared("k2", In(600s)).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  canceller.join();
}

}  // namespace
}  // namespace scopefs::store
