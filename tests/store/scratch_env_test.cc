// Scratch files counted against max_size (store/scratch_env.h): every byte is
// counted before it lands, given back when its file goes, and moves with the
// account when a commit takes an index builder over from a pending file.
#include "store/scratch_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "store/mapping_index.h"
#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

using testing::MemEnv;

// An account that records what it holds; `refuse_past` makes it say NoSpace.
struct Ledger {
  uint64_t held = 0;
  uint64_t asked = 0;  // every reserve, summed
  uint64_t refuse_past = UINT64_MAX;

  ScratchAccount Account(const void* owner, bool releases = true) {
    ScratchAccount a;
    a.owner = owner;
    a.reserve = [this](uint64_t bytes) {
      if (held + bytes > refuse_past) return Status::NoSpace("full");
      held += bytes;
      asked += bytes;
      return Status::Ok();
    };
    if (releases) a.release = [this](uint64_t bytes) { held -= bytes; };
    return a;
  }
};

// The bytes of the files below `dir` in `env`.
uint64_t DiskBytes(MemEnv& env, const std::string& dir) {
  uint64_t sum = 0;
  for (const std::string& path : env.Tree(dir)) {
    Result<FileInfo> info = env.Stat(path);
    if (info.ok() && !info->is_dir) sum += info->size;
  }
  return sum;
}

class ScratchEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.MakeDir("/s").ok()); }
  void Write(File& file, uint64_t offset, size_t n) {
    const std::string data(n, 'x');
    ASSERT_TRUE(file.WriteAt(offset, data.data(), n).ok());
  }
  MemEnv env_;
  Ledger pending_, commit_;  // before scratch_: it gives back to them as it goes
  ScratchEnv scratch_{&env_};
};

TEST_F(ScratchEnvTest, CountsEachByteOnceBeforeItLandsAndGivesItBackWhenTheFileGoes) {
  ASSERT_TRUE(scratch_.CountWith(pending_.Account(&pending_)).ok());
  auto a = scratch_.Open("/s/a", OpenMode::kCreate).value();
  Write(*a, 0, 100);
  Write(*a, 50, 100);  // 50 bytes rewritten, 50 new
  auto b = scratch_.Open("/s/b", OpenMode::kCreateExclusive).value();
  Write(*b, 0, 10);
  EXPECT_EQ(pending_.held, 160u);
  EXPECT_EQ(scratch_.bytes(), DiskBytes(env_, "/s"));
  ASSERT_TRUE(a->Truncate(40).ok());
  EXPECT_EQ(pending_.held, 50u);
  a.reset();
  ASSERT_TRUE(scratch_.Unlink("/s/a").ok());
  EXPECT_EQ(pending_.held, 10u);
  auto again = scratch_.Open("/s/b", OpenMode::kCreate).value();  // truncated
  EXPECT_EQ(pending_.held, 0u);
  EXPECT_EQ(scratch_.bytes(), 0u);
}

TEST_F(ScratchEnvTest, ARefusedWriteWritesNothing) {
  pending_.refuse_past = 100;
  ASSERT_TRUE(scratch_.CountWith(pending_.Account(&pending_)).ok());
  auto a = scratch_.Open("/s/a", OpenMode::kCreate).value();
  Write(*a, 0, 100);
  const std::string more(1, 'y');
  EXPECT_EQ(a->WriteAt(100, more.data(), 1).code(), Status::Code::kNoSpace);
  EXPECT_EQ(DiskBytes(env_, "/s"), 100u);
  EXPECT_EQ(pending_.held, 100u);
}

TEST_F(ScratchEnvTest, ACommitTakesTheBytesOverAndReusesWhatItFreed) {
  ASSERT_TRUE(scratch_.CountWith(pending_.Account(&pending_)).ok());
  auto a = scratch_.Open("/s/a", OpenMode::kCreate).value();
  Write(*a, 0, 100);
  // The commit's room is never given back piecemeal (its account has no release).
  ASSERT_TRUE(scratch_.CountWith(commit_.Account(&commit_, false)).ok());
  EXPECT_EQ(pending_.held, 0u);
  EXPECT_EQ(commit_.held, 100u);
  scratch_.StopCounting(&pending_);  // the pending file lets go: not its account any more
  EXPECT_EQ(commit_.held, 100u);
  a.reset();
  ASSERT_TRUE(scratch_.Unlink("/s/a").ok());
  auto b = scratch_.Open("/s/b", OpenMode::kCreate).value();
  Write(*b, 0, 80);  // fits in the room the commit already holds
  EXPECT_EQ(commit_.asked, 100u);
  Write(*b, 80, 50);
  EXPECT_EQ(commit_.asked, 130u);
  scratch_.StopCounting(&commit_);
  Write(*b, 130, 50);  // nobody pays now
  EXPECT_EQ(commit_.asked, 130u);
}

// The builder's spills, at a tiny memory budget: counted while adding by the
// pending account, then by the commit's while finishing, never behind the disk.
TEST_F(ScratchEnvTest, AnIndexBuildersScratchIsCountedFromAddToFinish) {
  MappingIndexBuilder builder(&env_, "/s/idx", 1024);
  ASSERT_TRUE(builder.CountScratchWith(pending_.Account(&pending_)).ok());
  // Enough entries to get past the 256 bucket buffers (4 KiB each at this budget).
  constexpr int kEntries = 200000;
  uint64_t most = 0;
  for (int i = 0; i < kEntries; ++i) {
    ASSERT_TRUE(
        builder.Add("n:" + std::to_string(int64_t{i} * 7919 % kEntries), static_cast<uint64_t>(i))
            .ok());
    if (i % 5000 == 0) {
      EXPECT_GE(pending_.held, DiskBytes(env_, "/s"));
      most = std::max(most, pending_.held);
    }
  }
  EXPECT_GT(most, 0u) << "the builder never spilled";
  ScratchAccount commit = commit_.Account(&commit_, false);
  const auto reserve = commit.reserve;
  commit.reserve = [&](uint64_t bytes) {
    // Asked before the bytes land: what is on disk is within what was held plus
    // this ask (the first ask takes over the bytes already on disk).
    EXPECT_GE(commit_.held + bytes, DiskBytes(env_, "/s"));
    return reserve(bytes);
  };
  ASSERT_TRUE(builder.CountScratchWith(commit).ok());
  EXPECT_EQ(pending_.held, 0u);
  auto out = env_.Open("/out", OpenMode::kCreate).value();
  ASSERT_TRUE(builder.Finish(*out, kEntries).ok());
  EXPECT_EQ(DiskBytes(env_, "/s"), 0u) << "Finish leaves no scratch";
  EXPECT_EQ(builder.scratch_bytes(), 0u);
  EXPECT_GE(commit_.held, most);
}

}  // namespace
}  // namespace scopefs::store
