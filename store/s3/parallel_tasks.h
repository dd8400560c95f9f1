// RunTasks: a few independent calls (object uploads, range downloads) on a
// handful of threads, for the shared tier's publish and fetch.
//
// Thread-safety: `task` is called from several threads at once with distinct
// indexes; it must be safe to run concurrently with itself.
#pragma once

#include <cstddef>
#include <functional>

#include "store/status.h"

namespace scopefs::s3 {

// Runs task(0) .. task(count - 1) on up to `threads` threads, the calling
// thread among them, and returns once every started task has returned.
// Tasks start in index order; after a task fails no further task starts, and
// the first failure is returned. An exception a task throws is caught and
// returned as a Status (ENOMEM for std::bad_alloc).
// REQUIRES: threads >= 1.
store::Status RunTasks(size_t count, size_t threads,
                       const std::function<store::Status(size_t)>& task);

}  // namespace scopefs::s3
