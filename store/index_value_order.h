// IndexValueOrder: a mapping index's by_value section, in bounded memory.
//
// The index's entries go in with Add, in entry order, with their values;
// Drain gives the entry numbers ordered by (value, entry number). The values
// lie in [0, total), so the entries are partitioned by value range
// (SpillBuckets, one scratch file) and each range is ordered in memory on its
// own: each entry straight to its place where the range's values are each
// there once (the usual mapping, whose values are its entries' indices), else
// by a counting sort where the range is dense, else by a sort of (value,
// entry) pairs.
// Pairs are gathered a chunk at a time and partitioned by a counting pass, so
// each range gets one append per chunk rather than one per entry.
// One range may still be larger than memory when values are skewed (many ids
// sharing an index): it goes through an ExternalSorter.
//
// Memory: about memory_bytes. Ownership: owns its scratch files
// (`<scratch_prefix>.*`); the destructor removes them.
// Thread-safety: not thread-safe; one owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/spill_buckets.h"
#include "store/status.h"

namespace scopefs::store {

class IndexValueOrder {
 public:
  // For at most `max_entries` entries with values below `total`.
  IndexValueOrder(Env* env, std::string scratch_prefix, size_t memory_bytes, uint64_t max_entries,
                  uint64_t total);

  // REQUIRES: entries in increasing order from 0; value < total.
  Status Add(uint64_t value, uint64_t entry);
  // Calls `each` with every entry number, in order, some at a time. Call once.
  using Each = std::function<Status(std::span<const uint64_t> entries)>;
  Status Drain(const Each& each);

 private:
  // A pair as held in memory and in the ranges (scratch): the value's offset
  // in its range, then the entry, in host order: two u32s when every offset
  // and entry fits (a mapping of fewer than 4 G entries), else two u64s.
  struct Pair {
    uint64_t offset;
    uint64_t entry;
  };
  void PutPair(uint64_t offset, uint64_t entry, char* p) const;
  Pair GetPair(const char* p) const;
  // Partitions chunk_ into the ranges.
  Status FlushChunk();
  Status DrainRange(std::string_view pairs, const Each& each);
  Status DrainLargeRange(size_t range, const Each& each);

  Env* const env_;
  const std::string prefix_;
  const size_t memory_bytes_;
  int width_bits_ = 0;
  uint64_t width_ = 1;  // of each value range: 2^width_bits_
  size_t pair_bytes_ = 8;
  std::unique_ptr<SpillBuckets> ranges_;  // null: one range, in memory
  std::string pairs_;                     // (value, entry) pairs when in memory
  struct Added {
    uint64_t value;
    uint64_t entry;
  };
  std::vector<Added> chunk_;  // not yet partitioned, in arrival order
  size_t chunk_capacity_ = 0;
  std::string partitioned_;  // chunk_ as pairs, range after range
};

}  // namespace scopefs::store
