// Commit: validation and the reasons a commit is refused, the cap on totals,
// and a commit racing a rename or a replacement of its own pending scope.
#include "store/commit.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/crc32.h"
#include "store/store.h"
#include "tests/support/fault_env.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::FaultEnv;
using testing::MakeScopeFiles;
using testing::MemEnv;
using testing::ScopeFiles;
using testing::WriteScopeFiles;

std::string ReadAll(const ChunkedGzipReader& reader) {
  std::string out(reader.index().uncompressed_size, '\0');
  Result<size_t> n = reader.ReadAt(0, out.data(), out.size());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return out;
}

// Set on the thread that renames, so RacingClock tells its clock reads apart.
thread_local bool t_renamer = false;

// Lets the test stop a commit midway and wait for what a racing rename did.
class Race {
 public:
  void RenamerMoved() {
    std::lock_guard lock(mu_);
    renamer_moved_ = true;
    cv_.notify_all();
  }
  void WaitForRenamer() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return renamer_moved_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool renamer_moved_ = false;
};

// A fixed time, which also tells the Race when the renaming thread reads it:
// Store::Rename reads the clock (touching the pending scope) just before it
// waits for the scope's commit lock.
class RacingClock final : public Clock {
 public:
  explicit RacingClock(Race* race) : race_(race) {}
  int64_t NowNanos() const override {
    if (t_renamer) race_->RenamerMoved();
    return 1'700'000'000'000'000'000;
  }

 private:
  Race* const race_;
};

class CommitTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore() { return testing::OpenTestStore(&env_, &clock_); }
  std::shared_ptr<PendingScope> Pend(Store& store, const std::string& key,
                                     const ScopeFiles& files) {
    return testing::PendTestScope(store, key, files);
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
    EXPECT_TRUE(mem_.Tree("/store/staging").empty());
    ASSERT_TRUE(store.DropPending(key).ok());
  }

  MemEnv mem_;
  FaultEnv env_{&mem_};
  Race race_;
  RacingClock clock_{&race_};
};

TEST_F(CommitTest, TotalsDefaultToTheMappingCounts) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(17, 3);
  files.meta_json = "{}";
  Pend(*store, "k", files);
  auto scope = store->Commit("k");
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ((*scope)->record().total_nodes, 17u);
  EXPECT_EQ((*scope)->record().total_links, 3u);
}

TEST_F(CommitTest, AcceptsGzipMappingsAndRechunksThem) {
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

TEST_F(CommitTest, RefusesInvalidScopesWithAPreciseReason) {
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
  // Mappings compressed as written are checked against meta.json's totals at
  // the commit, which names the largest index.
  ExpectRefused(*store, "c", f,
                "mappings.json: node index 99 for \"n99-1\" is out of range [0, 50)");
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
  ExpectRefused(*store, "g", f, "mappings.json: node index 7 for \"b\" is out of range [0, 2)");
  EXPECT_EQ(store->size(), 0u);
  EXPECT_EQ(store->stored_bytes(), 0u);
}

TEST_F(CommitTest, CommitTooEarlySaysWhatIsMissing) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(10, 10);
  files.meta_json.clear();
  auto pending = Pend(*store, "k", files);
  Result<std::shared_ptr<Scope>> r = store->Commit("k");
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "waiting for: meta.json");
  EXPECT_EQ(pending->StatusLine(), "waiting for: meta.json");  // not a refusal
}

TEST_F(CommitTest, RefusesGzipThatIsNotGzip) {
  auto store = OpenStore();
  auto pending = Pend(*store, "k", MakeScopeFiles(10, 10));
  ASSERT_TRUE(pending->Rename("mappings.json", "mappings.json.gz").ok());
  Result<std::shared_ptr<Scope>> r = store->Commit("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
  EXPECT_EQ(r.status().message().rfind("mappings.json.gz: ", 0), 0u) << r.status().message();
  EXPECT_EQ(pending->StatusLine().rfind("invalid: mappings.json.gz: ", 0), 0u);
}

TEST_F(CommitTest, BothMappingFilesAreAmbiguous) {
  auto store = OpenStore();
  auto pending = Pend(*store, "k", MakeScopeFiles(10, 10));
  ASSERT_TRUE(pending->Create("mappings.json.gz", 0644, 0, 0).ok());
  EXPECT_NE(pending->StatusLine().find("both mappings.json and mappings.json.gz"),
            std::string::npos);
  Result<std::shared_ptr<Scope>> r = store->Commit("k");
  EXPECT_NE(r.status().message().find("both mappings.json and mappings.json.gz"),
            std::string::npos);
}

TEST_F(CommitTest, TotalsPastTheLimitAreRefusedNamingIt) {
  auto store = OpenStore();
  ScopeFiles files = MakeScopeFiles(10, 10);
  files.meta_json = R"({"total_nodes":17179869185,"total_links":10})";  // 2^34 + 1
  ExpectRefused(*store, "nodes", files,
                "meta.json: total_nodes is 17179869185, more than the limit of 17179869184 "
                "(2^34) bits");
  files.meta_json = R"({"total_nodes":10,"total_links":18446744073709551615})";
  ExpectRefused(*store, "links", files, "total_links is 18446744073709551615, more than the limit");
  EXPECT_EQ(CheckTotalBits("total_nodes", kMaxTotalBits).code(), Status::Code::kOk);
}

TEST(CrcTest, ACrcTakenInPiecesIsTheCrcOfTheWhole) {
  const std::string bytes = MakeScopeFiles(5000, 10).mappings_json;
  const uint32_t whole = Crc32(bytes);
  uint32_t pieces = 0;
  for (size_t at = 0; at < bytes.size(); at += 777) {
    pieces = Crc32Update(pieces, std::string_view(bytes).substr(at, 777));
  }
  EXPECT_EQ(pieces, whole);
  EXPECT_EQ(Crc32("123456789"), 0xcbf43926u);  // the CRC-32 check value
}

// The encoded mappings are fsynced while the index files are built. A failed
// fsync refuses the commit and every retry of it (the pages may look clean
// to a second fsync), until mappings.json is written again.
TEST_F(CommitTest, AFailedFsyncOfTheEncodedMappingsSticksUntilTheyAreWrittenAgain) {
  auto store = OpenStore();
  const ScopeFiles files = MakeScopeFiles(40, 40);
  std::shared_ptr<PendingScope> pending = Pend(*store, "a", files);
  std::shared_ptr<PendingFile> mappings = pending->Find("mappings.json").value();
  ASSERT_TRUE(mappings->encoded());
  env_.FailNextMatching("fsync /store/encoding/", EIO);
  ::testing::internal::CaptureStderr();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result<std::shared_ptr<Scope>> r = store->Commit("a");
    ASSERT_FALSE(r.ok()) << attempt;
    EXPECT_EQ(r.status().err(), EIO) << r.status().ToString();
    EXPECT_NE(r.status().message().find("mappings.json must be written again"), std::string::npos)
        << r.status().ToString();
    EXPECT_FALSE(store->Find("a"));
    EXPECT_EQ(mem_.Tree("/store/scopes"), std::vector<std::string>{});
  }
  ::testing::internal::GetCapturedStderr();
  // Written again (as a copy run again does: O_TRUNC, then front to back).
  ASSERT_TRUE(mappings->Truncate(0).ok());
  ASSERT_TRUE(mappings->Write(0, files.mappings_json).ok());
  Result<std::shared_ptr<Scope>> r = store->Commit("a");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(*(*r)->Mappings().value()), files.mappings_json);
  EXPECT_TRUE((*r)->Verify().ok());
}

// A rename of a pending scope while its commit is staged waits for the commit,
// then renames what it made: one scope, under the new name, nothing lost.
TEST_F(CommitTest, ARenameWaitsForTheCommitOfItsScope) {
  auto store = OpenStore();
  const ScopeFiles files = MakeScopeFiles(40, 40);
  Pend(*store, "a", files);
  std::thread renamer;
  Status renamed = Status::Invalid("not run");
  bool started = false;
  env_.OnCall([&](const std::string& what) {
    // The staged copy is complete: rename the scope before it is published.
    if (started || what != "fsync /store/staging/a") return;
    started = true;
    renamer = std::thread([&] {
      t_renamer = true;
      renamed = store->Rename("a", "b");
      race_.RenamerMoved();
    });
    race_.WaitForRenamer();  // it renamed, or it is about to wait for the commit
  });
  Result<std::shared_ptr<Scope>> committed = store->Commit("a");
  renamer.join();
  ASSERT_TRUE(started);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  ASSERT_TRUE(renamed.ok()) << renamed.ToString();

  EXPECT_FALSE(store->Find("a"));
  ASSERT_TRUE(store->Find("b"));
  EXPECT_EQ(store->Find("b"), *committed);
  EXPECT_EQ((*committed)->key(), "b");
  EXPECT_TRUE(store->ListPending().empty());
  EXPECT_EQ(mem_.Tree("/store/pending"), std::vector<std::string>{});
  EXPECT_EQ(mem_.Tree("/store/staging"), std::vector<std::string>{});
  EXPECT_EQ(mem_.Tree("/store/scopes"),
            (std::vector<std::string>{
                "/store/scopes/b", "/store/scopes/b/links.bits", "/store/scopes/b/links.idx",
                "/store/scopes/b/mappings.json.gz", "/store/scopes/b/meta.json",
                "/store/scopes/b/nodes.bits", "/store/scopes/b/nodes.idx"}));
  EXPECT_TRUE((*committed)->Verify().ok());
  EXPECT_EQ(ReadAll(*(*committed)->Mappings().value()), files.mappings_json);
  EXPECT_EQ(store->pending_bytes(), 0u);

  committed = Status::Invalid("released");
  env_.OnCall(nullptr);
  store.reset();
  store = OpenStore();  // and so it stays after a restart
  ASSERT_TRUE(store->Find("b"));
  EXPECT_FALSE(store->Find("a"));
  EXPECT_EQ(ReadAll(*store->Find("b")->Mappings().value()), files.mappings_json);
}

// A rename may replace a pending scope that is empty, without its commit lock;
// a commit of that scope already under way then publishes nothing, and the
// scope that took its name keeps its files.
TEST_F(CommitTest, ACommitWhoseScopeWasReplacedMidwayPublishesNothing) {
  auto store = OpenStore();
  std::shared_ptr<PendingScope> first = Pend(*store, "t", MakeScopeFiles(40, 40, 1));
  const ScopeFiles second_files = MakeScopeFiles(50, 50, 2);
  std::shared_ptr<PendingScope> second = Pend(*store, "s", second_files);
  bool replaced = false;
  env_.OnCall([&](const std::string& what) {
    if (replaced || what != "fsync /store/staging/t") return;
    replaced = true;
    for (const std::string& name : first->List()) ASSERT_TRUE(first->Unlink(name).ok()) << name;
    ASSERT_TRUE(store->Rename("s", "t").ok());
  });
  Result<std::shared_ptr<Scope>> r = store->Commit("t");
  ASSERT_TRUE(replaced);
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound) << r.status().ToString();
  EXPECT_FALSE(store->Find("t"));
  EXPECT_EQ(mem_.Tree("/store/staging"), std::vector<std::string>{});
  EXPECT_EQ(store->FindPending("t"), second);
  EXPECT_EQ(second->List().size(), 4u);
  EXPECT_EQ(mem_.Tree("/store/pending/t").size(), 4u);

  env_.OnCall(nullptr);
  r = store->Commit(second);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->record().total_nodes, 50u);
  EXPECT_EQ(ReadAll(*(*r)->Mappings().value()), second_files.mappings_json);
}

}  // namespace
}  // namespace scopefs::store
