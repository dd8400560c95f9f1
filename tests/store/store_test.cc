#include "store/store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <set>

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
  std::unique_ptr<Store> OpenStore() {
    StoreOptions options;
    options.clock = &clock_;
    options.commit.codec.chunk_size = 4096;  // many members even for small scopes
    Result<std::unique_ptr<Store>> store = Store::Open(&env_, "/store", options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Creates pending/<key> holding `files`.
  std::shared_ptr<PendingScope> Pend(Store& store, const std::string& key,
                                     const ScopeFiles& files) {
    Result<std::shared_ptr<PendingScope>> pending = store.CreatePending(key);
    EXPECT_TRUE(pending.ok()) << pending.status().ToString();
    if (!pending.ok()) return nullptr;
    EXPECT_TRUE(WriteScopeFiles(**pending, files).ok());
    return *pending;
  }

  // Commits `files` under `key` expecting `reason` in the refusal.
  void ExpectRefused(Store& store, const std::string& key, const ScopeFiles& files,
                     const std::string& reason) {
    Pend(store, key, files);
    Result<std::shared_ptr<Scope>> r = store.Commit(key);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
    EXPECT_NE(r.status().message().find(reason), std::string::npos) << r.status().message();
    EXPECT_FALSE(store.Find(key));
    // The user's files stay, so the wrong one can be fixed; nothing is left staged.
    std::shared_ptr<PendingScope> pending = store.FindPending(key);
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->List().size(), 4u);
    EXPECT_EQ(pending->StatusLine(), "invalid: " + r.status().message());
    EXPECT_TRUE(env_.Tree("/store/staging").empty());
    ASSERT_TRUE(store.DropPending(key).ok());
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
            (std::vector<std::string>{"/store/scopes/scope-1", "/store/scopes/scope-1/links.bits",
                                      "/store/scopes/scope-1/mappings.json.gz",
                                      "/store/scopes/scope-1/meta.json",
                                      "/store/scopes/scope-1/nodes.bits"}));
}

TEST_F(StoreTest, TotalsDefaultToTheMappingCounts) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(17, 3);
  files.meta_json = "{}";
  Pend(*store, "k", files);
  auto scope = store->Commit("k");
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ((*scope)->record().total_nodes, 17u);
  EXPECT_EQ((*scope)->record().total_links, 3u);
}

TEST_F(StoreTest, AcceptsGzipMappingsAndRechunksThem) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(500, 500);
  std::string plain = files.mappings_json;
  files.mappings_json.clear();
  auto pending = Pend(*store, "gz", files);
  // One gzip stream, as the old cache wrote it: a single member for everything.
  std::string gz;
  {
    auto out = env_.Open("/one-member.gz", OpenMode::kCreate).value();
    ChunkedGzipOptions one_member;
    one_member.chunk_size = 64 << 20;
    ChunkedGzipWriter writer(out.get(), one_member);
    ASSERT_TRUE(writer.Append(plain).ok());
    ASSERT_TRUE(writer.Finish().ok());
    gz.resize(out->Size().value());
    ASSERT_TRUE(out->ReadAt(0, gz.data(), gz.size()).ok());
  }
  ASSERT_TRUE(testing::WritePendingFile(*pending, "mappings.json.gz", gz).ok());
  auto scope = store->Commit("gz");
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_GT((*scope)->record().mappings_index.members.size(), 1u);  // re-chunked at 4 KiB
  EXPECT_EQ(ReadAll(*(*scope)->Mappings().value()), plain);
}

TEST_F(StoreTest, RefusesInvalidScopesWithAPreciseReason) {
  auto store = OpenStore();
  ScopeFiles good = MakeScopeFiles(100, 20);

  ScopeFiles f = good;
  f.nodes_bits.resize(3);
  ExpectRefused(*store, "a", f, "nodes.bits is 3 bytes, total_nodes=100 needs 13");
  f = good;
  f.links_bits += "x";
  ExpectRefused(*store, "b", f, "links.bits is 4 bytes, total_links=20 needs 3");
  f = good;
  f.meta_json = R"({"total_nodes":50,"total_links":20})";
  ExpectRefused(*store, "c", f, "mappings.json: node index 50 for \"n50-1\" is out of range [0, 50)");
  f = good;
  f.meta_json = "{not json";
  ExpectRefused(*store, "d", f, "meta.json is not valid JSON");
  f = good;
  f.mappings_json = R"({"node_id_mapping":{}})";
  ExpectRefused(*store, "e", f, "mappings.json: missing \"link_id_mapping\"");
  f = good;
  f.meta_json = R"({"total_links":20})";  // total_nodes defaults to the 100 entries
  f.mappings_json = R"({"node_id_mapping":{"a":0,"b":7},"link_id_mapping":{}})";
  f.nodes_bits.resize(1);
  ExpectRefused(*store, "g", f, "mappings.json: node index 7 is out of range [0, 2)");
  EXPECT_EQ(store->size(), 0u);
  EXPECT_EQ(store->stored_bytes(), 0u);
}

TEST_F(StoreTest, CommitTooEarlySaysWhatIsMissing) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(10, 10);
  files.meta_json.clear();
  auto pending = Pend(*store, "k", files);
  Result<std::shared_ptr<Scope>> r = store->Commit("k");
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "waiting for: meta.json");
  EXPECT_EQ(pending->StatusLine(), "waiting for: meta.json");  // not a refusal
}

TEST_F(StoreTest, RefusesGzipThatIsNotGzip) {
  auto store = OpenStore();
  auto pending = Pend(*store, "k", MakeScopeFiles(10, 10));
  ASSERT_TRUE(pending->Rename("mappings.json", "mappings.json.gz").ok());
  Result<std::shared_ptr<Scope>> r = store->Commit("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
  EXPECT_EQ(r.status().message().rfind("mappings.json.gz: ", 0), 0u) << r.status().message();
  EXPECT_EQ(pending->StatusLine().rfind("invalid: mappings.json.gz: ", 0), 0u);
}

TEST_F(StoreTest, BothMappingFilesAreAmbiguous) {
  auto store = OpenStore();
  auto pending = Pend(*store, "k", MakeScopeFiles(10, 10));
  ASSERT_TRUE(pending->Create("mappings.json.gz", 0644, 0, 0).ok());
  EXPECT_NE(pending->StatusLine().find("both mappings.json and mappings.json.gz"), std::string::npos);
  Result<std::shared_ptr<Scope>> r = store->Commit("k");
  EXPECT_NE(r.status().message().find("both mappings.json and mappings.json.gz"), std::string::npos);
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
                  ->Truncate(10).ok());
  ASSERT_TRUE((*env_.Open("/store/scopes/bad-record/meta.json", OpenMode::kReadWrite))
                  ->WriteAt(30, "X", 1).ok());
  ASSERT_TRUE(env_.Rename("/store/scopes/wrong-key", "/store/scopes/other", RenameMode::kNoReplace).ok());
  ASSERT_TRUE(env_.MakeDir("/store/scopes/.bad key").ok());

  ::testing::internal::CaptureStderr();
  auto store = OpenStore();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(store->size(), 2u);
  EXPECT_TRUE(store->Find("good"));
  EXPECT_EQ(env_.Tree("/store/scopes").front(), "/store/scopes/good");
  EXPECT_EQ(env_.Tree("/store/scopes").size(), 10u);  // good, other and their four files
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

TEST_F(StoreTest, PendingNamesAndStatus) {
  auto store = OpenStore();
  auto pending = store->CreatePending("k").value();
  EXPECT_EQ(pending->StatusLine(), "waiting for: nodes.bits, links.bits, mappings.json, meta.json");
  for (const char* bad : {"other.txt", ".status", "nodes.bits.bak", "mappings.json.gz.tmp"}) {
    EXPECT_EQ(pending->Create(bad, 0644, 0, 0).status().code(), Status::Code::kPermission) << bad;
  }
  auto tmp = pending->Create(".nodes.bits.XyZ12", 0600, 7, 8).value();
  EXPECT_EQ(tmp->attrs().mode, 0600u);
  EXPECT_EQ(tmp->attrs().uid, 7u);
  EXPECT_EQ(pending->Rename(".nodes.bits.XyZ12", "nodes.txt").code(), Status::Code::kPermission);
  ASSERT_TRUE(pending->Rename(".nodes.bits.XyZ12", "nodes.bits").ok());
  EXPECT_EQ(pending->StatusLine(), "waiting for: links.bits, mappings.json, meta.json");
  ScopeFiles files = MakeScopeFiles(8, 8);
  ASSERT_TRUE(WriteScopeFiles(*pending, files).ok());
  auto meta = pending->Find("meta.json").value();
  pending->AddWriter(*meta);
  EXPECT_FALSE(pending->ReadyToCommit(nullptr));
  EXPECT_TRUE(pending->ReadyToCommit(meta.get()));  // its own writer is the one closing
  EXPECT_EQ(pending->StatusLine(), "waiting for writers to close: meta.json");
  pending->RemoveWriter(*meta);
  EXPECT_TRUE(pending->ReadyToCommit(nullptr));
}

TEST_F(StoreTest, PendingWritesAreBounded) {
  StoreOptions options;
  options.max_file_size = 1000;
  auto store = Store::Open(&env_, "/store", options).value();
  auto file = store->CreatePending("k").value()->Create("nodes.bits", 0644, 0, 0).value();
  EXPECT_TRUE(file->Write(990, std::string(10, 'x')).ok());
  EXPECT_EQ(file->Write(991, std::string(10, 'x')).code(), Status::Code::kTooBig);
  EXPECT_EQ(file->Write(uint64_t{1} << 40, "x").code(), Status::Code::kTooBig);
  EXPECT_EQ(file->Truncate(1001).code(), Status::Code::kTooBig);
  EXPECT_EQ(file->attrs().size, 1000u);
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

TEST_F(StoreTest, OneProcessWritesAPendingScopeUntilItExitsOrIsRefused) {
  auto store = OpenStore();
  auto pending = store->CreatePending("k").value();
  std::set<int64_t> alive = {100, 200};
  auto is_alive = [&](int64_t pid) { return alive.count(pid) != 0; };
  EXPECT_TRUE(pending->ClaimWriter(100, is_alive).ok());
  EXPECT_TRUE(pending->ClaimWriter(100, is_alive).ok());
  EXPECT_TRUE(pending->ClaimWriter(0, is_alive).ok());  // the kernel itself
  Status busy = pending->ClaimWriter(200, is_alive);
  EXPECT_EQ(busy.code(), Status::Code::kBusy);
  EXPECT_NE(busy.message().find("pid 100"), std::string::npos) << busy.message();
  alive.erase(100);  // the writer exited: the scope is anyone's to finish
  EXPECT_TRUE(pending->ClaimWriter(200, is_alive).ok());
  EXPECT_EQ(pending->ClaimWriter(300, [](int64_t) { return true; }).code(), Status::Code::kBusy);
  pending->SetRefusal("nodes.bits is wrong");  // a refused commit ends that writer's attempt
  EXPECT_TRUE(pending->ClaimWriter(300, [](int64_t) { return true; }).ok());
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
  EXPECT_EQ(ParseIsoTime("2023-11-14T23:13:20.000001"), int64_t{1'700'000'000} * 1'000'000'000 + 1000);
  unsetenv("TZ");
  tzset();
  for (const char* bad : {"", "2023-11-14", "2023-13-01T00:00:00", "2023-11-14T22:13", "2023-11-14T22:13:20.",
                          "2023-11-14T22:13:20+2", "2023-11-14T22:13:20 junk", "yesterday"}) {
    EXPECT_FALSE(ParseIsoTime(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace scopefs::store
