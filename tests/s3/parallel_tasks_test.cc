#include "store/s3/parallel_tasks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <vector>

namespace scopefs::s3 {
namespace {

using store::Status;

TEST(ParallelTasksTest, RunsEveryTaskOnce) {
  for (size_t threads : {1, 3, 16}) {
    std::vector<std::atomic<int>> runs(50);
    const Status status = RunTasks(runs.size(), threads, [&](size_t i) {
      runs[i].fetch_add(1);
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    for (const std::atomic<int>& n : runs) EXPECT_EQ(n.load(), 1);
  }
  EXPECT_TRUE(RunTasks(0, 4, [](size_t) { return Status::Invalid("never called"); }).ok());
}

TEST(ParallelTasksTest, StopsStartingTasksAfterAFailure) {
  std::atomic<size_t> started{0};
  const Status status = RunTasks(1000, 1, [&](size_t i) {
    started.fetch_add(1);
    return i == 5 ? Status::Corruption("task 5") : Status::Ok();
  });
  EXPECT_EQ(status.code(), Status::Code::kCorruption);
  EXPECT_EQ(status.message(), "task 5");
  EXPECT_EQ(started.load(), 6u);
}

TEST(ParallelTasksTest, AnExceptionBecomesAStatus) {
  const Status status = RunTasks(4, 2, [](size_t i) -> Status {
    if (i == 2) throw std::bad_alloc();
    return Status::Ok();
  });
  EXPECT_EQ(status.err(), ENOMEM) << status.ToString();
}

}  // namespace
}  // namespace scopefs::s3
