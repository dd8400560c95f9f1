// SerialWorker (store/serial_worker.h): tasks run in order on a thread of
// their own, the first error stops the rest, and a full queue holds the
// producer back.
#include "store/serial_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace scopefs::store {
namespace {

TEST(SerialWorkerTest, TasksRunInOrderOnAThreadOfTheirOwn) {
  SerialWorker worker(2);
  std::vector<int> ran;  // touched by the worker only, until Finish
  std::atomic<bool> on_caller{false};
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(worker
                    .Submit([&, i] {
                      if (std::this_thread::get_id() == caller) on_caller = true;
                      ran.push_back(i);
                      return Status::Ok();
                    })
                    .ok());
  }
  ASSERT_TRUE(worker.Finish().ok());
  ASSERT_EQ(ran.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(ran[static_cast<size_t>(i)], i);
  EXPECT_FALSE(on_caller);
}

TEST(SerialWorkerTest, TheFirstErrorStopsTheTasksBehindIt) {
  SerialWorker worker(4);
  std::atomic<int> ran{0};
  Status submitted;
  for (int i = 0; i < 100 && submitted.ok(); ++i) {
    submitted = worker.Submit([&, i] {
      ++ran;
      return i == 3 ? Status::NoSpace("task 3 failed") : Status::Ok();
    });
  }
  const Status finished = worker.Finish();
  EXPECT_EQ(finished.code(), Status::Code::kNoSpace) << finished.ToString();
  EXPECT_NE(finished.message().find("task 3 failed"), std::string::npos);
  EXPECT_EQ(ran.load(), 4);  // 0..3, none after the failure
  if (!submitted.ok()) {
    EXPECT_EQ(submitted.message(), finished.message());
  }
}

TEST(SerialWorkerTest, AFullQueueHoldsTheProducerBack) {
  SerialWorker worker(2);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  auto blocked = [open] {
    open.wait();
    return Status::Ok();
  };
  ASSERT_TRUE(worker.Submit(blocked).ok());  // running, or about to
  // Two wait; the next Submit must wait for room (at most one more fits
  // while the first is not yet taken off the queue).
  std::atomic<int> submitted{0};
  std::thread producer([&] {
    for (int i = 0; i < 4; ++i) {
      EXPECT_TRUE(worker.Submit([] { return Status::Ok(); }).ok());
      ++submitted;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LE(submitted.load(), 2);
  gate.set_value();
  producer.join();
  EXPECT_EQ(submitted.load(), 4);
  EXPECT_TRUE(worker.Finish().ok());
}

TEST(SerialWorkerTest, TheDestructorDropsWaitingTasks) {
  std::atomic<int> ran{0};
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  // Each waiting task holds a copy of `held`: once only ours is left, the
  // destructor has dropped them, and the running task may end.
  auto held = std::make_shared<int>(0);
  std::thread opener;
  {
    SerialWorker worker(8);
    ASSERT_TRUE(worker
                    .Submit([&, open] {
                      open.wait();
                      ++ran;
                      return Status::Ok();
                    })
                    .ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(worker
                      .Submit([&ran, held] {
                        ++ran;
                        return Status::Ok();
                      })
                      .ok());
    }
    opener = std::thread([&] {
      // Bounded, so that a destructor that ran them fails the test, not hangs it.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (held.use_count() > 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      gate.set_value();
    });
  }  // drops the waiting tasks, then waits for the running one
  opener.join();
  EXPECT_LE(ran.load(), 1);
  EXPECT_EQ(held.use_count(), 1);
}

}  // namespace
}  // namespace scopefs::store
