#include "store/chunked_gzip_reader.h"

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#include "store/gzip_member.h"
#include "store/happens_before.h"

namespace scopefs::store {

ChunkedGzipReader::ChunkedGzipReader(std::shared_ptr<const File> file, GzipIndex index,
                                     MemberCache* cache)
    : file_(std::move(file)),
      index_(std::move(index)),
      cache_(cache),
      id_(cache_->NewReaderId()),
      index_status_(ValidateGzipIndex(index_)),
      read_ahead_members_(static_cast<size_t>(
          std::max<uint64_t>(3, kReadAheadBytes / std::max<uint64_t>(1, index_.chunk_size)))) {}

ChunkedGzipReader::~ChunkedGzipReader() {
  tasks_.wait();
  AfterHandoff();
  cache_->EraseReader(id_);
}

Result<size_t> ChunkedGzipReader::ReadAt(uint64_t offset, char* buf, size_t n,
                                         ReadAheadState* ra) const {
  RETURN_IF_ERROR(index_status_);
  if (n == 0 || offset >= index_.uncompressed_size) return size_t{0};
  n = static_cast<size_t>(std::min<uint64_t>(n, index_.uncompressed_size - offset));
  const size_t first = index_.MemberFor(offset);
  const size_t last = index_.MemberFor(offset + n - 1);

  // The kernel may deliver one handle's sequential reads slightly out of order
  // (several FUSE threads), so "sequential" allows a chunk of slack either way.
  const uint64_t slack = index_.chunk_size;
  const bool sequential = ra != nullptr && ra->has_read && offset + slack >= ra->next_offset &&
                          offset <= ra->next_offset + slack;
  std::function<void()> help;
  if (sequential) {
    StartReadAhead(last, ra);
    help = [this, last] { HelpReadAhead(last); };
  } else if (ra != nullptr) {
    ra->read_ahead_end = 0;
  }

  size_t done = 0;
  for (size_t i = first; i <= last; ++i) {
    ASSIGN_OR_RETURN(MemberCache::Value bytes, cache_->GetOrLoad(id_, i, LoaderFor(i), help));
    const uint64_t from = offset + done - index_.members[i].uncompressed_offset;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(n - done, bytes->size() - from));
    std::memcpy(buf + done, bytes->data() + from, take);
    done += take;
  }
  if (ra != nullptr) {
    ra->has_read = true;
    ra->next_offset = offset + done;
  }
  return done;
}

void ChunkedGzipReader::StartReadAhead(size_t last, ReadAheadState* ra) const {
  const size_t end = std::min(last + 1 + read_ahead_members_, index_.members.size());
  const size_t begin = std::max(last + 1, ra->read_ahead_end);
  if (begin >= end) return;
  ra->read_ahead_end = end;
  MutexLock lock(&spawn_mu_);
  for (size_t i = begin; i < end; ++i) {
    tbb::task_handle task = tasks_.defer([this, i] {
      AfterHandoff();
      try {
        cache_->Prefetch(id_, i, LoaderFor(i));
      } catch (...) {
        // Read-ahead is a hint: the reader inflates the member again and reports why.
      }
      BeforeHandoff();
    });
    BeforeHandoff();
    tasks_.run(std::move(task));
  }
}

void ChunkedGzipReader::HelpReadAhead(size_t last) const {
  const size_t end = std::min(last + 1 + read_ahead_members_, index_.members.size());
  for (size_t i = last + 1; i < end; ++i) {
    if (cache_->Prefetch(id_, i, LoaderFor(i))) return;
  }
}

MemberCache::Loader ChunkedGzipReader::LoaderFor(size_t i) const {
  return [this, i] { return InflateMember(i); };
}

Result<std::string> ChunkedGzipReader::InflateMember(size_t i) const {
  const uint64_t c_offset = index_.members[i].compressed_offset;
  const uint64_t c_size = index_.MemberCompressedSize(i);
  const uint64_t u_size = index_.MemberUncompressedSize(i);
  auto corrupt = [&](const std::string& why) {
    return Status::Corruption("mappings member " + std::to_string(i) + " at offset " +
                              std::to_string(c_offset) + ": " + why);
  };

  std::string compressed(c_size, '\0');
  ASSIGN_OR_RETURN(size_t got, file_->ReadAt(c_offset, compressed.data(), compressed.size()));
  if (got != c_size) {
    return corrupt("file ends after " + std::to_string(got) + " of its " + std::to_string(c_size) +
                   " bytes");
  }
  Result<std::string> out = InflateGzipMember(compressed, u_size);
  if (!out.ok() && out.status().code() == Status::Code::kCorruption) {
    return corrupt(out.status().message());
  }
  return out;
}

Status ChunkedGzipReader::VerifyAll() const {
  RETURN_IF_ERROR(index_status_);
  ASSIGN_OR_RETURN(uint64_t size, file_->Size());
  if (size != index_.compressed_size) {
    return Status::Corruption("mappings file is " + std::to_string(size) +
                              " bytes, its index says " + std::to_string(index_.compressed_size));
  }
  Mutex mu;                                  // a leaf lock
  size_t first_bad = index_.members.size();  // guarded by mu
  Status first_error;                        // guarded by mu
  // A few tasks pull members from a counter: every member is checked, on all cores.
  std::atomic<size_t> next{0};
  auto check = [&] {
    AfterHandoff();
    for (size_t i = next++; i < index_.members.size(); i = next++) {
      Status s;
      try {
        s = InflateMember(i).status();
      } catch (const std::bad_alloc&) {
        s = Status::FromErrno(ENOMEM, "verify mappings");
      }
      if (s.ok()) continue;
      MutexLock lock(&mu);
      if (i < first_bad) {
        first_bad = i;
        first_error = std::move(s);
      }
    }
    BeforeHandoff();
  };
  tbb::task_group group;
  const int workers = std::max(1, tbb::this_task_arena::max_concurrency());
  for (int w = 0; w < workers; ++w) {
    tbb::task_handle task = group.defer(check);
    BeforeHandoff();
    group.run(std::move(task));
  }
  group.wait();
  AfterHandoff();
  return first_error;
}

}  // namespace scopefs::store
