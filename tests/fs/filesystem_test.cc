// The Filesystem and its node kinds on an in-memory store, with no mount:
// what handlers would ask, asked directly.
#include "fs/filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "fs/handle.h"
#include "fs/kinds.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::fs {
namespace {

using store::Status;

class FilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::Store::Open(&env_, "/store", store::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    fs_ = std::make_unique<Filesystem>(store_.get(), AccessPolicy(0, 0, std::nullopt));
  }

  Node& root() { return *fs_->inodes().Get(kRootIno); }

  std::unique_ptr<Handle> Open(Node& node, int flags) {
    fuse_file_info fi{};
    fi.flags = flags;
    auto handle = node.Open(*fs_, caller_, &fi);
    EXPECT_TRUE(handle.ok()) << node.name() << ": " << handle.status().ToString();
    return handle.ok() ? std::move(handle).value() : nullptr;
  }

  std::string ReadAll(Node& node) {
    std::unique_ptr<Handle> h = Open(node, O_RDONLY);
    if (!h) return "";
    std::string out;
    for (;;) {
      auto bytes = h->Read(*fs_, out.size(), 1 << 16);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      if (!bytes.ok() || bytes->size == 0) return out;
      out.append(bytes->data, bytes->size);
    }
  }

  // mkdir KEY, then each file created, written and closed, as `cp -r` does.
  std::shared_ptr<Node> AddScope(const std::string& key, const testing::ScopeFiles& files) {
    auto dir = root().Mkdir(*fs_, caller_, key, 0755);
    EXPECT_TRUE(dir.ok()) << dir.status().ToString();
    for (const auto& [name, data] :
         {std::pair{"nodes.bits", &files.nodes_bits}, std::pair{"links.bits", &files.links_bits},
          std::pair{"mappings.json", &files.mappings_json},
          std::pair{"meta.json", &files.meta_json}}) {
      fuse_file_info fi{};
      fi.flags = O_WRONLY | O_CREAT;
      auto h = (*dir)->Create(*fs_, caller_, name, 0644, &fi);
      EXPECT_TRUE(h.ok()) << name << ": " << h.status().ToString();
      EXPECT_TRUE((*h)->Write(*fs_, 0, *data).ok());
      EXPECT_TRUE((*h)->Flush(*fs_).ok()) << name;  // the last one commits
    }
    return *dir;
  }

  testing::MemEnv env_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Filesystem> fs_;
  Caller caller_{0, 0, 0, 022, nullptr};
};

TEST_F(FilesystemTest, AScopeCommitsAtItsLastCloseAndReadsBackWhole) {
  const testing::ScopeFiles files = testing::MakeScopeFiles(1000, 2000);
  std::shared_ptr<Node> dir = AddScope("k", files);
  ASSERT_NE(store_->Find("k"), nullptr);

  // The kernel's inode for the directory follows the scope through its commit.
  auto again = root().Lookup(*fs_, "k");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->ino(), dir->ino());
  EXPECT_EQ(dir->EntryTimeout(), kImmutableTimeout);
  EXPECT_EQ(dir->Attr(*fs_)->st_mode & 07777, 0555u);

  auto nodes = dir->Lookup(*fs_, "nodes.bits");
  auto mappings = dir->Lookup(*fs_, "mappings.json");
  ASSERT_TRUE(nodes.ok() && mappings.ok());
  EXPECT_EQ(ReadAll(**nodes), files.nodes_bits);
  EXPECT_EQ(ReadAll(**mappings), files.mappings_json);
  EXPECT_EQ(static_cast<size_t>((*mappings)->Attr(*fs_)->st_size), files.mappings_json.size());
  auto meta = dir->Lookup(*fs_, "meta.json");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(static_cast<size_t>((*meta)->Attr(*fs_)->st_size), ReadAll(**meta).size());

  // Committed scopes are immutable.
  fuse_file_info fi{};
  fi.flags = O_WRONLY;
  EXPECT_EQ((*nodes)->Open(*fs_, caller_, &fi).status().code(), Status::Code::kAccess);
  fi.flags = O_WRONLY | O_CREAT;
  EXPECT_EQ(dir->Create(*fs_, caller_, "nodes.bits", 0644, &fi).status().code(),
            Status::Code::kAccess);
  EXPECT_EQ(dir->Lookup(*fs_, "other").status().code(), Status::Code::kNotFound);
  EXPECT_EQ((*nodes)->Lookup(*fs_, "x").status().code(), Status::Code::kNotDir);
}

TEST_F(FilesystemTest, APendingScopeIsNeverReadAndItsStatusSaysWhatItWaitsFor) {
  auto dir = root().Mkdir(*fs_, caller_, "p", 0755);
  ASSERT_TRUE(dir.ok());
  fuse_file_info fi{};
  fi.flags = O_WRONLY | O_CREAT;
  auto h = (*dir)->Create(*fs_, caller_, "nodes.bits", 0644, &fi);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE((*h)->Write(*fs_, 0, "abc").ok());
  auto file = (*dir)->Lookup(*fs_, "nodes.bits");
  fi.flags = O_RDONLY;
  EXPECT_EQ((*file)->Open(*fs_, caller_, &fi).status().code(), Status::Code::kBusy);
  auto status = (*dir)->Lookup(*fs_, ".status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(ReadAll(**status), "waiting for: links.bits, mappings.json, meta.json\n");
  EXPECT_EQ((*dir)->Create(*fs_, caller_, "notes.txt", 0644, &fi).status().code(),
            Status::Code::kPermission);
  EXPECT_EQ((*dir)->Mkdir(*fs_, caller_, "sub", 0755).status().code(), Status::Code::kPermission);
  EXPECT_EQ(root().Rmdir(*fs_, "p").code(), Status::Code::kNotEmpty);
}

TEST_F(FilesystemTest, UnlinkingOneFileRemovesTheScopeAndTheRestOfRmRSucceeds) {
  std::shared_ptr<Node> dir = AddScope("k", testing::MakeScopeFiles(10, 20));
  ASSERT_TRUE(dir->Unlink(*fs_, "nodes.bits").ok());
  EXPECT_EQ(store_->Find("k"), nullptr);
  EXPECT_TRUE(dir->Lookup(*fs_, "links.bits").ok());  // the ghost's names still resolve
  EXPECT_TRUE(dir->Unlink(*fs_, "links.bits").ok());
  EXPECT_TRUE(dir->Unlink(*fs_, "mappings.json").ok());
  EXPECT_TRUE(dir->Unlink(*fs_, "meta.json").ok());
  EXPECT_TRUE(root().Rmdir(*fs_, "k").ok());
  EXPECT_EQ(root().Rmdir(*fs_, "k").code(), Status::Code::kNotFound);
}

// Regression: after `mv k1 k2`, the directory the kernel held was still known
// as k1, so the rmdir ending `rm -r k2` failed with ENOENT.
TEST_F(FilesystemTest, ARenamedScopeIsRemovedByItsNewName) {
  std::shared_ptr<Node> dir = AddScope("k1", testing::MakeScopeFiles(10, 20));
  ASSERT_TRUE(root().Rename(*fs_, caller_, "k1", root(), "k2", 0).ok());
  EXPECT_EQ(fs_->KnownScopeDir("k2"), dir->ino());
  EXPECT_EQ(fs_->KnownScopeDir("k1"), 0u);
  ASSERT_TRUE(dir->Unlink(*fs_, "nodes.bits").ok());
  EXPECT_TRUE(root().Rmdir(*fs_, "k2").ok());
}

TEST_F(FilesystemTest, NodesLiveUntilTheKernelForgetsThem) {
  AddScope("k", testing::MakeScopeFiles(10, 20));
  auto first = root().Lookup(*fs_, "k");
  auto second = root().Lookup(*fs_, "k");
  ASSERT_TRUE(first.ok() && second.ok());
  const fuse_ino_t ino = (*first)->ino();
  EXPECT_EQ((*second)->ino(), ino);
  fs_->inodes().Forget(ino, 2);  // mkdir counted one lookup too
  EXPECT_NE(fs_->inodes().Get(ino), nullptr);
  fs_->inodes().Forget(ino, 1);
  EXPECT_EQ(fs_->inodes().Get(ino), nullptr);
  auto fresh = root().Lookup(*fs_, "k");  // numbers are never reused
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT((*fresh)->ino(), ino);
  fs_->inodes().Forget(kRootIno, 100);  // static nodes live forever
  EXPECT_NE(fs_->inodes().Get(kRootIno), nullptr);
}

TEST_F(FilesystemTest, GoneScopeDirsAreTheEvictedOnesTheKernelStillHolds) {
  std::shared_ptr<Node> dir = AddScope("k", testing::MakeScopeFiles(10, 20));
  EXPECT_TRUE(fs_->GoneScopeDirs().empty());
  ASSERT_TRUE(store_->Remove("k").ok());  // as an eviction would
  auto gone = fs_->GoneScopeDirs();
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]->ino(), dir->ino());
  EXPECT_EQ(dir->Attr(*fs_).status().code(), Status::Code::kStale);
}

}  // namespace
}  // namespace scopefs::fs
