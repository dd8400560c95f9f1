#include "fs/meta_drafts.h"

#include <gtest/gtest.h>

#include <set>

#include "store/member_cache.h"
#include "tests/support/mem_env.h"

namespace scopefs::fs {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

class MetaDraftsTest : public ::testing::Test {
 protected:
  std::shared_ptr<store::Scope> NewScope() {
    return std::make_shared<store::Scope>(&env_, "/s/k", store::ScopeRecord{}, &cache_);
  }
  store::Result<std::shared_ptr<MetaDraft>> Draft(const std::shared_ptr<store::Scope>& scope,
                                                  const std::string& name, pid_t creator,
                                                  int64_t now) {
    return drafts_.Create(scope, name, store::FileAttrs{}, creator, now);
  }

  testing::MemEnv env_;
  store::MemberCache cache_{1 << 20};
  std::set<pid_t> alive_ = {100};
  MetaDrafts drafts_{[this](pid_t pid) { return alive_.count(pid) != 0; }};
};

// Regression: abandoned drafts (rsync killed, a stray cp) stayed for good, and
// after 64 of them every later `rsync -a` re-run failed with ENOSPC.
TEST_F(MetaDraftsTest, AbandonedDraftsNeverLockOthersOut) {
  auto scope = NewScope();
  for (int i = 0; i < 200; ++i) {
    const pid_t creator = 1000 + i;  // a process that exits right after its close
    auto draft = Draft(scope, ".meta.json." + std::to_string(i), creator, i * kSecond);
    ASSERT_TRUE(draft.ok()) << i << ": " << draft.status().ToString();
    (*draft)->Opened();
    (*draft)->Closed(i * kSecond);
  }
  EXPECT_LE(drafts_.size(), MetaDrafts::kMax);
}

TEST_F(MetaDraftsTest, ADraftLivesWhileOpenAndItsCreatorRunsForTheGrace) {
  auto scope = NewScope();
  auto draft = *Draft(scope, ".meta.json.a", 100, 0);
  draft->Opened();
  EXPECT_EQ(drafts_.Sweep(10 * MetaDrafts::kGraceNs), 0u);  // open: never dropped
  draft->Closed(kSecond);
  EXPECT_EQ(drafts_.Sweep(kSecond + MetaDrafts::kGraceNs - 1), 0u);  // rsync renames it next
  EXPECT_EQ(drafts_.Find(scope, ".meta.json.a"), draft);
  EXPECT_EQ(drafts_.Sweep(kSecond + MetaDrafts::kGraceNs), 1u);
  EXPECT_EQ(drafts_.Find(scope, ".meta.json.a"), nullptr);
}

TEST_F(MetaDraftsTest, ADraftGoesOnceItsCreatorExitedAndItIsClosed) {
  auto scope = NewScope();
  auto draft = *Draft(scope, ".meta.json.a", 100, 0);
  draft->Opened();
  draft->Closed(0);
  EXPECT_EQ(drafts_.Sweep(1), 0u);
  alive_.erase(100);  // killed rsync
  EXPECT_EQ(drafts_.Sweep(1), 1u);
}

TEST_F(MetaDraftsTest, ADraftGoesWithItsScopeAndNeverShowsInANewOne) {
  auto scope = NewScope();
  ASSERT_TRUE(Draft(scope, ".meta.json.a", 100, 0).ok());
  std::weak_ptr<store::Scope> old = scope;
  scope.reset();  // evicted and freed
  ASSERT_TRUE(old.expired());
  // A new scope, possibly at the same address, sees nothing of the old one's drafts.
  auto fresh = NewScope();
  EXPECT_EQ(drafts_.Find(fresh, ".meta.json.a"), nullptr);
  EXPECT_EQ(drafts_.Sweep(0), 1u);
  EXPECT_EQ(drafts_.size(), 0u);
}

TEST_F(MetaDraftsTest, LiveDraftsAreBoundedWithAClearError) {
  auto scope = NewScope();
  std::vector<std::shared_ptr<MetaDraft>> open;
  for (size_t i = 0; i < MetaDrafts::kMax; ++i) {
    auto draft = *Draft(scope, ".meta.json." + std::to_string(i), 100, 0);
    draft->Opened();
    open.push_back(draft);
  }
  auto refused = Draft(scope, ".meta.json.x", 100, 0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), store::Status::Code::kNoSpace);
  // Creating a draft under a name it already has replaces it: no growth.
  EXPECT_TRUE(Draft(scope, ".meta.json.0", 100, 0).ok());
}

}  // namespace
}  // namespace scopefs::fs
