#include "store/spill_buckets.h"

#include <algorithm>

#include "store/log.h"

namespace scopefs::store {

SpillBuckets::SpillBuckets(Env* env, std::string path, size_t buckets, size_t buffer_bytes)
    : env_(env), path_(std::move(path)), buffer_bytes_(buffer_bytes), buckets_(buckets) {}

SpillBuckets::~SpillBuckets() {
  if (!file_) return;
  file_.reset();
  if (Status st = env_->Unlink(path_); !st.ok() && st.code() != Status::Code::kNotFound) {
    LogWarning("cannot remove " + path_ + ": " + st.ToString());
  }
}

Status SpillBuckets::WriteBlock(Bucket& bucket) {
  if (bucket.buffer.empty()) return Status::Ok();
  if (!file_) {
    ASSIGN_OR_RETURN(file_, env_->Open(path_, OpenMode::kCreate));
  }
  RETURN_IF_ERROR(file_->WriteAt(end_, bucket.buffer.data(), bucket.buffer.size()));
  bucket.blocks.push_back({end_, bucket.buffer.size()});
  end_ += bucket.buffer.size();
  bucket.buffer.clear();
  return Status::Ok();
}

Status SpillBuckets::Add(size_t bucket, std::string_view head, std::string_view tail) {
  Bucket& b = buckets_[bucket];
  const size_t size = head.size() + tail.size();
  if (b.buffer.size() + size > buffer_bytes_) RETURN_IF_ERROR(WriteBlock(b));
  if (b.buffer.capacity() == 0) b.buffer.reserve(std::max(buffer_bytes_, size));
  b.buffer.append(head);
  b.buffer.append(tail);
  b.bytes += size;
  ++b.records;
  return Status::Ok();
}

Status SpillBuckets::Flush() {
  for (Bucket& b : buckets_) {
    RETURN_IF_ERROR(WriteBlock(b));
    std::string().swap(b.buffer);
  }
  return Status::Ok();
}

Status SpillBuckets::Read(size_t bucket, std::string* out) const {
  const Bucket& b = buckets_[bucket];
  out->resize(b.bytes);
  uint64_t at = 0;
  for (const Block& block : b.blocks) {
    RETURN_IF_ERROR(ReadExactly(*file_, block.offset, out->data() + at, block.length, path_));
    at += block.length;
  }
  return Status::Ok();
}

Status SpillBuckets::ForEachBlock(size_t bucket,
                                  const std::function<Status(std::string_view)>& block) const {
  std::string buf;
  for (const Block& b : buckets_[bucket].blocks) {
    buf.resize(b.length);
    RETURN_IF_ERROR(ReadExactly(*file_, b.offset, buf.data(), b.length, path_));
    RETURN_IF_ERROR(block(buf));
  }
  return Status::Ok();
}

}  // namespace scopefs::store
