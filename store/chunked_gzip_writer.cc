#include "store/chunked_gzip_writer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <thread>
#include <utility>

#include "store/gzip_member.h"
#include "store/happens_before.h"

namespace scopefs::store {

struct ChunkedGzipWriter::Job {
  std::string input;  // freed once compressed
  uint64_t input_size = 0;
  Status status;  // set with `member` before `done`
  std::string member;
  std::atomic<bool> claimed{false};  // whoever sets it compresses the chunk
  bool done = false;                 // guarded by mu_
};

ChunkedGzipWriter::ChunkedGzipWriter(File* out, ChunkedGzipOptions options)
    : out_(out),
      options_(options),
      max_in_flight_(2 * std::max(1u, std::thread::hardware_concurrency()) + 1) {
  if (options_.chunk_size == 0 || options_.chunk_size > kMaxGzipChunkSize) {
    error_ = Status::Invalid("gzip chunk size " + std::to_string(options_.chunk_size) +
                             " is out of range");
  } else if (options_.level < kMinGzipLevel || options_.level > kMaxGzipLevel) {
    error_ = Status::Invalid("gzip level " + std::to_string(options_.level) + " is not " +
                             std::to_string(kMinGzipLevel) + ".." + std::to_string(kMaxGzipLevel));
  } else {
    pending_.reserve(options_.chunk_size);
  }
}

ChunkedGzipWriter::~ChunkedGzipWriter() {
  AbandonPending();
  tasks_.wait();
  AfterHandoff();
}

Status ChunkedGzipWriter::Append(std::string_view data) {
  RETURN_IF_ERROR(error_);
  if (finished_) return Status::Invalid("append to a finished gzip stream");
  if (data.size() > options_.max_uncompressed - uncompressed_size_) {
    return Poison(Status::TooBig("mappings are larger than the limit of " +
                                 std::to_string(options_.max_uncompressed) + " bytes"));
  }
  while (!data.empty()) {
    size_t take = std::min(options_.chunk_size - pending_.size(), data.size());
    pending_.append(data.data(), take);
    data.remove_prefix(take);
    uncompressed_size_ += take;
    if (pending_.size() == options_.chunk_size) RETURN_IF_ERROR(SubmitChunk());
  }
  return Status::Ok();
}

Result<GzipIndex> ChunkedGzipWriter::Finish() {
  RETURN_IF_ERROR(error_);
  if (finished_) return Status::Invalid("gzip stream finished twice");
  finished_ = true;
  // An empty stream still gets one (empty) member so the file is a valid .gz.
  if (!pending_.empty() || uncompressed_size_ == 0) RETURN_IF_ERROR(SubmitChunk());
  RETURN_IF_ERROR(Drain(0));
  index_.chunk_size = options_.chunk_size;
  index_.uncompressed_size = uncompressed_size_;
  return index_;
}

Status ChunkedGzipWriter::SubmitChunk() {
  auto job = std::make_shared<Job>();
  job->input_size = pending_.size();
  job->input = std::move(pending_);
  pending_ = std::string();
  if (!finished_) pending_.reserve(options_.chunk_size);
  queue_.push_back(job);
  tbb::task_handle task = tasks_.defer([this, job] {
    AfterHandoff();
    if (!job->claimed.exchange(true)) RunClaimed(*job);
    BeforeHandoff();
  });
  BeforeHandoff();  // after the task holds its captures, before a worker can run it
  tasks_.run(std::move(task));
  // Leave room for the chunk being filled, so at most max_in_flight_ chunks exist.
  return Drain(max_in_flight_ - 1);
}

Status ChunkedGzipWriter::Drain(size_t max_queued) {
  while (!queue_.empty()) {
    const Job& front = *queue_.front();
    if (queue_.size() > max_queued) {
      WaitForJob(front);
    } else {
      MutexLock lock(&mu_);
      if (!front.done) break;
    }
    RETURN_IF_ERROR(WriteFront());
  }
  return Status::Ok();
}

void ChunkedGzipWriter::WaitForJob(const Job& job) {
  // Compressing another chunk here rather than sleeping is what keeps every core
  // busy: the caller's thread is one of them.
  for (;;) {
    {
      MutexLock lock(&mu_);
      if (job.done) return;
    }
    Job* pending = ClaimPending();
    if (pending == nullptr) break;
    RunClaimed(*pending);
  }
  MutexLock lock(&mu_);
  done_cv_.Wait(&mu_, [&job] { return job.done; });
}

Status ChunkedGzipWriter::WriteFront() {
  std::shared_ptr<Job> job = std::move(queue_.front());
  queue_.pop_front();
  if (!job->status.ok()) return Poison(job->status);
  Status written = out_->WriteAt(index_.compressed_size, job->member.data(), job->member.size());
  if (!written.ok()) return Poison(std::move(written));
  index_.members.push_back({index_.compressed_size, index_.uncompressed_size});
  index_.compressed_size += job->member.size();
  index_.uncompressed_size += job->input_size;
  return Status::Ok();
}

ChunkedGzipWriter::Job* ChunkedGzipWriter::ClaimPending() {
  for (const std::shared_ptr<Job>& job : queue_) {
    if (!job->claimed.load(std::memory_order_relaxed) && !job->claimed.exchange(true)) {
      return job.get();
    }
  }
  return nullptr;
}

void ChunkedGzipWriter::RunClaimed(Job& job) {
  try {
    Result<std::string> member = CompressGzipMember(job.input, options_.level);
    if (member.ok()) {
      job.member = std::move(member).value();
    } else {
      job.status = member.status();
    }
  } catch (const std::bad_alloc&) {
    // A task must not throw into the task group; the writer reports it instead.
    job.status = Status::FromErrno(ENOMEM, "compress a mappings chunk");
  }
  std::string().swap(job.input);
  {
    MutexLock lock(&mu_);
    job.done = true;
  }
  done_cv_.NotifyAll();
}

void ChunkedGzipWriter::AbandonPending() {
  while (ClaimPending() != nullptr) {
  }
  queue_.clear();  // tasks still running hold their own reference to their job
}

Status ChunkedGzipWriter::Poison(Status status) {
  error_ = status;
  AbandonPending();
  return status;
}

}  // namespace scopefs::store
