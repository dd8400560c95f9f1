// SpillBuckets: records partitioned into numbered buckets, kept in one scratch file.
//
// The external sorts of the mapping index partition their records (by hash
// range, by value range) rather than merge sorted runs: each bucket is later
// read back whole and sorted in memory on its own. Add buffers a record in its
// bucket's buffer; a full buffer is appended to the one scratch file as a
// block, so any number of buckets costs one descriptor and sequential writes.
// Blocks hold whole records, and a bucket's blocks, read in order, give its
// records in the order they were added.
//
// Memory: the buffers, at most `buckets * buffer_bytes` (plus one record).
// Ownership: owns its scratch file (created at the first block, removed by the
// destructor). Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/env.h"
#include "store/status.h"

namespace scopefs::store {

class SpillBuckets {
 public:
  SpillBuckets(Env* env, std::string path, size_t buckets, size_t buffer_bytes);
  ~SpillBuckets();
  SpillBuckets(const SpillBuckets&) = delete;
  SpillBuckets& operator=(const SpillBuckets&) = delete;

  // REQUIRES: bucket < buckets; not yet flushed.
  Status Add(size_t bucket, std::string_view record) { return Add(bucket, record, {}); }
  // The record `head` then `tail`, as one (saves the caller joining them).
  Status Add(size_t bucket, std::string_view head, std::string_view tail);
  // Writes every buffer out and frees them. No Add after it.
  Status Flush();

  size_t buckets() const { return buckets_.size(); }
  uint64_t bytes(size_t bucket) const { return buckets_[bucket].bytes; }
  uint64_t records(size_t bucket) const { return buckets_[bucket].records; }
  // Replaces `out` with the bucket's bytes. REQUIRES: flushed.
  Status Read(size_t bucket, std::string* out) const;
  // Calls `block` with each of the bucket's blocks in order (each holds whole
  // records). REQUIRES: flushed.
  Status ForEachBlock(size_t bucket, const std::function<Status(std::string_view)>& block) const;

 private:
  struct Block {
    uint64_t offset;
    uint64_t length;
  };
  struct Bucket {
    std::string buffer;
    std::vector<Block> blocks;
    uint64_t bytes = 0;
    uint64_t records = 0;
  };
  Status WriteBlock(Bucket& bucket);

  Env* const env_;
  const std::string path_;
  const size_t buffer_bytes_;
  std::vector<Bucket> buckets_;
  std::unique_ptr<File> file_;
  uint64_t end_ = 0;  // of the scratch file
};

}  // namespace scopefs::store
