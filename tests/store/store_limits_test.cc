// The cache policy: LRU eviction, size and entry limits, ENOSPC, TTL,
// maintenance and persisted access times. The clock is moved by hand.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/store.h"
#include "tests/support/manual_clock.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::MakeScopeFiles;
using testing::MemEnv;

constexpr int64_t kSecond = 1'000'000'000;

using testing::ManualClock;

class StoreLimitsTest : public ::testing::Test {
 protected:
  // `encode`: compress pending mappings as they are written and index them
  // (the default); false keeps them raw until the commit, the path of
  // out-of-order writers, and builds no index, so a stored scope is smaller
  // than its raw files as these tests of the raw path need.
  std::unique_ptr<Store> Open(CacheLimits limits, bool encode = true) {
    StoreOptions options;
    options.clock = &clock_;
    options.limits = limits;
    options.encode_mappings_as_written = encode;
    options.commit.build_index = encode;
    options.commit.codec.chunk_size = 4096;
    auto store = Store::Open(&env_, "/store", options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store.value()->SetRemovalListener([this](const std::string& key) { removed_.push_back(key); });
    return std::move(store).value();
  }

  // Commits a small scope under `key`, one second after the last thing done.
  Status Add(Store& store, const std::string& key, uint64_t nodes = 50) {
    clock_.Advance(kSecond);
    ASSIGN_OR_RETURN(std::shared_ptr<PendingScope> pending, store.CreatePending(key));
    RETURN_IF_ERROR(testing::WriteScopeFiles(*pending, MakeScopeFiles(nodes, nodes)));
    return store.Commit(key).status();
  }

  void Access(Store& store, const std::string& key) {
    clock_.Advance(kSecond);
    std::shared_ptr<Scope> scope = store.Find(key);
    ASSERT_TRUE(scope) << key;
    store.RecordAccess(*scope);
  }

  // What one scope made by Add() stores, measured on a scratch store.
  uint64_t OneScopeBytes(uint64_t nodes = 50, bool index = false) {
    MemEnv scratch;
    StoreOptions options;
    options.commit.codec.chunk_size = 4096;
    options.commit.build_index = index;
    auto store = Store::Open(&scratch, "/store", options).value();
    EXPECT_TRUE(
        testing::WriteScopeFiles(*store->CreatePending("x").value(), MakeScopeFiles(nodes, nodes))
            .ok());
    EXPECT_TRUE(store->Commit("x").ok());
    return store->stored_bytes();
  }

  // What one scope made by Add() takes while pending (raw input files).
  static uint64_t OneScopeRawBytes() {
    testing::ScopeFiles f = MakeScopeFiles(50, 50);
    return f.nodes_bits.size() + f.links_bits.size() + f.mappings_json.size() + f.meta_json.size();
  }

  std::vector<std::string> Keys(Store& store) {
    std::vector<std::string> keys;
    for (const auto& scope : store.List()) keys.push_back(scope->key());
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  MemEnv env_;
  ManualClock clock_;
  std::vector<std::string> removed_;
};

TEST_F(StoreLimitsTest, EvictsLeastRecentlyAccessedPastMaxEntries) {
  CacheLimits limits;
  limits.max_entries = 3;
  auto store = Open(limits);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(Add(*store, key).ok());
  Access(*store, "a");  // b is now the least recently used
  ASSERT_TRUE(Add(*store, "d").ok());
  EXPECT_EQ(Keys(*store), (std::vector<std::string>{"a", "c", "d"}));  // exactly max_entries
  EXPECT_EQ(removed_, std::vector<std::string>{"b"});
  ASSERT_TRUE(Add(*store, "e").ok());
  EXPECT_EQ(Keys(*store), (std::vector<std::string>{"a", "d", "e"}));
  EXPECT_EQ(store->counters().evictions, 2u);
  EXPECT_EQ(store->counters().commits, 5u);
  EXPECT_TRUE(env_.Tree("/store/trash").empty());  // nobody held them open
}

TEST_F(StoreLimitsTest, TheScopeJustCommittedIsNeverEvicted) {
  CacheLimits limits;
  limits.max_entries = 1;
  auto store = Open(limits);
  ASSERT_TRUE(Add(*store, "old").ok());
  Access(*store, "old");  // more recently used than the one about to commit
  ASSERT_TRUE(Add(*store, "new").ok());
  EXPECT_EQ(Keys(*store), std::vector<std::string>{"new"});
}

TEST_F(StoreLimitsTest, SizeLimitHoldsAfterEveryCommitAndKeepsTheNewest) {
  const uint64_t one = OneScopeBytes(), raw = OneScopeRawBytes();
  ASSERT_GT(raw, one);  // pending (raw) bytes count too, and are the larger
  CacheLimits limits;
  limits.max_size = 3 * one + raw;  // three committed and one being written
  auto store = Open(limits, /*encode=*/false);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(Add(*store, "k" + std::to_string(i)).ok()) << i;
    EXPECT_LE(store->stored_bytes() + store->pending_bytes(), limits.max_size);
  }
  // Each add first makes room for its raw files beside the committed ones,
  // then for its staged copy beside both, then commits: (max_size - raw -
  // one) / one scopes plus the one just committed.
  const uint64_t kept = (limits.max_size - raw - one) / one + 1;
  std::vector<std::string> newest;
  for (uint64_t i = 8 - kept; i < 8; ++i) newest.push_back("k" + std::to_string(i));
  EXPECT_EQ(Keys(*store), newest);
  EXPECT_EQ(store->pending_bytes(), 0u);  // committed scopes give their pending bytes back
}

// SPEC: after a commit, least recently used scopes are evicted until the
// cache fits, and no further. Pending mappings count compressed, as they
// will be stored, and the commit moves them rather than copying them: so with
// room for three and a half scopes, a fourth evicts exactly one. (Counting
// them raw, and again for a staged copy, evicted all three.)
TEST_F(StoreLimitsTest, AddingAScopeEvictsExactlyTheLeastRecentlyUsedOne) {
  const uint64_t one = OneScopeBytes(2000, /*index=*/true);
  CacheLimits limits;
  limits.max_size = one * 7 / 2;
  auto store = Open(limits);
  for (const char* key : {"a", "b", "c"}) ASSERT_TRUE(Add(*store, key, 2000).ok());
  Access(*store, "a");  // b is now the least recently used
  ASSERT_TRUE(Add(*store, "d", 2000).ok());
  EXPECT_EQ(removed_, std::vector<std::string>{"b"});
  EXPECT_EQ(Keys(*store), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(store->stored_bytes(), 3 * one);
  EXPECT_EQ(store->pending_bytes(), 0u);
  ASSERT_TRUE(Add(*store, "e", 2000).ok());
  EXPECT_EQ(removed_, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(store->counters().mappings_encoded_as_written, 5u);
}

TEST_F(StoreLimitsTest, AWriteThatCannotFitEvenAnEmptyCacheIsNoSpace) {
  CacheLimits limits;
  limits.max_size = 4096;
  auto store = Open(limits);
  auto pending = store->CreatePending("big").value();
  auto file = pending->Create("nodes.bits", 0644, 0, 0).value();
  EXPECT_TRUE(file->Write(0, std::string(4000, 'x')).ok());
  Status st = file->Write(4000, std::string(200, 'x'));
  EXPECT_EQ(st.code(), Status::Code::kNoSpace) << st.ToString();
  EXPECT_EQ(file->attrs().size, 4000u);  // nothing of the refused write counts
  EXPECT_EQ(store->pending_bytes(), 4000u);
  ASSERT_TRUE(file->Truncate(10).ok());
  EXPECT_EQ(store->pending_bytes(), 10u);
  ASSERT_TRUE(store->DropPending("big").ok());
  EXPECT_EQ(store->pending_bytes(), 0u);
}

TEST_F(StoreLimitsTest, PendingWritesEvictLeastRecentlyUsedToMakeRoom) {
  const uint64_t one = OneScopeBytes(), raw = OneScopeRawBytes();
  CacheLimits limits;
  limits.max_size = 2 * one + raw;
  auto store = Open(limits, /*encode=*/false);
  ASSERT_TRUE(Add(*store, "a").ok());
  ASSERT_TRUE(Add(*store, "b").ok());
  auto file = store->CreatePending("c").value()->Create("nodes.bits", 0644, 0, 0).value();
  ASSERT_TRUE(file->Write(0, std::string(raw + one / 2, 'x')).ok());  // needs a's room
  EXPECT_EQ(Keys(*store), std::vector<std::string>{"b"});
  EXPECT_LE(store->stored_bytes() + store->pending_bytes(), limits.max_size);
}

// The commit's staged copy exists beside the pending files for a moment: room
// is made for it before it is written, so the disk never holds more than
// max_size. Before, a was kept and the disk briefly held one scope too many.
TEST_F(StoreLimitsTest, ACommitMakesRoomForItsStagedCopyBeforeWritingIt) {
  const uint64_t one = OneScopeBytes(), raw = OneScopeRawBytes();
  CacheLimits limits;
  limits.max_size = 2 * one + raw;  // a, b and c's raw files; not c's staged copy too
  auto store = Open(limits, /*encode=*/false);
  ASSERT_TRUE(Add(*store, "a").ok());
  ASSERT_TRUE(Add(*store, "b").ok());
  std::vector<std::string> c_at_eviction;
  store->SetRemovalListener([&](const std::string& key) {
    removed_.push_back(key);
    c_at_eviction.push_back(env_.Stat("/store/scopes/c").ok() ? "published" : "not published");
  });
  ASSERT_TRUE(Add(*store, "c").ok());
  EXPECT_EQ(removed_, std::vector<std::string>{"a"});
  EXPECT_EQ(c_at_eviction, std::vector<std::string>{"not published"});
  EXPECT_EQ(Keys(*store), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(store->pending_bytes(), 0u);  // the staged copy's room is stored bytes now
  EXPECT_EQ(store->stored_bytes(), 2 * one);
}

// When even an empty cache has no room for both, the commit still finishes:
// its pending files go right after, and refusing it would lose the scope.
TEST_F(StoreLimitsTest, ACommitFinishesWhenItsStagedCopyCannotFitBesideItsPendingFiles) {
  const uint64_t one = OneScopeBytes(), raw = OneScopeRawBytes();
  CacheLimits limits;
  limits.max_size = raw + one / 2;
  auto store = Open(limits, /*encode=*/false);
  ASSERT_TRUE(Add(*store, "a").ok());
  EXPECT_EQ(Keys(*store), std::vector<std::string>{"a"});
  EXPECT_EQ(store->pending_bytes(), 0u);
  EXPECT_EQ(store->stored_bytes(), one);
}

TEST_F(StoreLimitsTest, TtlHidesAtTheBoundaryAndMaintenanceRemoves) {
  CacheLimits limits;
  limits.ttl_ns = 10 * kSecond;
  auto store = Open(limits);
  ASSERT_TRUE(Add(*store, "read").ok());
  ASSERT_TRUE(Add(*store, "unread").ok());
  clock_.Advance(5 * kSecond);
  Access(*store, "read");
  clock_.Advance(3 * kSecond);  // unread: 9 s since its commit
  EXPECT_TRUE(store->Find("unread"));
  clock_.Advance(1 * kSecond);  // unread: exactly 10 s
  EXPECT_FALSE(store->Find("unread"));
  EXPECT_EQ(Keys(*store), std::vector<std::string>{"read"});
  EXPECT_EQ(env_.Tree("/store/scopes").size(), 14u);  // still on disk until maintenance
  store->RunMaintenance();
  EXPECT_EQ(env_.Tree("/store/scopes").size(), 7u);
  EXPECT_EQ(removed_, std::vector<std::string>{"unread"});
  EXPECT_EQ(store->counters().expirations, 1u);
  // An expired key can be added again at once.
  ASSERT_TRUE(Add(*store, "unread").ok());
}

TEST_F(StoreLimitsTest, TtlZeroNeverExpires) {
  CacheLimits limits;
  limits.ttl_ns = 0;
  auto store = Open(limits);
  ASSERT_TRUE(Add(*store, "k").ok());
  clock_.Advance(int64_t{3650} * 86400 * kSecond);
  store->RunMaintenance();
  EXPECT_TRUE(store->Find("k"));
}

TEST_F(StoreLimitsTest, IdlePendingScopesAreDropped) {
  CacheLimits limits;
  limits.pending_timeout_ns = 60 * kSecond;
  auto store = Open(limits);
  auto pending = store->CreatePending("p").value();
  ASSERT_TRUE(pending->Create("nodes.bits", 0644, 0, 0).ok());
  clock_.Advance(59 * kSecond);
  store->RunMaintenance();
  EXPECT_TRUE(store->FindPending("p"));
  clock_.Advance(1 * kSecond);
  store->RunMaintenance();
  EXPECT_FALSE(store->FindPending("p"));
  EXPECT_TRUE(env_.Tree("/store/pending").empty());
}

TEST_F(StoreLimitsTest, AccessTimesSurviveARestart) {
  CacheLimits limits;
  limits.max_entries = 2;
  {
    auto store = Open(limits);
    ASSERT_TRUE(Add(*store, "a").ok());
    ASSERT_TRUE(Add(*store, "b").ok());
    Access(*store, "a");  // b is least recently used...
  }                       // ...and the destructor saves that
  auto store = Open(limits);
  ASSERT_TRUE(Add(*store, "c").ok());
  EXPECT_EQ(Keys(*store), (std::vector<std::string>{"a", "c"}));
}

TEST_F(StoreLimitsTest, ConcurrentAccessesWhileEvictionRuns) {
  CacheLimits limits;
  limits.max_entries = 4;
  auto store = Open(limits);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Add(*store, "s" + std::to_string(i)).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        for (const auto& scope : store->List()) store->RecordAccess(*scope);
      }
    });
  }
  for (int i = 4; i < 20; ++i) {
    ASSERT_TRUE(Add(*store, "s" + std::to_string(i)).ok());
    EXPECT_LE(store->size(), 4u);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(store->size(), 4u);
  EXPECT_EQ(store->counters().evictions, 16u);
}

}  // namespace
}  // namespace scopefs::store
