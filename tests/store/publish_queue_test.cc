// PublishQueue: keys survive a reopen and every crash point; a failed write
// leaves the queue as it was; a damaged file is refused, naming it.
#include "store/publish_queue.h"

#include <gtest/gtest.h>

#include "tests/support/fault_env.h"
#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

using testing::CrashMode;
using testing::FaultEnv;
using testing::MemEnv;

constexpr const char* kPath = "/store/shared-queue.json";

class PublishQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(mem_.MakeDir("/store").ok()); }
  std::unique_ptr<PublishQueue> Open(Env* env) {
    Result<std::unique_ptr<PublishQueue>> q = PublishQueue::Open(env, kPath);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    return q.ok() ? std::move(q).value() : nullptr;
  }
  MemEnv mem_;
};

TEST_F(PublishQueueTest, KeysComeBackInOrderAfterAReopen) {
  auto q = Open(&mem_);
  EXPECT_TRUE(q->Keys().empty());  // no file yet
  for (const char* key : {"b", "a", "c", "a"}) ASSERT_TRUE(q->Add(key).ok());
  ASSERT_TRUE(q->Remove("c").ok());
  ASSERT_TRUE(q->Remove("never-queued").ok());
  EXPECT_EQ(q->Keys(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(Open(&mem_)->Keys(), (std::vector<std::string>{"b", "a"}));
}

TEST_F(PublishQueueTest, AnAddThatReturnedSurvivesACrashAtAnyPoint) {
  bool completed = false;
  for (uint64_t crash_after = 0; crash_after < 100 && !completed; ++crash_after) {
    SCOPED_TRACE(crash_after);
    MemEnv mem;
    ASSERT_TRUE(mem.MakeDir("/store").ok() && mem.SyncDir("/").ok());
    ASSERT_TRUE(PublishQueue::Open(&mem, kPath).value()->Add("first").ok());
    mem.SimulateCrash(CrashMode::kDropUnsynced);  // "first" was synced
    FaultEnv faults(&mem);
    auto q = PublishQueue::Open(&faults, kPath).value();
    faults.CrashAfter(crash_after);
    const bool added = q->Add("second").ok();
    mem.SimulateCrash(CrashMode::kDropUnsynced);
    std::vector<std::string> keys = PublishQueue::Open(&mem, kPath).value()->Keys();
    if (added) {
      EXPECT_EQ(keys, (std::vector<std::string>{"first", "second"}));
      completed = true;  // no crash point left before the Add's end
      continue;
    }
    // Old or new, never a mix or nothing.
    EXPECT_TRUE(keys == std::vector<std::string>{"first"} ||
                keys == (std::vector<std::string>{"first", "second"}))
        << keys.size();
  }
  EXPECT_TRUE(completed);
}

TEST_F(PublishQueueTest, AFailedWriteLeavesTheQueueAsItWas) {
  FaultEnv faults(&mem_);
  auto q = Open(&faults);
  ASSERT_TRUE(q->Add("a").ok());
  faults.FailAt(1, ENOSPC, /*persistent=*/true);
  EXPECT_FALSE(q->Add("b").ok());
  EXPECT_FALSE(q->Remove("a").ok());
  faults.Reset();
  EXPECT_EQ(q->Keys(), std::vector<std::string>{"a"});
  EXPECT_EQ(Open(&mem_)->Keys(), std::vector<std::string>{"a"});
}

TEST_F(PublishQueueTest, ADamagedFileIsRefusedNamingIt) {
  for (const char* text : {"{", "[]", "{\"format\":2,\"keys\":[]}", "{\"format\":1,\"keys\":[7]}",
                           "{\"format\":1,\"keys\":[\"../x\"]}"}) {
    SCOPED_TRACE(text);
    auto file = mem_.Open(kPath, OpenMode::kCreate).value();
    ASSERT_TRUE(file->WriteAt(0, text, strlen(text)).ok());
    Result<std::unique_ptr<PublishQueue>> q = PublishQueue::Open(&mem_, kPath);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().code(), Status::Code::kCorruption);
    EXPECT_NE(q.status().message().find(kPath), std::string::npos) << q.status().message();
  }
}

}  // namespace
}  // namespace scopefs::store
