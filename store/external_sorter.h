// ExternalSorter: sorts byte records of any length in bounded memory.
//
// Records go in with Add, in any order, and come out of Drain sorted by
// `less`. Up to `memory_bytes` of them are kept and sorted in memory; beyond
// that each full batch is sorted and spilled to a run file named
// `<scratch_prefix>.<n>`, and Drain merges the runs, reading each in pieces.
// So sorting a billion bytes of records takes about memory_bytes of memory.
//
// Ownership: owns its run files; the destructor removes them.
// Thread-safety: not thread-safe; one owner.
// Errors: the Env's, as they come; after one, the sorter is unusable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/env.h"
#include "store/status.h"

namespace scopefs::store {

class ExternalSorter {
 public:
  using Less = std::function<bool(std::string_view a, std::string_view b)>;

  ExternalSorter(Env* env, std::string scratch_prefix, Less less,
                 size_t memory_bytes = size_t{32} << 20);
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  Status Add(std::string_view record);
  // Calls `out` with every record added, in order. Call once.
  Status Drain(const std::function<Status(std::string_view record)>& out);

 private:
  class RunReader;

  // Sorts the records in memory and writes them to a new run file.
  Status Spill();
  std::vector<std::string_view> SortedBatch();

  Env* const env_;
  const std::string prefix_;
  const Less less_;
  const size_t memory_bytes_;
  std::string arena_;                                 // the records in memory, back to back
  std::vector<std::pair<size_t, uint32_t>> records_;  // (offset, length) in arena_
  std::vector<std::string> runs_;                     // paths of the spilled runs
};

}  // namespace scopefs::store
