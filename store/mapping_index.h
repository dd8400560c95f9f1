// The mapping index: an exact, mmap-able map of one mapping's ids to their
// indices and back (nodes.idx, links.idx; the format is in FORMAT.md).
//
// MappingIndexBuilder takes the entries as the mappings stream by (from a
// MappingsValidator's entry sink, through an IndexFeeder) and writes the index file at the end, in
// bounded memory: entries are ordered by an IndexEntrySorter and the by_value
// section by an IndexValueOrder, which spill to scratch files. The scratch
// files are made through a ScratchEnv, so their bytes count against max_size
// (CountScratchWith says who pays). Ids are keyed
// by their decoded UTF-8 bytes; when one id comes twice, the last one wins, as
// in json.loads.
// CheckMappingIndex checks a file's header, section table and every CRC;
// LookUpIndex answers one lookup from a whole file in memory (for tests and
// for scopectl; readers mmap the file instead).
//
// Thread-safety: the builder is not thread-safe (one owner); the functions are.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/env.h"
#include "store/index_entry_sorter.h"
#include "store/scratch_env.h"
#include "store/status.h"

namespace scopefs::store {

inline constexpr std::string_view kIndexMagic = "SCOPEIDX";
inline constexpr uint32_t kIndexVersion = 1;
inline constexpr uint32_t kIndexHashCrc32 = 1;
inline constexpr size_t kIndexHeaderSize = 64;
inline constexpr int kIndexSections = 6;

// The hash of an id (hash function 1): the CRC-32 of its UTF-8 bytes.
uint32_t IndexHash(std::string_view id);

class MappingIndexBuilder {
 public:
  // Scratch files are named `<scratch_prefix>.*` and removed by the destructor.
  // `memory_bytes` bounds the entries held in memory while adding, and again
  // while finishing (each of the two sorts takes about that much).
  MappingIndexBuilder(Env* env, std::string scratch_prefix, size_t memory_bytes = size_t{32} << 20);
  ~MappingIndexBuilder();
  MappingIndexBuilder(const MappingIndexBuilder&) = delete;
  MappingIndexBuilder& operator=(const MappingIndexBuilder&) = delete;

  Status Add(std::string_view id, uint64_t value);
  // Writes the index into `out` (empty), for a mapping whose values are all
  // below `total`, and returns its size. The entries are consumed and every
  // scratch file is removed, whatever the outcome: a second call fails (EIO,
  // "mappings.json must be written again").
  Result<uint64_t> Finish(File& out, uint64_t total);
  // The CRC-32 of the whole file Finish wrote, from the CRCs of its pieces
  // (no read-back). REQUIRES: Finish returned OK.
  uint32_t file_crc32() const { return file_crc32_; }

  // Scratch bytes are counted by `account` from now on (scratch_env.h);
  // uncounted until the first call. Thread-safe (may be called by another
  // thread than the one adding, as a PendingFile lets go of its builders).
  Status CountScratchWith(ScratchAccount account) { return scratch_.CountWith(std::move(account)); }
  void StopCountingScratch(const void* owner) { scratch_.StopCounting(owner); }
  uint64_t scratch_bytes() const { return scratch_.bytes(); }

 private:
  Result<uint64_t> FinishEntries(File& out, uint64_t total);

  ScratchEnv scratch_;  // before the sorters: it outlives their files
  const std::string prefix_;
  const size_t memory_bytes_;
  std::unique_ptr<IndexEntrySorter> entries_;  // null once finished
  uint64_t added_ = 0;
  uint32_t file_crc32_ = 0;
};

// Corruption naming what is wrong, or OK. Reads the whole file once.
Status CheckMappingIndex(const File& file, std::string_view name);

// The value of `id` in the index bytes `index`, or nullopt if absent.
// Corruption if the bytes are not a valid index.
Result<std::optional<uint64_t>> LookUpIndex(std::string_view index, std::string_view id);

}  // namespace scopefs::store
