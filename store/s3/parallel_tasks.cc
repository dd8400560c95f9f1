#include "store/s3/parallel_tasks.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

namespace scopefs::s3 {

using store::Status;

Status RunTasks(size_t count, size_t threads, const std::function<Status(size_t)>& task) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  // Written once, by the task that sets `failed`; read after the joins.
  Status first_failure;
  auto work = [&] {
    while (!failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= count) return;
      const Status status = store::CallCatching([&] { return task(i); });
      if (!status.ok()) {
        if (!failed.exchange(true)) first_failure = status;
        return;
      }
    }
  };
  std::vector<std::thread> helpers;
  const size_t helper_count = std::min(threads, count) > 0 ? std::min(threads, count) - 1 : 0;
  for (size_t i = 0; i < helper_count; ++i) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads: the tasks still all run
    }
  }
  work();
  for (std::thread& helper : helpers) helper.join();
  return first_failure;
}

}  // namespace scopefs::s3
