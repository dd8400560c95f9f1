#include "store/store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "store/key.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::MakeScopeFiles;
using testing::MemEnv;
using testing::ScopeFiles;
using testing::WriteScopeFiles;

class FixedClock final : public Clock {
 public:
  int64_t NowNanos() const override { return 1'700'000'000'000'000'000; }
};

std::string ReadAll(const ChunkedGzipReader& reader) {
  std::string out(reader.index().uncompressed_size, '\0');
  Result<size_t> n = reader.ReadAt(0, out.data(), out.size());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return out;
}

std::string ReadStored(const Scope& scope, std::string_view name) {
  Result<std::shared_ptr<const File>> f = scope.OpenStored(name);
  EXPECT_TRUE(f.ok());
  std::string out(1 << 20, '\0');
  out.resize((*f)->ReadAt(0, out.data(), out.size()).value());
  return out;
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore() { return testing::OpenTestStore(&env_, &clock_); }
  std::shared_ptr<PendingScope> Pend(Store& store, const std::string& key,
                                     const ScopeFiles& files) {
    return testing::PendTestScope(store, key, files);
  }

  MemEnv env_;
  FixedClock clock_;
};

TEST_F(StoreTest, CommitsAndServesTheSameBytes) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(1001, 2003);
  std::shared_ptr<PendingScope> pending = Pend(*store, "scope-1", files);
  AttrChange set_mtime;
  set_mtime.mtime_ns = 42;
  pending->Find("nodes.bits").value()->SetAttrs(set_mtime);
  Result<std::shared_ptr<Scope>> scope = store->Commit("scope-1");
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();

  const ScopeRecord& r = (*scope)->record();
  EXPECT_EQ(r.total_nodes, 1001u);
  EXPECT_EQ(r.total_links, 2003u);
  EXPECT_EQ(r.created_ns, clock_.NowNanos());
  EXPECT_EQ(r.nodes.mtime_ns, 42);
  EXPECT_EQ(r.links.mtime_ns, clock_.NowNanos());  // written "now" by the fixed clock
  EXPECT_TRUE(pending->closed());
  EXPECT_EQ(pending->committed_scope().lock(), *scope);
  EXPECT_FALSE(store->FindPending("scope-1"));
  EXPECT_EQ(r.config_attributes, nlohmann::json::parse(R"({"seed":1})"));
  EXPECT_GE(r.mappings_index.members.size(), 5u);
  EXPECT_EQ(ReadStored(**scope, kNodesFile), files.nodes_bits);
  EXPECT_EQ(ReadStored(**scope, kLinksFile), files.links_bits);
  auto mappings = (*scope)->Mappings();
  ASSERT_TRUE(mappings.ok());
  EXPECT_EQ(ReadAll(**mappings), files.mappings_json);
  EXPECT_TRUE((*scope)->Verify().ok());

  EXPECT_EQ(store->stored_bytes(), r.stored_bytes());
  EXPECT_EQ(store->Find("scope-1"), *scope);
  EXPECT_EQ(store->List().size(), 1u);
  // Only the committed directory is left: pending and staging are cleaned up.
  EXPECT_EQ(env_.Tree("/store/pending"), std::vector<std::string>{});
  EXPECT_EQ(env_.Tree("/store/scopes"),
            (std::vector<std::string>{
                "/store/scopes/scope-1", "/store/scopes/scope-1/links.bits",
                "/store/scopes/scope-1/links.idx", "/store/scopes/scope-1/mappings.json.gz",
                "/store/scopes/scope-1/meta.json", "/store/scopes/scope-1/nodes.bits",
                "/store/scopes/scope-1/nodes.idx"}));
}

TEST_F(StoreTest, KeysAreValidatedAndUnique) {
  auto store = OpenStore();
  EXPECT_EQ(store->CreatePending(".x").status().code(), Status::Code::kInvalid);
  EXPECT_EQ(store->CreatePending("a b").status().code(), Status::Code::kInvalid);
  Pend(*store, "k", MakeScopeFiles(5, 5));
  EXPECT_EQ(store->CreatePending("k").status().code(), Status::Code::kExists);
  ASSERT_TRUE(store->Commit("k").ok());
  EXPECT_EQ(store->CreatePending("k").status().code(), Status::Code::kExists);
}

TEST_F(StoreTest, SecondOpenerIsRefusedWhileTheFirstHoldsTheLock) {
  auto store = OpenStore();
  Result<std::unique_ptr<Store>> second = Store::Open(&env_, "/store", StoreOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kBusy);
  store.reset();
  EXPECT_TRUE(Store::Open(&env_, "/store", StoreOptions()).ok());
}

TEST_F(StoreTest, LockRefusalOnTheRealFilesystemNamesTheHolder) {
  testing::TempDir dir;
  auto first = Store::Open(PosixEnv(), dir.path() + "/store", StoreOptions());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Store::Open(PosixEnv(), dir.path() + "/store", StoreOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kBusy);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(getpid())), std::string::npos)
      << second.status().message();
}

TEST_F(StoreTest, ReopenFindsCommittedScopesAndDropsPendingOnes) {
  ScopeFiles files = MakeScopeFiles(64, 64);
  {
    auto store = OpenStore();
    Pend(*store, "kept", files);
    ASSERT_TRUE(store->Commit("kept").ok());
    Pend(*store, "half", files);
  }
  auto store = OpenStore();
  ASSERT_TRUE(store->Find("kept"));
  EXPECT_FALSE(store->Find("half"));
  EXPECT_TRUE(env_.Tree("/store/pending").empty());
  EXPECT_EQ(ReadAll(*store->Find("kept")->Mappings().value()), files.mappings_json);
}

TEST_F(StoreTest, ReopenDropsScopesThatFailTheirChecks) {
  {
    auto store = OpenStore();
    for (const char* key : {"good", "no-nodes", "short-gz", "bad-record", "wrong-key"}) {
      Pend(*store, key, MakeScopeFiles(40, 40));
      ASSERT_TRUE(store->Commit(key).ok());
    }
  }
  ASSERT_TRUE(env_.Unlink("/store/scopes/no-nodes/nodes.bits").ok());
  ASSERT_TRUE((*env_.Open("/store/scopes/short-gz/mappings.json.gz", OpenMode::kReadWrite))
                  ->Truncate(10)
                  .ok());
  ASSERT_TRUE((*env_.Open("/store/scopes/bad-record/meta.json", OpenMode::kReadWrite))
                  ->WriteAt(30, "X", 1)
                  .ok());
  ASSERT_TRUE(
      env_.Rename("/store/scopes/wrong-key", "/store/scopes/other", RenameMode::kNoReplace).ok());
  ASSERT_TRUE(env_.MakeDir("/store/scopes/.bad key").ok());

  ::testing::internal::CaptureStderr();
  auto store = OpenStore();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(store->size(), 2u);
  EXPECT_TRUE(store->Find("good"));
  EXPECT_EQ(env_.Tree("/store/scopes").front(), "/store/scopes/good");
  EXPECT_EQ(env_.Tree("/store/scopes").size(), 14u);  // good, other and their six files
  EXPECT_FALSE(store->Find("wrong-key"));
  ASSERT_TRUE(store->Find("other"));  // renamed offline: the directory name is the key
  EXPECT_EQ(store->Find("other")->key(), "other");
  for (const char* key : {"no-nodes", "short-gz", "bad-record", ".bad key"}) {
    EXPECT_NE(log.find(std::string("dropping scope \"") + key + "\""), std::string::npos) << log;
  }
}

TEST_F(StoreTest, RemovedScopeKeepsServingOpenReadersUntilReleased) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(300, 300);
  Pend(*store, "k", files);
  std::shared_ptr<Scope> scope = store->Commit("k").value();
  auto mappings = scope->Mappings().value();
  auto nodes = scope->OpenStored(kNodesFile).value();

  ASSERT_TRUE(store->Remove("k").ok());
  EXPECT_FALSE(store->Find("k"));
  EXPECT_EQ(store->stored_bytes(), 0u);
  EXPECT_TRUE(scope->removed());
  EXPECT_EQ(scope->OpenStored(kLinksFile).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(env_.Tree("/store/scopes").empty());
  EXPECT_FALSE(env_.Tree("/store/trash").empty());  // bytes held while open

  EXPECT_EQ(ReadAll(*mappings), files.mappings_json);
  std::string bits(files.nodes_bits.size(), '\0');
  ASSERT_TRUE(nodes->ReadAt(0, bits.data(), bits.size()).ok());
  EXPECT_EQ(bits, files.nodes_bits);

  mappings.reset();
  nodes.reset();
  scope.reset();  // the last holder deletes the trash directory
  EXPECT_TRUE(env_.Tree("/store/trash").empty());
  EXPECT_EQ(store->Remove("k").code(), Status::Code::kNotFound);
}

TEST_F(StoreTest, RenameMovesCommittedAndPendingScopes) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(30, 30);
  Pend(*store, "a", files);
  std::shared_ptr<Scope> a = store->Commit("a").value();
  ASSERT_TRUE(store->Rename("a", "b").ok());
  EXPECT_FALSE(store->Find("a"));
  EXPECT_FALSE(a->removed());  // the same scope, under its new name
  ASSERT_TRUE(store->Find("b"));
  EXPECT_EQ(a, store->Find("b"));
  EXPECT_EQ(a->key(), "b");
  EXPECT_EQ(ReadAll(*store->Find("b")->Mappings().value()), files.mappings_json);
  a.reset();
  EXPECT_TRUE(store->Find("b")->Verify().ok());

  Pend(*store, "c", files);
  EXPECT_EQ(store->Rename("c", "b").code(), Status::Code::kExists);
  EXPECT_EQ(store->Rename("c", ".bad").code(), Status::Code::kInvalid);
  ASSERT_TRUE(store->CreatePending("empty").ok());
  ASSERT_TRUE(store->Rename("c", "empty").ok());  // an empty pending directory is replaced
  EXPECT_FALSE(store->FindPending("c"));
  ASSERT_TRUE(store->FindPending("empty"));
  EXPECT_EQ(store->FindPending("empty")->key(), "empty");
  ASSERT_TRUE(store->Commit("empty").ok());
  EXPECT_EQ(ReadAll(*store->Find("empty")->Mappings().value()), files.mappings_json);

  store.reset();
  store = OpenStore();  // both survive a restart under their new names
  EXPECT_TRUE(store->Find("b") && store->Find("empty") && !store->Find("a"));
}

TEST_F(StoreTest, VerifyCatchesAFlippedByteInEachStoredFile) {
  auto store = OpenStore();
  Pend(*store, "k", MakeScopeFiles(200, 200));
  ASSERT_TRUE(store->Commit("k").ok());
  for (std::string_view name : {kNodesFile, kLinksFile, kMappingsGzFile}) {
    const std::string path = Layout::Join(store->layout().scope_dir("k"), name);
    auto file = env_.Open(path, OpenMode::kReadWrite).value();
    char c;
    ASSERT_TRUE(file->ReadAt(17, &c, 1).ok());
    char flipped = static_cast<char>(c ^ 0x10);
    ASSERT_TRUE(file->WriteAt(17, &flipped, 1).ok());
    Status st = store->Find("k")->Verify();
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << name;
    EXPECT_NE(st.message().find(std::string(name)), std::string::npos) << st.message();
    ASSERT_TRUE(file->WriteAt(17, &c, 1).ok());
  }
  EXPECT_TRUE(store->Find("k")->Verify().ok());
}

TEST_F(StoreTest, VerifyQuarantinesEachKindOfDamageAndNothingElse) {
  auto store = OpenStore();
  std::vector<std::string> removed;
  store->SetRemovalListener([&](const std::string& key) { removed.push_back(key); });
  const ScopeFiles files = MakeScopeFiles(300, 300);
  for (const char* key : {"good", "nodes", "links", "gz", "record", "gone"}) {
    Pend(*store, key, files);
    ASSERT_TRUE(store->Commit(key).ok());
  }
  ASSERT_TRUE(store->Verify("good").ok());
  auto flip = [&](const std::string& path) {
    auto f = env_.Open(path, OpenMode::kReadWrite);
    ASSERT_TRUE(f.ok());
    char c = 0;
    ASSERT_EQ((*f)->ReadAt(20, &c, 1).value(), 1u);
    c = static_cast<char>(c ^ 0x40);
    ASSERT_TRUE((*f)->WriteAt(20, &c, 1).ok());
  };
  flip("/store/scopes/nodes/nodes.bits");
  flip("/store/scopes/links/links.bits");
  flip("/store/scopes/gz/mappings.json.gz");
  flip("/store/scopes/record/meta.json");
  ASSERT_TRUE(env_.Unlink("/store/scopes/gone/links.bits").ok());

  ::testing::internal::CaptureStderr();
  for (const char* key : {"nodes", "links", "gz", "record", "gone"}) {
    Status st = store->Verify(key);
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << key << ": " << st.ToString();
    EXPECT_FALSE(store->Find(key)) << key;
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("quarantining scope record: "), std::string::npos) << log;
  EXPECT_EQ(removed, (std::vector<std::string>{"nodes", "links", "gz", "record", "gone"}));
  EXPECT_EQ(store->counters().quarantined, 5u);
  EXPECT_TRUE(store->Verify("good").ok());
  EXPECT_EQ(store->Verify("nodes").code(), Status::Code::kNotFound);
  EXPECT_EQ(store->size(), 1u);
}

TEST_F(StoreTest, CollectGarbageRemovesOrphansButNotWorkInProgress) {
  auto store = OpenStore();
  Pend(*store, "done", MakeScopeFiles(8, 8));
  ASSERT_TRUE(store->Commit("done").ok());
  Pend(*store, "writing", MakeScopeFiles(8, 8));
  for (const char* dir : {"/store/pending/lost", "/store/staging/lost", "/store/scopes/stray",
                          "/store/staging/writing"}) {
    ASSERT_TRUE(env_.MakeDir(dir).ok()) << dir;
  }
  ::testing::internal::CaptureStderr();
  GarbageReport r = store->CollectGarbage();
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.orphans, 3u);
  EXPECT_EQ(r.expired, 0u);
  EXPECT_EQ(env_.Tree("/store/pending").size(), 1u + 4u);  // "writing" and its files
  EXPECT_EQ(env_.Tree("/store/staging"), (std::vector<std::string>{"/store/staging/writing"}));
  EXPECT_TRUE(store->Find("done"));
  EXPECT_TRUE(store->Commit("writing").ok());
}

TEST_F(StoreTest, TimesSetOnThePendingDirectoryBecomeCreationAndLastAccess) {
  auto store = OpenStore();
  auto pending = Pend(*store, "old", MakeScopeFiles(8, 8));
  AttrChange times;
  times.mtime_ns = int64_t{1'600'000'000} * 1'000'000'000;  // created
  times.atime_ns = int64_t{1'650'000'000} * 1'000'000'000;  // last accessed
  pending->SetDirAttrs(times);
  Result<std::shared_ptr<Scope>> scope = store->Commit("old");
  ASSERT_TRUE(scope.ok());
  EXPECT_EQ((*scope)->record().created_ns, *times.mtime_ns);
  EXPECT_EQ((*scope)->last_access_ns(), *times.atime_ns);

  // A time in the future is not an access yet to come: it is clamped to now.
  auto future = Pend(*store, "future", MakeScopeFiles(8, 8));
  times.atime_ns = clock_.NowNanos() + 1'000'000'000;
  future->SetDirAttrs(times);
  EXPECT_EQ((*store->Commit("future"))->last_access_ns(), clock_.NowNanos());
  // Without times set, both are the commit's time.
  Pend(*store, "now", MakeScopeFiles(8, 8));
  EXPECT_EQ((*store->Commit("now"))->record().created_ns, clock_.NowNanos());
}

TEST_F(StoreTest, OpeningWithLowerLimitsEvictsAtOnce) {
  {
    auto store = OpenStore();
    for (const char* key : {"a", "b", "c"}) {
      Pend(*store, key, MakeScopeFiles(8, 8));
      ASSERT_TRUE(store->Commit(key).ok());
    }
  }
  StoreOptions options;
  options.clock = &clock_;
  options.limits.max_entries = 2;
  ::testing::internal::CaptureStderr();
  auto store = Store::Open(&env_, "/store", options);
  ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->size(), 2u);
}

TEST(IsoTimeTest, ParsesWhatFormatAndPythonWrite) {
  const int64_t t = int64_t{1'700'000'000} * 1'000'000'000 + 123'456'000;
  EXPECT_EQ(ParseIsoTime(FormatIsoTime(t)), t);
  EXPECT_EQ(ParseIsoTime("2023-11-14T22:13:20Z"), int64_t{1'700'000'000} * 1'000'000'000);
  EXPECT_EQ(ParseIsoTime("2023-11-15T00:13:20+02:00"), int64_t{1'700'000'000} * 1'000'000'000);
  EXPECT_EQ(ParseIsoTime("2023-11-14 22:13:20.5-00:30"),
            int64_t{1'700'001'800} * 1'000'000'000 + 500'000'000);
  // No offset: local time, as Python's datetime.now().isoformat() means it.
  setenv("TZ", "Europe/Berlin", 1);
  tzset();
  EXPECT_EQ(ParseIsoTime("2023-11-14T23:13:20.000001"),
            int64_t{1'700'000'000} * 1'000'000'000 + 1000);
  unsetenv("TZ");
  tzset();
  for (const char* bad :
       {"", "2023-11-14", "2023-13-01T00:00:00", "2023-11-14T22:13", "2023-11-14T22:13:20.",
        "2023-11-14T22:13:20+2", "2023-11-14T22:13:20 junk", "yesterday"}) {
    EXPECT_FALSE(ParseIsoTime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace scopefs::store
