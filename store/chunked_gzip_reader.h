// ChunkedGzipReader: random access into a chunked gzip file written by
// ChunkedGzipWriter, through its GzipIndex.
//
// A read inflates only the members that cover it, through the shared
// MemberCache, so memory stays bounded whatever the file's size. A reader that
// reads sequentially (as seen by its ReadAheadState) gets read-ahead: the next
// the members in the next kReadAheadBytes are inflated by background tasks (oneTBB) while it
// copies the current one, and while it waits for a member a task is still
// inflating, it inflates a later one itself, so a sequential `cat` keeps two
// cores busy.
//
// Every member is checked as it is inflated (libdeflate, store/gzip_member.h):
// its fixed header, the deflate data, the CRC-32 and ISIZE trailer, that it
// ends exactly where the next one starts, and that it inflates to exactly the
// size the index gives. Any
// mismatch is Corruption("mappings member <i> at offset <compressed offset>:
// <reason>"), and no byte of that member is returned.
//
// Ownership: shares `file`; `cache` is borrowed and must outlive the reader.
// Thread-safety: ReadAt and VerifyAll are safe from many threads at once (each
// with its own ReadAheadState). The destructor waits for read-ahead tasks and
// drops the reader's members from the cache.
#pragma once

#include <oneapi/tbb/task_group.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "store/env.h"
#include "store/gzip_index.h"
#include "store/member_cache.h"
#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

// What one sequential reader (e.g. one open file handle) last did.
// Not thread-safe: one per reader, used by one ReadAt at a time.
struct ReadAheadState {
  bool has_read = false;
  uint64_t next_offset = 0;   // where the previous read ended
  size_t read_ahead_end = 0;  // members below this already have read-ahead started
};

class ChunkedGzipReader {
 public:
  // Read-ahead covers this many uncompressed bytes past a sequential read
  // (at least 3 members), whatever the member size.
  static constexpr uint64_t kReadAheadBytes = uint64_t{3} << 20;

  // An invalid `index` (see ValidateGzipIndex) makes every call return its error.
  ChunkedGzipReader(std::shared_ptr<const File> file, GzipIndex index, MemberCache* cache);
  ~ChunkedGzipReader();

  ChunkedGzipReader(const ChunkedGzipReader&) = delete;
  ChunkedGzipReader& operator=(const ChunkedGzipReader&) = delete;

  // Copies up to `n` uncompressed bytes at `offset` into `buf`; fewer only at the
  // end of the stream (0 at or past it). With `ra`, detects sequential reading and
  // reads ahead.
  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n, ReadAheadState* ra = nullptr) const;

  // Inflates and checks every member (in parallel, bypassing the cache) and that
  // the file is exactly as long as the index says. Returns the first error by
  // member order.
  Status VerifyAll() const;

  const GzipIndex& index() const { return index_; }
  size_t read_ahead_members() const { return read_ahead_members_; }

 private:
  // Reads and inflates member `i` from the file, checking everything.
  Result<std::string> InflateMember(size_t i) const;
  MemberCache::Loader LoaderFor(size_t i) const;
  // Starts background inflation of the members after `last` that `ra` has not
  // started yet.
  void StartReadAhead(size_t last, ReadAheadState* ra) const;
  // Inflates, on this thread, the first member in (last, last + read_ahead_members_]
  // that is neither cached nor being inflated.
  void HelpReadAhead(size_t last) const;

  const std::shared_ptr<const File> file_;
  const GzipIndex index_;
  MemberCache* const cache_;
  const uint64_t id_;
  const Status index_status_;
  const size_t read_ahead_members_;

  // Serializes tasks_.run: callers of ReadAt on many threads start read-ahead.
  // A leaf lock (see the lock order in store.h).
  mutable Mutex spawn_mu_;
  mutable tbb::task_group tasks_;  // read-ahead; the destructor waits for it
};

}  // namespace scopefs::store
