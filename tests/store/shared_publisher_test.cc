// SharedPublisher's queue logic, with the in-process tier double (its comment
// says what it is): commits are published in order, an adopted scope never,
// an evicted one is dropped, another host's publish is no error, an outage
// keeps the queue (across a restart too), and Stop is prompt. Publishing to a
// real tier is tests/shared/shared_tier_test.cc.
#include "store/shared_publisher.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/store/shared_tier_double.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using namespace std::chrono_literals;
using testing::SharedTierDouble;

class SharedPublisherTest : public ::testing::Test {
 protected:
  void SetUp() { Reopen(); }
  void Reopen() {
    publisher_.reset();
    store_.reset();
    StoreOptions options;
    options.commit.codec.chunk_size = 4096;
    options.limits.max_entries = 3;
    Result<std::unique_ptr<Store>> store = Store::Open(PosixEnv(), tmp_.path() + "/s", options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    SharedPublisherOptions popts;
    popts.retry_delay = 20ms;
    Result<std::unique_ptr<SharedPublisher>> publisher =
        SharedPublisher::Start(store_.get(), &tier_, &breaker_, popts);
    ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
    publisher_ = std::move(publisher).value();
    store_->SetCommitListener(
        [p = publisher_.get()](const std::string& key) { EXPECT_TRUE(p->Enqueue(key).ok()); });
  }
  void Commit(const std::string& key, uint32_t seed = 1) {
    auto pending = testing::PendTestScope(*store_, key, testing::MakeScopeFiles(100, 50, seed));
    ASSERT_TRUE(pending && store_->Commit(pending).ok());
  }

  testing::TempDir tmp_;
  SharedTierDouble tier_;
  CircuitBreaker breaker_{SystemClock()};
  std::unique_ptr<Store> store_;
  std::unique_ptr<SharedPublisher> publisher_;
};

TEST_F(SharedPublisherTest, CommitsArePublishedInOrder) {
  Commit("a");
  Commit("b");
  Commit("c");
  ASSERT_TRUE(publisher_->WaitIdle(30s));
  EXPECT_EQ(tier_.published(), (std::vector<std::string>{"a", "b", "c"}));
  PublisherCounters c = publisher_->counters();
  EXPECT_EQ(c.publishes, 3u);
  EXPECT_EQ(c.queued, 0u);
  EXPECT_EQ(c.publish_errors, 0u);
  EXPECT_GT(c.bytes_published, 0u);
}

TEST_F(SharedPublisherTest, AScopeAnotherHostPublishedOrThatWasEvictedIsDropped) {
  tier_.Hold("a", "/nonexistent");  // another host's
  tier_.down = true;                // hold the queue while we evict
  Commit("a");
  Commit("b");
  for (const char* key : {"c", "d", "e"}) Commit(key);  // max_entries 3: b goes
  ASSERT_EQ(store_->Find("b"), nullptr);
  tier_.down = false;
  ASSERT_TRUE(publisher_->WaitIdle(30s));
  EXPECT_EQ(tier_.published(), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_EQ(publisher_->counters().queued, 0u);
}

TEST_F(SharedPublisherTest, AnOutageKeepsTheQueueAcrossARestart) {
  tier_.down = true;
  Commit("a");
  Commit("b");
  while (publisher_->counters().publish_errors < 2) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(publisher_->counters().queued, 2u);
  const auto start = std::chrono::steady_clock::now();
  publisher_->Stop();  // waits on the breaker or the retry delay: must not block
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  Reopen();
  EXPECT_EQ(publisher_->counters().queued, 2u);
  tier_.down = false;
  // The breaker opened (5 s); its trial then publishes.
  ASSERT_TRUE(publisher_->WaitIdle(30s));
  EXPECT_EQ(tier_.published(), (std::vector<std::string>{"a", "b"}));
}

// A commit queues its key before its rename (Store::SetCommitListener), so
// the queue may name a scope still pending, or, after a crash before the
// rename, one that no longer exists.
TEST_F(SharedPublisherTest, AQueuedKeyStillPendingWaitsForItsCommitAndAVanishedOneLeaves) {
  std::shared_ptr<PendingScope> pending =
      testing::PendTestScope(*store_, "p", testing::MakeScopeFiles(100, 50, 1));
  ASSERT_TRUE(pending);
  ASSERT_TRUE(publisher_->Enqueue("p").ok());
  ASSERT_TRUE(publisher_->Enqueue("gone").ok());
  EXPECT_FALSE(publisher_->WaitIdle(300ms));
  EXPECT_EQ(publisher_->counters().queued, 1u) << "gone has left the queue, p waits";
  EXPECT_TRUE(tier_.published().empty());
  ASSERT_TRUE(store_->Commit(pending).ok());
  ASSERT_TRUE(publisher_->WaitIdle(30s));
  EXPECT_EQ(tier_.published(), std::vector<std::string>{"p"});
  EXPECT_EQ(publisher_->counters().publish_errors, 0u);
}

TEST_F(SharedPublisherTest, AnAdoptedScopeIsNotPublished) {
  Commit("a");
  ASSERT_TRUE(publisher_->WaitIdle(30s));
  // Adopt a copy of "a" under another key, as a fetch would.
  Result<std::unique_ptr<AdoptionDir>> dir = store_->CreateAdoptionDir(0);
  ASSERT_TRUE(dir.ok());
  for (const auto& e : std::filesystem::directory_iterator(store_->layout().scope_dir("a"))) {
    std::filesystem::copy_file(e.path(),
                               std::filesystem::path((*dir)->path()) / e.path().filename());
  }
  ASSERT_TRUE(store_->Adopt("fetched", std::move(dir).value()).ok());
  ASSERT_TRUE(publisher_->WaitIdle(30s));
  EXPECT_EQ(tier_.published(), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace scopefs::store
