#include "store/member_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace scopefs::store {
namespace {

MemberCache::Loader Bytes(size_t n, char c, std::atomic<int>* loads = nullptr) {
  return [=]() -> Result<std::string> {
    if (loads != nullptr) ++*loads;
    return std::string(n, c);
  };
}

std::string Get(MemberCache& cache, uint64_t reader, uint64_t member,
                const MemberCache::Loader& load) {
  Result<MemberCache::Value> v = cache.GetOrLoad(reader, member, load);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? **v : std::string();
}

TEST(MemberCacheTest, LoadsOnceThenHits) {
  MemberCache cache(1000);
  std::atomic<int> loads{0};
  EXPECT_EQ(Get(cache, 1, 0, Bytes(10, 'a', &loads)), std::string(10, 'a'));
  EXPECT_EQ(Get(cache, 1, 0, Bytes(10, 'z', &loads)), std::string(10, 'a'));
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(Get(cache, 2, 0, Bytes(10, 'b', &loads)), std::string(10, 'b'));  // other reader
  EXPECT_EQ(loads.load(), 2);
  EXPECT_EQ(cache.bytes_cached(), 20u);
}

TEST(MemberCacheTest, EvictsLeastRecentlyUsedWithinCapacity) {
  MemberCache cache(300);
  std::atomic<int> loads{0};
  Get(cache, 1, 0, Bytes(100, 'a', &loads));
  Get(cache, 1, 1, Bytes(100, 'b', &loads));
  Get(cache, 1, 2, Bytes(100, 'c', &loads));
  Get(cache, 1, 0, Bytes(100, 'x', &loads));  // touch 0: 1 is now the oldest
  EXPECT_EQ(loads.load(), 3);
  Get(cache, 1, 3, Bytes(100, 'd', &loads));
  EXPECT_EQ(cache.bytes_cached(), 300u);
  EXPECT_EQ(Get(cache, 1, 0, Bytes(100, 'x', &loads)), std::string(100, 'a'));
  EXPECT_EQ(loads.load(), 4);
  EXPECT_EQ(Get(cache, 1, 1, Bytes(100, 'B', &loads)), std::string(100, 'B'));  // reloaded
  EXPECT_EQ(loads.load(), 5);
  EXPECT_LE(cache.bytes_cached(), cache.capacity());
}

TEST(MemberCacheTest, ValueOutlivesEviction) {
  MemberCache cache(100);
  Result<MemberCache::Value> held = cache.GetOrLoad(1, 0, Bytes(100, 'a'));
  ASSERT_TRUE(held.ok());
  Get(cache, 1, 1, Bytes(100, 'b'));  // evicts member 0
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(**held, std::string(100, 'a'));
}

TEST(MemberCacheTest, ValueLargerThanCapacityIsReturnedNotCached) {
  MemberCache cache(100);
  Get(cache, 1, 0, Bytes(50, 'a'));
  EXPECT_EQ(Get(cache, 1, 1, Bytes(101, 'b')), std::string(101, 'b'));
  EXPECT_EQ(cache.bytes_cached(), 50u);
}

TEST(MemberCacheTest, ErrorsAreNotCached) {
  MemberCache cache(100);
  int calls = 0;
  auto failing = [&]() -> Result<std::string> {
    ++calls;
    return Status::Corruption("member 0 is bad");
  };
  Result<MemberCache::Value> v = cache.GetOrLoad(1, 0, failing);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "member 0 is bad");
  EXPECT_FALSE(cache.GetOrLoad(1, 0, failing).ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Get(cache, 1, 0, Bytes(5, 'a')), "aaaaa");
}

TEST(MemberCacheTest, ConcurrentRequestsLoadOnce) {
  MemberCache cache(1 << 20);
  constexpr int kThreads = 8;
  std::atomic<int> arrived{0};
  std::atomic<int> loads{0};
  auto slow = [&]() -> Result<std::string> {
    ++loads;
    // Give the other threads a chance to find the load in progress; correctness
    // does not depend on it (late threads find the value cached).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (arrived.load() < kThreads && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    return std::string(1000, 'm');
  };
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ++arrived;
      Result<MemberCache::Value> v = cache.GetOrLoad(7, 3, slow);
      if (v.ok() && **v == std::string(1000, 'm')) ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(ok.load(), kThreads);
}

TEST(MemberCacheTest, PrefetchNeverLoadsTwice) {
  MemberCache cache(1000);
  std::atomic<int> loads{0};
  EXPECT_TRUE(cache.Prefetch(1, 0, Bytes(10, 'a', &loads)));
  EXPECT_FALSE(cache.Prefetch(1, 0, Bytes(10, 'b', &loads)));
  EXPECT_EQ(Get(cache, 1, 0, Bytes(10, 'c', &loads)), std::string(10, 'a'));
  EXPECT_EQ(loads.load(), 1);
}

TEST(MemberCacheTest, EraseReaderDropsOnlyItsMembers) {
  MemberCache cache(1000);
  Get(cache, 1, 0, Bytes(10, 'a'));
  Get(cache, 1, 5, Bytes(10, 'a'));
  Get(cache, 2, 0, Bytes(20, 'b'));
  Get(cache, 3, 0, Bytes(40, 'c'));
  cache.EraseReader(2);
  EXPECT_EQ(cache.bytes_cached(), 60u);
  EXPECT_EQ(cache.entries(), 3u);
  cache.EraseReader(1);
  EXPECT_EQ(cache.bytes_cached(), 40u);
}

TEST(MemberCacheTest, ReaderIdsAreUnique) {
  MemberCache cache;
  std::set<uint64_t> ids;
  for (int i = 0; i < 100; ++i) ids.insert(cache.NewReaderId());
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(cache.capacity(), MemberCache::kDefaultCapacity);
}

}  // namespace
}  // namespace scopefs::store
