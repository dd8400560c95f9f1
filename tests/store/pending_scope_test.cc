// PendingScope and PendingFile: accepted names, the writer claim, and the
// space a pending file holds in the budget, until the last holder lets go.
#include "store/pending_scope.h"

#include <gtest/gtest.h>

#include <set>

#include "store/store.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::MakeScopeFiles;
using testing::MemEnv;
using testing::ScopeFiles;
using testing::WriteScopeFiles;

// A budget of `limit` bytes that evicts nothing: what a Store with nothing
// committed does.
class FakeBudget final : public SpaceBudget {
 public:
  explicit FakeBudget(uint64_t limit) : limit_(limit) {}
  Status Reserve(uint64_t bytes) override {
    if (used_ + bytes > limit_) return Status::NoSpace("the fake budget is full");
    used_ += bytes;
    return Status::Ok();
  }
  void Release(uint64_t bytes) override { used_ -= std::min(used_, bytes); }
  uint64_t used() const { return used_; }

 private:
  const uint64_t limit_;
  uint64_t used_ = 0;
};

class PendingScopeTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore() {
    Result<std::unique_ptr<Store>> store = Store::Open(&env_, "/store", StoreOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A pending scope in /p, on its own, whose files ask `budget` for room.
  std::unique_ptr<PendingScope> MakeScope(SpaceBudget* budget) {
    EXPECT_TRUE(env_.MakeDir("/p").ok());
    return std::make_unique<PendingScope>(&env_, "k", "/p", SystemClock(), 1000, budget);
  }

  MemEnv env_;
};

TEST_F(PendingScopeTest, PendingNamesAndStatus) {
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

TEST_F(PendingScopeTest, PendingWritesAreBounded) {
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

TEST_F(PendingScopeTest, OneProcessWritesAPendingScopeUntilItExitsOrIsRefused) {
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

TEST_F(PendingScopeTest, AnUnlinkedFileCountsUntilItsLastHolderLetsGo) {
  FakeBudget budget(100);
  auto scope = MakeScope(&budget);
  std::shared_ptr<PendingFile> file = scope->Create(".nodes.bits.tmp", 0644, 0, 0).value();
  ASSERT_TRUE(file->Write(0, std::string(40, 'x')).ok());
  ASSERT_TRUE(scope->Unlink(".nodes.bits.tmp").ok());
  // The name is gone, the bytes are not: an open descriptor still writes to them.
  EXPECT_EQ(budget.used(), 40u);
  ASSERT_TRUE(file->Write(40, std::string(40, 'x')).ok());
  EXPECT_EQ(budget.used(), 80u);
  EXPECT_EQ(file->Write(80, std::string(40, 'x')).code(), Status::Code::kNoSpace);
  ASSERT_TRUE(file->Truncate(10).ok());
  EXPECT_EQ(budget.used(), 10u);
  file.reset();  // the last holder: now the bytes are gone
  EXPECT_EQ(budget.used(), 0u);
}

TEST_F(PendingScopeTest, AFileReplacedByARenameCountsUntilItsLastHolderLetsGo) {
  FakeBudget budget(100);
  auto scope = MakeScope(&budget);
  std::shared_ptr<PendingFile> old = scope->Create("nodes.bits", 0644, 0, 0).value();
  ASSERT_TRUE(old->Write(0, std::string(30, 'x')).ok());
  ASSERT_TRUE(testing::WritePendingFile(*scope, ".nodes.bits.new", std::string(10, 'y')).ok());
  ASSERT_TRUE(scope->Rename(".nodes.bits.new", "nodes.bits").ok());
  EXPECT_EQ(scope->Find("nodes.bits").value()->attrs().size, 10u);
  EXPECT_EQ(budget.used(), 40u);
  ASSERT_TRUE(old->Write(30, std::string(50, 'x')).ok());
  EXPECT_EQ(budget.used(), 90u);
  EXPECT_EQ(old->Write(80, std::string(20, 'x')).code(), Status::Code::kNoSpace);
  old.reset();
  EXPECT_EQ(budget.used(), 10u);
}

TEST_F(PendingScopeTest, WritesThroughAnUnlinkedFileStayWithinMaxSize) {
  StoreOptions options;
  options.limits.max_size = 1000;
  auto store = Store::Open(&env_, "/store", options).value();
  auto pending = store->CreatePending("k").value();
  std::shared_ptr<PendingFile> file = pending->Create(".tmp", 0644, 0, 0).value();
  ASSERT_TRUE(file->Write(0, std::string(600, 'x')).ok());
  ASSERT_TRUE(pending->Unlink(".tmp").ok());
  EXPECT_EQ(store->pending_bytes(), 600u);
  Status st = file->Write(600, std::string(600, 'x'));
  EXPECT_EQ(st.code(), Status::Code::kNoSpace) << st.ToString();
  // A second file gets only what the unlinked one leaves.
  std::shared_ptr<PendingFile> other = pending->Create("nodes.bits", 0644, 0, 0).value();
  EXPECT_EQ(other->Write(0, std::string(500, 'x')).code(), Status::Code::kNoSpace);
  ASSERT_TRUE(other->Write(0, std::string(400, 'x')).ok());
  EXPECT_EQ(store->pending_bytes(), 1000u);
  file.reset();
  EXPECT_EQ(store->pending_bytes(), 400u);
}

TEST_F(PendingScopeTest, ADroppedScopeClosesItsFilesAndGivesTheirBytesBack) {
  auto store = OpenStore();
  auto pending = store->CreatePending("k").value();
  std::shared_ptr<PendingFile> file = pending->Create("nodes.bits", 0644, 0, 0).value();
  ASSERT_TRUE(file->Write(0, std::string(100, 'x')).ok());
  EXPECT_EQ(store->pending_bytes(), 100u);
  ASSERT_TRUE(store->DropPending("k").ok());
  EXPECT_EQ(store->pending_bytes(), 0u);
  // Closed, so nothing writes bytes that nobody counts.
  EXPECT_EQ(file->Write(100, "x").code(), Status::Code::kAccess);
  file.reset();
  EXPECT_EQ(store->pending_bytes(), 0u);
}

TEST_F(PendingScopeTest, IndexFilesAreAcceptedAndDiscarded) {
  auto store = OpenStore();
  auto pending = store->CreatePending("k").value();
  // As `rsync -a` of a copied-out scope sends them: a temporary name renamed
  // into place, its time set; and as `cp` does, straight to the name.
  std::shared_ptr<PendingFile> temp = pending->Create(".nodes.idx.Ab12", 0600, 0, 0).value();
  ASSERT_TRUE(temp->Write(0, std::string(5000, 'x')).ok());
  AttrChange times;
  times.mtime_ns = int64_t{1'700'000'000} * 1'000'000'000;
  temp->SetAttrs(times);
  ASSERT_TRUE(pending->Rename(".nodes.idx.Ab12", "nodes.idx").ok());
  std::shared_ptr<PendingFile> links = pending->Create("links.idx", 0644, 0, 0).value();
  ASSERT_TRUE(links->Write(0, std::string(3000, 'y')).ok());
  EXPECT_EQ(pending->Find("nodes.idx").value()->attrs().size, 5000u);  // as written...
  EXPECT_EQ(store->pending_bytes(), 0u);                               // ...but not kept
  EXPECT_FALSE(env_.Stat("/store/pending/k/nodes.idx").ok());
  EXPECT_FALSE(env_.Stat("/store/pending/k/links.idx").ok());
  // They are not scope files: the scope waits for, and commits with, the four.
  EXPECT_EQ(pending->StatusLine(), "waiting for: nodes.bits, links.bits, mappings.json, meta.json");
  // A kept file and a discarded one cannot replace each other.
  ASSERT_TRUE(testing::WritePendingFile(*pending, ".tmp", "abc").ok());
  EXPECT_EQ(pending->Rename(".tmp", "nodes.idx").code(), Status::Code::kPermission);
  EXPECT_EQ(pending->Rename("links.idx", "nodes.bits").code(), Status::Code::kPermission);
  ASSERT_TRUE(pending->Unlink(".tmp").ok());
  ASSERT_TRUE(WriteScopeFiles(*pending, MakeScopeFiles(300, 500)).ok());
  std::shared_ptr<Scope> scope = store->Commit(pending).value();
  // The index built from the mappings, with the time the copy gave it.
  ASSERT_TRUE(scope->record().nodes_idx.has_value());
  EXPECT_NE(scope->record().nodes_idx->size, 5000u);
  EXPECT_EQ(scope->record().nodes_idx->mtime_ns, *times.mtime_ns);
  EXPECT_TRUE(scope->CheckedIndex(kNodesIndexFile).ok());
  EXPECT_TRUE(scope->HasFile("nodes.idx") && scope->HasFile("links.idx"));
  EXPECT_EQ(links->Write(3000, "z").code(), Status::Code::kAccess);  // closed with the scope
}

}  // namespace
}  // namespace scopefs::store
