// Store::Adopt on real files: a scope committed by one store, copied into
// another's AdoptionDir, is checked byte for byte and committed there with
// its index; one damaged byte in any file is Corruption and commits nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "store/store.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

namespace fs = std::filesystem;
using testing::MakeScopeFiles;
using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class StoreAdoptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = Open(tmp_.path() + "/a");
    target_ = Open(tmp_.path() + "/b");
    ASSERT_TRUE(source_ && target_);
    target_->SetCommitListener([this](const std::string& key) { committed_.push_back(key); });
    auto pending = testing::PendTestScope(*source_, "k1", MakeScopeFiles(300, 200));
    ASSERT_TRUE(pending);
    Result<std::shared_ptr<Scope>> scope = source_->Commit(pending);
    ASSERT_TRUE(scope.ok()) << scope.status().ToString();
    ASSERT_TRUE((*scope)->record().nodes_idx && (*scope)->record().links_idx);
    bytes_ = (*scope)->record().stored_bytes();
  }

  std::unique_ptr<Store> Open(const std::string& root, uint64_t max_size = uint64_t{1} << 30) {
    StoreOptions options;
    options.commit.codec.chunk_size = 4096;  // many members
    options.limits.max_size = max_size;
    Result<std::unique_ptr<Store>> store = Store::Open(PosixEnv(), root, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // An AdoptionDir of the target holding a copy of the source's k1.
  std::unique_ptr<AdoptionDir> Fetched() {
    Result<std::unique_ptr<AdoptionDir>> dir = target_->CreateAdoptionDir(bytes_);
    EXPECT_TRUE(dir.ok()) << dir.status().ToString();
    if (!dir.ok()) return nullptr;
    for (const auto& entry : fs::directory_iterator(source_->layout().scope_dir("k1"))) {
      fs::copy_file(entry.path(), fs::path((*dir)->path()) / entry.path().filename());
    }
    return std::move(dir).value();
  }

  std::vector<std::string> StagingNames() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(target_->layout().staging_dir())) {
      names.push_back(e.path().filename());
    }
    return names;
  }

  TempDir tmp_;
  std::unique_ptr<Store> source_, target_;
  std::vector<std::string> committed_;  // what the target's commit listener heard
  uint64_t bytes_ = 0;
};

TEST_F(StoreAdoptTest, AFetchedScopeIsCommittedWithItsBytesAndIndex) {
  std::unique_ptr<AdoptionDir> dir = Fetched();
  ASSERT_TRUE(dir);
  EXPECT_EQ(target_->pending_bytes(), bytes_);  // room made before the bytes arrive
  Result<std::shared_ptr<Scope>> scope = target_->Adopt("k1", std::move(dir));
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ(target_->Find("k1"), *scope);
  for (const auto& entry : fs::directory_iterator(source_->layout().scope_dir("k1"))) {
    const std::string name = entry.path().filename();
    EXPECT_EQ(ReadAll(target_->layout().scope_dir("k1") + "/" + name), ReadAll(entry.path()))
        << name;
  }
  EXPECT_TRUE((*scope)->HasFile(kNodesIndexFile));
  EXPECT_TRUE(target_->Verify("k1").ok());
  EXPECT_EQ(target_->stored_bytes(), bytes_);
  EXPECT_EQ(target_->pending_bytes(), 0u);
  EXPECT_EQ(target_->counters().adopted, 1u);
  EXPECT_EQ(target_->counters().commits, 0u);
  EXPECT_TRUE(committed_.empty()) << "an adopted scope is not announced as a commit";
  EXPECT_TRUE(StagingNames().empty());

  // It is a committed scope like any other: it survives a restart. (No Scope
  // may outlive its Store: its reader uses the Store's member cache.)
  scope = Status::NotFound("let go");
  target_.reset();
  target_ = Open(tmp_.path() + "/b");
  ASSERT_TRUE(target_->Find("k1"));
  EXPECT_TRUE(target_->dropped_at_open().empty());
}

TEST_F(StoreAdoptTest, OneDamagedByteInAnyFileIsCorruptionAndCommitsNothing) {
  for (std::string_view name :
       {kNodesFile, kLinksFile, kMappingsGzFile, kMetaFile, kNodesIndexFile, kLinksIndexFile}) {
    SCOPED_TRACE(name);
    std::unique_ptr<AdoptionDir> dir = Fetched();
    ASSERT_TRUE(dir);
    const std::string path = dir->path() + "/" + std::string(name);
    std::string bytes = ReadAll(path);
    ASSERT_GT(bytes.size(), 16u);
    bytes[bytes.size() / 2 + 7] ^= 0x10;  // mid-file: past headers, inside data
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    Result<std::shared_ptr<Scope>> scope = target_->Adopt("k1", std::move(dir));
    ASSERT_FALSE(scope.ok());
    EXPECT_EQ(scope.status().code(), Status::Code::kCorruption) << scope.status().ToString();
    EXPECT_NE(scope.status().message().find("k1"), std::string::npos) << scope.status().ToString();
    EXPECT_EQ(target_->Find("k1"), nullptr);
    EXPECT_FALSE(fs::exists(target_->layout().scope_dir("k1")));
    EXPECT_TRUE(StagingNames().empty()) << "the damaged bytes are deleted";
    EXPECT_EQ(target_->pending_bytes(), 0u);
    EXPECT_EQ(target_->stored_bytes(), 0u);
  }
  EXPECT_EQ(target_->counters().adopted, 0u);
}

TEST_F(StoreAdoptTest, AMissingOrUnexpectedFileIsCorruption) {
  std::unique_ptr<AdoptionDir> dir = Fetched();
  ASSERT_TRUE(dir);
  fs::remove(dir->path() + "/links.idx");
  Result<std::shared_ptr<Scope>> scope = target_->Adopt("k1", std::move(dir));
  EXPECT_EQ(scope.status().code(), Status::Code::kCorruption) << scope.status().ToString();
  EXPECT_NE(scope.status().message().find("links.idx is missing"), std::string::npos);

  dir = Fetched();
  ASSERT_TRUE(dir);
  std::ofstream(dir->path() + "/extra") << "x";
  scope = target_->Adopt("k1", std::move(dir));
  EXPECT_EQ(scope.status().code(), Status::Code::kCorruption) << scope.status().ToString();
  EXPECT_NE(scope.status().message().find("unexpected file extra"), std::string::npos);
  EXPECT_TRUE(StagingNames().empty());
}

TEST_F(StoreAdoptTest, AKeyCommittedMeanwhileIsExists) {
  std::unique_ptr<AdoptionDir> dir = Fetched();
  ASSERT_TRUE(dir);
  auto pending = testing::PendTestScope(*target_, "k1", MakeScopeFiles(10, 10));
  ASSERT_TRUE(pending);
  // Pending here: the local computation wins.
  std::unique_ptr<AdoptionDir> other = Fetched();
  EXPECT_EQ(target_->Adopt("k1", std::move(other)).status().code(), Status::Code::kExists);
  ASSERT_TRUE(target_->Commit(pending).ok());
  EXPECT_EQ(committed_, std::vector<std::string>{"k1"});
  Result<std::shared_ptr<Scope>> scope = target_->Adopt("k1", std::move(dir));
  EXPECT_EQ(scope.status().code(), Status::Code::kExists) << scope.status().ToString();
  EXPECT_EQ(target_->Find("k1")->record().total_nodes, 10u);  // the local one stays
  EXPECT_TRUE(StagingNames().empty());
}

TEST_F(StoreAdoptTest, GarbageCollectionSparesALiveDirAndRecoveryRemovesALeftOne) {
  std::unique_ptr<AdoptionDir> dir = Fetched();
  ASSERT_TRUE(dir);
  EXPECT_EQ(target_->CollectGarbage().orphans, 0u);
  EXPECT_TRUE(fs::exists(dir->path() + "/meta.json"));
  const std::string name = fs::path(dir->path()).filename();
  EXPECT_EQ(name.rfind(".adopt-", 0), 0u) << "never a key's name";
  dir.reset();
  EXPECT_TRUE(StagingNames().empty());

  // A crash mid-fetch leaves one behind.
  fs::create_directory(target_->layout().staging_dir() + "/.adopt-7");
  std::ofstream(target_->layout().staging_dir() + "/.adopt-7/nodes.bits") << "partial";
  target_.reset();
  target_ = Open(tmp_.path() + "/b");
  EXPECT_TRUE(StagingNames().empty());
}

TEST_F(StoreAdoptTest, RoomIsMadeByEvictionAndAScopeLargerThanTheCacheIsRefused) {
  target_.reset();
  target_ = Open(tmp_.path() + "/b", bytes_ + bytes_ / 2);  // room for one k1, not two
  auto pending = testing::PendTestScope(*target_, "old", MakeScopeFiles(300, 200, 2));
  ASSERT_TRUE(pending && target_->Commit(pending).ok());
  std::unique_ptr<AdoptionDir> dir = Fetched();
  ASSERT_TRUE(dir);
  EXPECT_EQ(target_->Find("old"), nullptr) << "evicted to make room for the fetch";
  ASSERT_TRUE(target_->Adopt("k1", std::move(dir)).ok());
  EXPECT_EQ(target_->CreateAdoptionDir(bytes_ * 2).status().code(), Status::Code::kNoSpace);
}

}  // namespace
}  // namespace scopefs::store
