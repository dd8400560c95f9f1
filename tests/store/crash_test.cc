// Power loss and I/O errors at every step of the store's protocols.
//
// Each sweep runs a protocol (commit, remove) on MemEnv through FaultEnv, kills
// the "process" after its Nth mutating call for N = 0, 1, 2, ... until the
// protocol completes, simulates a power loss in each of three modes, reopens
// the store and checks: what was acknowledged is there and intact, what was
// not is either absent or complete, and no leftovers remain.
#include <gtest/gtest.h>

#include <algorithm>

#include "store/publish_queue.h"
#include "store/store.h"
#include "tests/support/fault_env.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::CrashMode;
using testing::FaultEnv;
using testing::MemEnv;
using testing::ScopeFiles;

StoreOptions SmallChunks() {
  StoreOptions options;
  options.commit.codec.chunk_size = 4096;
  return options;
}

std::string ReadMappings(const Scope& scope) {
  auto reader = scope.Mappings();
  if (!reader.ok()) return "error: " + reader.status().ToString();
  std::string out((*reader)->index().uncompressed_size, '\0');
  auto n = (*reader)->ReadAt(0, out.data(), out.size());
  return n.ok() ? out : "error: " + n.status().ToString();
}

// The scope is there, passes Verify, and serves exactly `files`.
void ExpectIntact(Store& store, const std::string& key, const ScopeFiles& files) {
  std::shared_ptr<Scope> scope = store.Find(key);
  ASSERT_TRUE(scope) << key << " is missing";
  EXPECT_TRUE(scope->Verify().ok()) << scope->Verify().ToString();
  EXPECT_EQ(ReadMappings(*scope), files.mappings_json);
  auto nodes = scope->OpenStored(kNodesFile);
  ASSERT_TRUE(nodes.ok());
  std::string bits(files.nodes_bits.size() + 1, '\0');
  bits.resize((*nodes)->ReadAt(0, bits.data(), bits.size()).value());
  EXPECT_EQ(bits, files.nodes_bits);
}

void ExpectNoLeftovers(MemEnv& env) {
  EXPECT_EQ(env.Tree("/store/pending"), std::vector<std::string>{});
  EXPECT_EQ(env.Tree("/store/staging"), std::vector<std::string>{});
  EXPECT_EQ(env.Tree("/store/trash"), std::vector<std::string>{});
  EXPECT_EQ(env.Tree("/store/encoding"), std::vector<std::string>{});
}

// A pending scope `key` holding `files`; AddScope also commits it.
void Pend(Store& store, const std::string& key, const ScopeFiles& files) {
  ASSERT_TRUE(testing::WriteScopeFiles(*store.CreatePending(key).value(), files).ok()) << key;
}
void AddScope(Store& store, const std::string& key, const ScopeFiles& files) {
  ASSERT_NO_FATAL_FAILURE(Pend(store, key, files));
  ASSERT_TRUE(store.Commit(key).ok()) << key;
}

const char* ModeName(CrashMode mode) {
  switch (mode) {
    case CrashMode::kDropUnsynced: return "drop";
    case CrashMode::kZeroUnsynced: return "zero";
    case CrashMode::kKeepUnsynced: return "keep";
  }
  return "?";
}

class CrashTest : public ::testing::TestWithParam<CrashMode> {};

// After a crash in `mode`: the store reopens, "old" is intact, "new" is intact
// if the commit was acknowledged (or is durable though the caller never
// heard), and nothing is left over. `stood`, if given, says whether "new" is there.
void ExpectRecovered(MemEnv& env, CrashMode mode, const ScopeFiles& old_files,
                     const ScopeFiles& new_files, bool acknowledged, bool* stood = nullptr) {
  env.SimulateCrash(mode);
  ::testing::internal::CaptureStderr();
  auto store = Store::Open(&env, "/store", SmallChunks());
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ExpectIntact(**store, "old", old_files);
  const bool new_stands = (*store)->Find("new") != nullptr;
  if (acknowledged || new_stands) ExpectIntact(**store, "new", new_files);
  if (stood) *stood = new_stands;
  ExpectNoLeftovers(env);
}

// The commit also queues its publish to the shared tier, through the listener
// the daemon's SharedPublisher sets: a commit that stands after the crash has
// its key in the queue, since the entry is durable before the commit's rename.
// (A key queued for a commit the crash undid is harmless: the publisher drops
// a key that is neither committed nor pending.)
TEST_P(CrashTest, CommitIsAllOrNothingAtEveryCrashPoint) {
  const ScopeFiles old_files = testing::MakeScopeFiles(50, 60, 1);
  const ScopeFiles new_files = testing::MakeScopeFiles(300, 200, 2);
  uint64_t points = 0, stood_points = 0;
  for (uint64_t n = 0;; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " mutations, mode " + ModeName(GetParam()));
    MemEnv env;
    FaultEnv fault(&env);
    bool acknowledged = false;
    std::string queue_file;
    {
      auto store = Store::Open(&fault, "/store", SmallChunks()).value();
      queue_file = store->layout().publish_queue_file();
      auto queue = PublishQueue::Open(&fault, queue_file).value();
      store->SetCommitListener([&queue](const std::string& key) { (void)queue->Add(key); });
      ASSERT_NO_FATAL_FAILURE(AddScope(*store, "old", old_files));
      ASSERT_NO_FATAL_FAILURE(Pend(*store, "new", new_files));
      ::testing::internal::CaptureStderr();  // the dying commit logs its failures
      fault.CrashAfter(n);
      acknowledged = store->Commit("new").ok();
      store.reset();  // a dead process's cleanups fail and log too
      ::testing::internal::GetCapturedStderr();
    }
    const bool crashed = fault.crashed();
    bool stood = false;
    ASSERT_NO_FATAL_FAILURE(
        ExpectRecovered(env, GetParam(), old_files, new_files, acknowledged, &stood));
    auto queue = PublishQueue::Open(&env, queue_file);
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    const std::vector<std::string> keys = (*queue)->Keys();
    ASSERT_FALSE(keys.empty());
    EXPECT_EQ(keys.front(), "old");
    if (stood) {
      EXPECT_EQ(std::count(keys.begin(), keys.end(), "new"), 1) << "a commit stood unqueued";
      ++stood_points;
    }
    if (!crashed) {
      EXPECT_TRUE(acknowledged);
      break;
    }
    ++points;
  }
  std::printf("commit: %llu crash points covered, %llu with the commit standing (%s)\n",
              static_cast<unsigned long long>(points),
              static_cast<unsigned long long>(stood_points), ModeName(GetParam()));
  EXPECT_GT(points, 10u);
  EXPECT_GT(stood_points, 1u);  // crashes after the rename were among them
}

// The same from the first write of the new scope: a crash while its mappings
// are being compressed as they arrive loses nothing committed and leaves
// nothing visible.
TEST_P(CrashTest, WritingAndCommittingIsAllOrNothingAtEveryCrashPoint) {
  const ScopeFiles old_files = testing::MakeScopeFiles(50, 60, 1);
  const ScopeFiles new_files = testing::MakeScopeFiles(400, 300, 5);
  uint64_t points = 0;
  for (uint64_t n = 0;; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " mutations, mode " + ModeName(GetParam()));
    MemEnv env;
    FaultEnv fault(&env);
    bool acknowledged = false;
    uint64_t encoded = 0;
    {
      auto store = Store::Open(&fault, "/store", SmallChunks()).value();
      ASSERT_NO_FATAL_FAILURE(AddScope(*store, "old", old_files));
      ::testing::internal::CaptureStderr();
      fault.CrashAfter(n);
      auto pending = store->CreatePending("new");
      acknowledged = pending.ok() && testing::WriteScopeFiles(**pending, new_files).ok() &&
                     store->Commit("new").ok();
      encoded = store->counters().mappings_encoded_as_written - 1;  // "old" was too
      pending = Status::Ok();
      store.reset();  // its failing cleanups log too
      ::testing::internal::GetCapturedStderr();
    }
    const bool crashed = fault.crashed();
    ASSERT_NO_FATAL_FAILURE(ExpectRecovered(env, GetParam(), old_files, new_files, acknowledged));
    if (!crashed) {
      EXPECT_TRUE(acknowledged);
      EXPECT_EQ(encoded, 1u);  // the path under test: compressed as written
      break;
    }
    ++points;
  }
  std::printf("write and commit: %llu crash points covered (%s)\n",
              static_cast<unsigned long long>(points), ModeName(GetParam()));
  EXPECT_GT(points, 20u);
}

TEST_P(CrashTest, RemoveIsAllOrNothingAtEveryCrashPoint) {
  const ScopeFiles files = testing::MakeScopeFiles(80, 80, 3);
  uint64_t points = 0;
  for (uint64_t n = 0;; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " mutations");
    MemEnv env;
    FaultEnv fault(&env);
    bool acknowledged = false;
    {
      auto store = Store::Open(&fault, "/store", SmallChunks()).value();
      ASSERT_NO_FATAL_FAILURE(AddScope(*store, "k", files));
      ::testing::internal::CaptureStderr();
      fault.CrashAfter(n);
      acknowledged = store->Remove("k").ok();
      ::testing::internal::GetCapturedStderr();
    }
    const bool crashed = fault.crashed();
    env.SimulateCrash(GetParam());
    ::testing::internal::CaptureStderr();
    auto store = Store::Open(&env, "/store", SmallChunks());
    ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(store.ok());
    if (acknowledged) {
      EXPECT_FALSE((*store)->Find("k"));
    } else if ((*store)->Find("k")) {
      ExpectIntact(**store, "k", files);  // the removal may or may not have reached the disk
    }
    ExpectNoLeftovers(env);
    if (!crashed) break;
    ++points;
  }
  std::printf("remove: %llu crash points covered (%s)\n", static_cast<unsigned long long>(points),
              ModeName(GetParam()));
  EXPECT_GT(points, 1u);
}

class ManualClock final : public Clock {
 public:
  int64_t NowNanos() const override { return now_; }
  void Set(int64_t now) { now_ = now; }

 private:
  int64_t now_ = int64_t{1'700'000'000} * 1'000'000'000;
};

// Commits "c" into a store whose limit is two entries, so the commit evicts
// the least recently used scope ("a"): the sweep covers commit and eviction.
TEST_P(CrashTest, EvictionIsAllOrNothingAtEveryCrashPoint) {
  const ScopeFiles files = testing::MakeScopeFiles(60, 40, 4);
  StoreOptions options = SmallChunks();
  options.limits.max_entries = 2;
  uint64_t points = 0;
  for (uint64_t n = 0;; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " mutations, mode " + ModeName(GetParam()));
    ManualClock clock;
    options.clock = &clock;
    MemEnv env;
    FaultEnv fault(&env);
    bool acknowledged = false;
    {
      auto store = Store::Open(&fault, "/store", options).value();
      for (const char* key : {"a", "b"}) {
        clock.Set(clock.NowNanos() + 1'000'000'000);
        ASSERT_NO_FATAL_FAILURE(AddScope(*store, key, files));
      }
      ASSERT_NO_FATAL_FAILURE(Pend(*store, "c", files));
      ::testing::internal::CaptureStderr();
      fault.CrashAfter(n);
      acknowledged = store->Commit("c").ok();
      if (acknowledged && !fault.crashed()) {
        EXPECT_FALSE(store->Find("a"));
      }
      store.reset();  // a dead process's cleanups fail and log too
      ::testing::internal::GetCapturedStderr();
    }
    const bool crashed = fault.crashed();
    env.SimulateCrash(GetParam());
    ::testing::internal::CaptureStderr();
    auto store = Store::Open(&env, "/store", options);
    ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ExpectIntact(**store, "b", files);  // never the victim: more recent than "a"
    if (acknowledged) ExpectIntact(**store, "c", files);
    for (const char* key : {"a", "c"}) {
      if ((*store)->Find(key)) ExpectIntact(**store, key, files);
    }
    EXPECT_LE((*store)->size(), 2u);  // opening enforces the limit whatever the crash left
    ExpectNoLeftovers(env);
    if (!crashed) break;
    ++points;
  }
  std::printf("commit with eviction: %llu crash points covered (%s)\n",
              static_cast<unsigned long long>(points), ModeName(GetParam()));
  EXPECT_GT(points, 10u);
}

// Saving access times (STORE_DIR/access.json) is atomic: after a crash at any
// point the file holds the old times or the new ones, never a torn mix, and
// the scopes are untouched.
TEST_P(CrashTest, AccessTimesPersistAtomicallyAtEveryCrashPoint) {
  const ScopeFiles files = testing::MakeScopeFiles(20, 20, 5);
  const int64_t t0 = int64_t{1'700'000'000} * 1'000'000'000;
  const int64_t read_b = t0 + 10'000'000'000, read_a = t0 + 20'000'000'000;
  uint64_t points = 0;
  for (uint64_t n = 0;; ++n) {
    SCOPED_TRACE("crash after " + std::to_string(n) + " mutations, mode " + ModeName(GetParam()));
    ManualClock clock;
    StoreOptions options = SmallChunks();
    options.clock = &clock;
    MemEnv env;
    FaultEnv fault(&env);
    bool acknowledged = false;
    {
      auto store = Store::Open(&fault, "/store", options).value();
      for (const char* key : {"a", "b"}) {
        ASSERT_NO_FATAL_FAILURE(AddScope(*store, key, files));
      }
      clock.Set(read_b);
      store->RecordAccess(*store->Find("b"));
      ASSERT_TRUE(store->PersistAccessTimes().ok());
      clock.Set(read_a);
      store->RecordAccess(*store->Find("a"));
      ::testing::internal::CaptureStderr();
      fault.CrashAfter(n);
      acknowledged = store->PersistAccessTimes().ok();
      store.reset();  // the destructor's own save fails too once "dead"
      ::testing::internal::GetCapturedStderr();
    }
    const bool crashed = fault.crashed();
    env.SimulateCrash(GetParam());
    ::testing::internal::CaptureStderr();
    auto store = Store::Open(&env, "/store", options);
    const std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ(log.find("ignoring"), std::string::npos) << "a torn access.json: " << log;
    ExpectIntact(**store, "a", files);
    ExpectIntact(**store, "b", files);
    EXPECT_EQ((*store)->Find("b")->last_access_ns(), read_b);  // the old save is never lost
    const int64_t a = (*store)->Find("a")->last_access_ns();
    if (acknowledged) {
      EXPECT_EQ(a, read_a);
    } else {
      EXPECT_TRUE(a == read_a || a == t0) << a;
    }
    EXPECT_EQ(env.Tree("/store/access.json.tmp"), std::vector<std::string>{});
    if (!crashed) break;
    ++points;
  }
  std::printf("access times: %llu crash points covered (%s)\n",
              static_cast<unsigned long long>(points), ModeName(GetParam()));
  EXPECT_GT(points, 2u);
}

INSTANTIATE_TEST_SUITE_P(AllModes, CrashTest,
                         ::testing::Values(CrashMode::kDropUnsynced, CrashMode::kZeroUnsynced,
                                           CrashMode::kKeepUnsynced),
                         [](const auto& param_info) {
                           return std::string(ModeName(param_info.param));
                         });

// Fails the Nth call with EIO or ENOSPC, once or for good, until a commit gets
// through: the error reaches the caller, nothing committed changes, the
// pending files stay for a retry, and no file is left open.
TEST(IoErrorTest, CommitReportsEveryFailureAndLeavesTheStoreConsistent) {
  const ScopeFiles files = testing::MakeScopeFiles(120, 90, 4);
  for (int err : {EIO, ENOSPC}) {
    for (bool persistent : {false, true}) {
      uint64_t failures = 0;
      for (uint64_t n = 1;; ++n) {
        SCOPED_TRACE("fail call " + std::to_string(n) + " errno " + std::to_string(err) +
                     (persistent ? " persistent" : " once"));
        MemEnv env;
        FaultEnv fault(&env);
        auto store = Store::Open(&fault, "/store", SmallChunks()).value();
        ASSERT_NO_FATAL_FAILURE(Pend(*store, "k", files));
        fault.FailAt(n, err, persistent);
        const uint64_t calls_before = fault.calls();
        ::testing::internal::CaptureStderr();
        Result<std::shared_ptr<Scope>> r = store->Commit("k");
        ::testing::internal::GetCapturedStderr();
        const bool injected = fault.calls() - calls_before >= n;
        fault.Reset();
        if (r.ok()) {
          r = Result<std::shared_ptr<Scope>>(Status::Ok());  // drop our reference
          ExpectIntact(*store, "k", files);
          if (!injected) break;
          continue;  // the failed call was a best-effort cleanup; commit stood
        }
        ++failures;
        EXPECT_EQ(r.status().err(), err) << r.status().ToString();
        EXPECT_FALSE(store->Find("k"));
        if (!persistent) {
          // A passing fault: nothing is left staged, the user's files are still
          // there, and a retry succeeds in place; or, when the fault hit the
          // last member of mappings compressed as written, once they are
          // written again (as a copy run again would).
          EXPECT_EQ(env.Tree("/store/staging"), std::vector<std::string>{});
          Result<std::shared_ptr<Scope>> retry = store->Commit("k");
          if (!retry.ok() && retry.status().message().find("mappings.json must be written again") !=
                                 std::string::npos) {
            auto pending = store->FindPending("k");
            ASSERT_TRUE(pending);
            ASSERT_TRUE(
                testing::WritePendingFile(*pending, "mappings.json", files.mappings_json).ok());
            retry = store->Commit("k");
          }
          ASSERT_TRUE(retry.ok()) << "first: " << r.status().ToString()
                                  << "; retry: " << retry.status().ToString();
          retry = Result<std::shared_ptr<Scope>>(Status::Ok());
          ExpectIntact(*store, "k", files);
          store.reset();
        } else {
          // A dead disk: even cleanup fails. Once it is repaired, a restart
          // settles the truth: the scope is absent or whole, nothing is left over.
          store.reset();
          ::testing::internal::CaptureStderr();
          store = Store::Open(&fault, "/store", SmallChunks()).value();
          ::testing::internal::GetCapturedStderr();
          if (store->Find("k")) ExpectIntact(*store, "k", files);
          ExpectNoLeftovers(env);
          store.reset();
        }
        EXPECT_EQ(fault.open_files(), 0);
      }
      std::printf(
          "commit with %s %s at each of %llu failing calls: all reported, nothing changed\n",
          err == EIO ? "EIO" : "ENOSPC", persistent ? "from then on" : "once",
          static_cast<unsigned long long>(failures));
      EXPECT_GT(failures, 10u);
    }
  }
}

}  // namespace
}  // namespace scopefs::store
