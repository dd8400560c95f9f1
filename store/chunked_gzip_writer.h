// ChunkedGzipWriter: compresses a stream into one multi-member gzip file, one
// independent member per fixed-size chunk, in parallel.
//
// Append() takes pieces of any size (as FUSE delivers writes) and cuts them
// into chunks of `chunk_size` bytes. Each full chunk becomes a task that
// deflates it (oneTBB); finished members are written to `out` strictly in
// order, so the file is always a prefix of valid members. At most
// 2 * hardware threads + 1 chunks are in flight; when that many are, Append
// compresses pending chunks on the caller's thread until the oldest one is
// written, which bounds memory and keeps every core busy. Finish() writes the
// last, partial chunk and returns the index. The file stays readable as a whole
// by gzip, zcat and Python.
//
// Every member carries the same 10-byte header (kGzipMemberHeader) and its
// own CRC-32 and ISIZE trailer; libdeflate compresses it (store/gzip_member.h).
//
// Ownership: the caller owns `out`, which must outlive the writer; the writer
// writes it from offset 0 and never syncs it (the caller does, after Finish).
// Thread-safety: not thread-safe; one thread at a time calls it. The
// destructor waits for its background tasks, even when Finish was not called.
//
// Errors: the first error (a File error, TooBig, a codec failure) poisons the
// writer: every later call returns that same error.
#pragma once

#include <oneapi/tbb/task_group.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "store/env.h"
#include "store/gzip_index.h"
#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

struct ChunkedGzipOptions {
  // Uncompressed bytes per member. A random read inflates one whole member, so
  // smaller members answer random reads sooner and compress a little worse: on
  // scope mappings 64 KiB costs +0.9 % over gzip -6 and 1 MiB +0.1 % (measured
  // with zlib, issue 2; docs/BENCHMARKS.md).
  size_t chunk_size = size_t{64} << 10;
  // libdeflate level, 0..12. 5 is the fastest level that stores at most 0.95x
  // what `gzip -6` does (issue 13). On the 4 M / 8 M scope's mappings in 64 KiB
  // members, one core, same run: level 5 compresses 61 MB/s to 0.924x gzip -6;
  // level 4 80 MB/s but 0.952x; level 6 51 MB/s, 0.922x; zlib 6 (before) 20 MB/s,
  // 1.009x. Inflate is 390-470 MB/s at levels 1-9 (docs/BENCHMARKS.md).
  int level = 5;
  uint64_t max_uncompressed = UINT64_MAX;  // Append beyond this fails with TooBig
};

class ChunkedGzipWriter {
 public:
  // REQUIRES: out != nullptr, 0 < options.chunk_size <= kMaxGzipChunkSize,
  // kMinGzipLevel <= options.level <= kMaxGzipLevel (0..12, store/gzip_member.h).
  ChunkedGzipWriter(File* out, ChunkedGzipOptions options);
  ~ChunkedGzipWriter();

  ChunkedGzipWriter(const ChunkedGzipWriter&) = delete;
  ChunkedGzipWriter& operator=(const ChunkedGzipWriter&) = delete;

  // Adds `data` to the stream. May block while earlier chunks compress.
  // TooBig (and the writer is poisoned) if the total would pass max_uncompressed;
  // none of `data` is taken then.
  Status Append(std::string_view data);

  // Compresses and writes what is left and returns the index of the whole file.
  // Empty input gives one empty member. Call at most once; Append after it is Invalid.
  Result<GzipIndex> Finish();

  // Bytes accepted by Append so far.
  uint64_t uncompressed_size() const { return uncompressed_size_; }

 private:
  struct Job;

  Status SubmitChunk();
  // Writes finished members from the front of the queue, in order. While more
  // than `max_queued` chunks are queued it waits for the front one (compressing
  // unstarted chunks meanwhile); after that it stops at the first unfinished one.
  Status Drain(size_t max_queued);
  void WaitForJob(const Job& job);
  Status WriteFront();
  // Claims the oldest job nobody has started; nullptr if none.
  Job* ClaimPending();
  // Compresses a job this thread has claimed and marks it done.
  void RunClaimed(Job& job);
  // Claims every unstarted job so its task does nothing, and forgets the queue.
  void AbandonPending();
  Status Poison(Status status);

  File* const out_;
  const ChunkedGzipOptions options_;
  const size_t max_in_flight_;

  Status error_;  // first error; OK until then
  bool finished_ = false;
  uint64_t uncompressed_size_ = 0;
  std::string pending_;  // the chunk being filled
  GzipIndex index_;      // members written so far

  // Chunks submitted and not yet written, oldest first. Only the caller's thread
  // touches the deque; tasks only touch their own Job.
  std::deque<std::shared_ptr<Job>> queue_;

  Mutex mu_;         // guards Job::done of every job; a leaf lock (lock order: store.h)
  CondVar done_cv_;  // signalled when a job finishes

  tbb::task_group tasks_;  // the destructor waits for it before members go away
};

}  // namespace scopefs::store
