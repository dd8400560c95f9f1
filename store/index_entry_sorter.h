// IndexEntrySorter: a mapping index's entries in the index's order, in bounded memory.
//
// Entries (hash, id, value) go in with Add in the order the mappings list
// them. Drain gives every distinct id once, in the index's entry order (hash
// ascending, then id bytes as memcmp, a prefix first), with the value it was
// added with last: json.loads' rule for a repeated id.
//
// Up to `memory_bytes` of entries are kept in memory. Past that, every entry
// goes to one of 256 buckets by the top 8 bits of its hash (SpillBuckets, one
// scratch file), and Drain sorts one bucket at a time in memory: the buckets
// are disjoint hash ranges, so nothing is merged. A bucket larger than the
// memory is split again by the next 8 bits of the hash, down to single hash
// values; a single hash value too large for memory (ids forged to collide) goes
// through an ExternalSorter. Sorting is a stable radix sort on the hash;
// ids are compared only among entries whose hashes are equal. While one bucket
// is handed out, the next is read and sorted on a thread of its own, when the
// two fit in memory together.
//
// Memory: about memory_bytes (records and twice their slots), plus 256 bucket buffers of
// memory_bytes / 1024 (4-64 KiB) each once spilled, and Drain's batch (128 KiB).
// Ownership: owns its scratch files (`<scratch_prefix>.*`); the destructor removes them.
// Thread-safety: not thread-safe; one owner (Drain's reading thread is its own).
// Errors: the Env's, as they come; after one, the sorter is unusable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/env.h"
#include "store/spill_buckets.h"
#include "store/status.h"

namespace scopefs::store {

class IndexEntrySorter {
 public:
  IndexEntrySorter(Env* env, std::string scratch_prefix, size_t memory_bytes);
  ~IndexEntrySorter();
  IndexEntrySorter(const IndexEntrySorter&) = delete;
  IndexEntrySorter& operator=(const IndexEntrySorter&) = delete;

  // REQUIRES: id.size() < 2^32; not sealed.
  Status Add(uint32_t hash, std::string_view id, uint64_t value);

  // What Drain will give: the distinct ids and their bytes, exact when the
  // entries fit in memory (sorted by Seal), else upper bounds (every id added).
  struct Extent {
    uint64_t count = 0;
    uint64_t bytes = 0;
    bool exact = false;
  };
  // Ends the adding. Call once, before Drain.
  Result<Extent> Seal();

  struct Entry {
    uint32_t hash;
    std::string_view id;
    uint64_t value;
  };
  // Calls `each` with every distinct id, in order, a batch (of up to 4096) at
  // a time, so the per-entry work is a tight loop, not a call. The ids' bytes
  // are valid during the call only. Call once, after Seal.
  using Each = std::function<Status(std::span<const Entry> entries)>;
  Status Drain(const Each& each);

 private:
  struct Slot {
    uint64_t key;     // hash << 32 | arrival
    uint64_t offset;  // of the record in the buffer
  };
  // A bucket's records and their slots, once sorted.
  struct SortedBucket {
    std::string records;
    std::vector<Slot> slots;
    std::vector<Slot> scratch;  // the radix sort's other half
  };
  // Sorts `records` into `slots`, keeping the last of each id.
  static void SortInMemory(std::string_view records, std::vector<Slot>& slots,
                           std::vector<Slot>& scratch);
  // Orders `slots` by (hash, arrival), given them in arrival order.
  static void SortByHash(std::vector<Slot>& slots, std::vector<Slot>& scratch);
  // Reads bucket `b` of `buckets` into `out` and sorts it. Thread-safe for
  // distinct `out`s (the scratch file is only read).
  static Status ReadSorted(const SpillBuckets& buckets, size_t b, SortedBucket& out);
  Status EmitSorted(std::string_view records, const std::vector<Slot>& slots, const Each& each);
  // Drains every bucket of `buckets`, split by hash bits [shift, shift + 8).
  Status DrainBuckets(SpillBuckets& buckets, int shift, const Each& each);
  Status DrainOneHash(SpillBuckets& buckets, size_t bucket, const Each& each);
  bool FitsInMemory(uint64_t bytes, uint64_t records) const;
  size_t BufferBytes() const;  // per bucket
  Status Spill();

  Env* const env_;
  const std::string prefix_;
  const size_t memory_bytes_;
  std::string arena_;  // records in memory, back to back, in arrival order
  uint64_t arena_records_ = 0;
  std::unique_ptr<SpillBuckets> buckets_;  // once spilled
  // [0]: the arena's slots, or the bucket being emitted; [1]: the next bucket,
  // read and sorted meanwhile on a thread of its own.
  SortedBucket sorted_[2];
  std::vector<Entry> batch_;  // what EmitSorted hands out
  uint64_t added_ = 0, added_bytes_ = 0;
  int scratch_files_ = 0;
  bool sealed_ = false;
};

}  // namespace scopefs::store
