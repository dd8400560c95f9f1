// The store's side of the shared tier against the real radosgw of the CTest
// fixture "radosgw" (tools/radosgw.sh; endpoint and keys in the env file
// named by SCOPEFS_TEST_S3_ENV), through S3Tier: two stores in two temporary
// directories share one bucket prefix, as two hosts would. Host A commits and
// its SharedPublisher publishes; host B's SharedReader fetches and adopts.
// Without the env file every test says SKIPPED.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "store/circuit_breaker.h"
#include "store/s3/s3_tier.h"
#include "store/shared_publisher.h"
#include "store/shared_reader.h"
#include "store/shared_stats.h"
#include "store/store.h"
#include "tests/support/radosgw_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr char kBucket[] = "shared-tier-tests";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One host: a store, its tier client, breaker, publisher and reader.
struct Host {
  testing::TempDir dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<s3::S3Tier> tier;
  std::unique_ptr<CircuitBreaker> breaker;
  std::unique_ptr<SharedPublisher> publisher;
  std::unique_ptr<SharedReader> reader;
  ~Host() {
    if (reader) reader->Cancel();
    publisher.reset();  // before the store it publishes from
  }
};

class SharedTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::ReadRadosgwEnv();
    if (env_["SCOPEFS_TEST_S3_ENDPOINT"].empty()) {
      GTEST_SKIP() << testing::kNoRadosgw;
    }
    prefix_ = testing::UniqueTestPrefix();
    a_ = NewHost("host-a");
    b_ = NewHost("host-b");
    ASSERT_TRUE(a_ && b_);
    const Status created = a_->tier->client().CreateBucket();
    ASSERT_TRUE(created.ok()) << created.ToString();
  }

  std::unique_ptr<Host> NewHost(const std::string& name) {
    auto host = std::make_unique<Host>();
    StoreOptions options;
    options.commit.codec.chunk_size = 4096;  // many gzip members
    Result<std::unique_ptr<Store>> store = Store::Open(PosixEnv(), host->dir.path(), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    host->store = std::move(store).value();
    s3::S3TierOptions tier;
    tier.endpoint = env_["SCOPEFS_TEST_S3_ENDPOINT"];
    tier.region =
        env_["SCOPEFS_TEST_S3_REGION"].empty() ? "us-east-1" : env_["SCOPEFS_TEST_S3_REGION"];
    tier.bucket = kBucket;
    tier.prefix = prefix_;
    tier.host = name;
    tier.transport.request_timeout = 30s;
    Result<std::unique_ptr<s3::S3Tier>> made = s3::S3Tier::Create(
        tier, s3::Credentials(env_["AWS_ACCESS_KEY_ID"], env_["AWS_SECRET_ACCESS_KEY"]));
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (!made.ok()) return nullptr;
    host->tier = std::move(made).value();
    host->breaker = std::make_unique<CircuitBreaker>(SystemClock());
    SharedPublisherOptions publish;
    publish.retry_delay = 200ms;
    Result<std::unique_ptr<SharedPublisher>> publisher =
        SharedPublisher::Start(host->store.get(), host->tier.get(), host->breaker.get(), publish);
    EXPECT_TRUE(publisher.ok()) << publisher.status().ToString();
    if (!publisher.ok()) return nullptr;
    host->publisher = std::move(publisher).value();
    host->store->SetCommitListener(
        [p = host->publisher.get()](const std::string& key) { EXPECT_TRUE(p->Enqueue(key).ok()); });
    SharedReaderOptions read;
    read.lease_poll = 100ms;
    host->reader = std::make_unique<SharedReader>(host->store.get(), host->tier.get(),
                                                  host->breaker.get(), read);
    return host;
  }

  void Commit(Host& host, const std::string& key, uint64_t nodes = 3000) {
    auto pending =
        testing::PendTestScope(*host.store, key, testing::MakeScopeFiles(nodes, nodes * 2));
    ASSERT_TRUE(pending);
    Result<std::shared_ptr<Scope>> scope = host.store->Commit(pending);
    ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  }

  SharedStats Stats(Host& host) {
    return CollectSharedStats(*host.tier, *host.breaker, host.reader.get(), host.publisher.get(),
                              0);
  }

  std::map<std::string, std::string> env_;
  std::string prefix_;
  std::unique_ptr<Host> a_, b_;
};

TEST_F(SharedTierTest, ACommitOnOneHostIsReadThroughOnTheOther) {
  Commit(*a_, "k1");
  ASSERT_TRUE(a_->publisher->WaitIdle(60s));
  SharedStats a = Stats(*a_);
  EXPECT_EQ(a.publishes, 1u);
  EXPECT_EQ(a.publish_errors, 0u);
  EXPECT_EQ(a.queued, 0u);
  EXPECT_GT(a.bytes_published, 0u);
  EXPECT_TRUE(a.reachable);

  Result<std::shared_ptr<Scope>> scope =
      b_->reader->FetchIfShared("k1", std::chrono::steady_clock::now() + 60s);
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  const std::string from = a_->store->layout().scope_dir("k1");
  const std::string to = b_->store->layout().scope_dir("k1");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(from)) {
    const std::string name = entry.path().filename();
    EXPECT_EQ(ReadAll(to + "/" + name), ReadAll(entry.path())) << name;
    ++files;
  }
  EXPECT_EQ(files, 6) << "bits, mappings, record and both index files";
  EXPECT_TRUE(b_->store->Verify("k1").ok());
  SharedStats b = Stats(*b_);
  EXPECT_EQ(b.fetches, 1u);
  EXPECT_EQ(b.fetch_errors, 0u);
  EXPECT_EQ(b.bytes_fetched, a.bytes_published);
  EXPECT_EQ(b_->store->counters().adopted, 1u);
  EXPECT_EQ(b_->store->counters().commits, 0u);
  // B does not publish back what it fetched.
  ASSERT_TRUE(b_->publisher->WaitIdle(10s));
  EXPECT_EQ(Stats(*b_).publishes, 0u);

  // A key no host has: NotFound, quickly.
  Result<std::shared_ptr<Scope>> absent =
      b_->reader->FetchIfShared("nobody", std::chrono::steady_clock::now() + 60s);
  EXPECT_EQ(absent.status().code(), Status::Code::kNotFound) << absent.status().ToString();
}

TEST_F(SharedTierTest, DamagedObjectsInTheBucketAreNeverCommitted) {
  Commit(*a_, "k1");
  ASSERT_TRUE(a_->publisher->WaitIdle(60s));
  Result<SharedScope> found = a_->tier->Find("k1");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  // Overwrite an object with bytes of the same size, one flipped.
  const std::string object = a_->tier->layout().Object("k1", found->publish_id, kMappingsGzFile);
  std::string bytes = ReadAll(a_->store->layout().scope_dir("k1") + "/mappings.json.gz");
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(a_->tier->client().PutObject(object, bytes, s3::PutMode::kOverwrite).ok());

  Result<std::shared_ptr<Scope>> scope =
      b_->reader->FetchIfShared("k1", std::chrono::steady_clock::now() + 60s);
  EXPECT_EQ(scope.status().code(), Status::Code::kNotFound) << scope.status().ToString();
  EXPECT_NE(scope.status().message().find("mappings.json.gz"), std::string::npos)
      << scope.status().ToString();
  EXPECT_EQ(b_->store->Find("k1"), nullptr);
  EXPECT_TRUE(fs::is_empty(b_->store->layout().staging_dir()));
  EXPECT_EQ(Stats(*b_).fetch_errors, 1u);
  EXPECT_EQ(Stats(*b_).fetches, 0u);
  EXPECT_EQ(b_->store->counters().adopted, 0u);
}

TEST_F(SharedTierTest, ALookupWaitsForAnotherHostsLeaseThenReadsThrough) {
  Result<SharedLease> lease = a_->tier->AcquireLease("k1", 60s);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  std::thread computer([&] {
    std::this_thread::sleep_for(500ms);  // the computation
    Commit(*a_, "k1");
    EXPECT_TRUE(a_->publisher->WaitIdle(60s));
    EXPECT_TRUE(a_->tier->ReleaseLease(*lease).ok());
  });
  Result<std::shared_ptr<Scope>> scope =
      b_->reader->FetchIfShared("k1", std::chrono::steady_clock::now() + 120s);
  computer.join();
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ(Stats(*b_).lease_waits, 1u);
  EXPECT_EQ(Stats(*b_).fetches, 1u);
}

TEST_F(SharedTierTest, AnOutageQueuesPublishesAndMissesAnswerQuickly) {
  const std::string script = env_["RADOSGW_SH"];
  const std::string dir = env_["RADOSGW_DIR"];
  if (script.empty() || dir.empty()) GTEST_SKIP() << "the env file names no RADOSGW_SH/RADOSGW_DIR";
  ASSERT_EQ(std::system(("'" + script + "' stop-rgw '" + dir + "'").c_str()), 0);
  Commit(*a_, "k1");
  Commit(*a_, "k2");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    Result<std::shared_ptr<Scope>> miss = b_->reader->FetchIfShared("k1", start + 60s);
    EXPECT_EQ(miss.status().code(), Status::Code::kNotFound) << miss.status().ToString();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_FALSE(Stats(*b_).reachable);
  EXPECT_EQ(Stats(*a_).queued, 2u);
  EXPECT_EQ(Stats(*a_).publishes, 0u);

  ASSERT_EQ(std::system(("'" + script + "' start-rgw '" + dir + "'").c_str()), 0);
  ASSERT_TRUE(a_->publisher->WaitIdle(120s)) << "the queue is published once the tier is back";
  EXPECT_EQ(Stats(*a_).publishes, 2u);
  EXPECT_GT(Stats(*a_).publish_errors, 0u);
  // B's breaker lets a trial through after its back-off; then it reads.
  Result<std::shared_ptr<Scope>> scope = Status::NotFound("not asked yet");
  for (auto until = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < until;) {
    scope = b_->reader->FetchIfShared("k2", std::chrono::steady_clock::now() + 60s);
    if (scope.ok()) break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_TRUE(Stats(*b_).reachable);
}

}  // namespace
}  // namespace scopefs::store
