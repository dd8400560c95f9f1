// IndexFeeder: a mapping's entries handed to its two MappingIndexBuilders on a
// thread of its own, so hashing and spilling them overlap the parse.
//
// While mappings.json is written, the thread that parses it (the writer's)
// is the one the rest waits for: the compressors idle when it falls behind.
// Add copies an entry into a batch (a few hundred KiB); full batches go to a
// thread that adds them to the builders, in order. At most a few batches wait,
// so a fast parser waits for the builders rather than queue without bound.
//
// Errors: a builder's error is returned by a later Add and by Finish; batches
// behind it are dropped (the builders are unusable then anyway).
// Ownership: the builders must outlive the feeder; after Finish (or the
// destructor) the feeder no longer touches them.
// Thread-safety: Add and Finish from one thread (the parser's); until Finish,
// the builders are the feeder's (its worker's thread, serial_worker.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/mapping_index.h"
#include "store/serial_worker.h"
#include "store/status.h"

namespace scopefs::store {

class IndexFeeder {
 public:
  // `builders[section]` receives the entries of that section (0 nodes, 1 links).
  IndexFeeder(MappingIndexBuilder* nodes, MappingIndexBuilder* links);

  // As MappingIndexBuilder::Add, for `section`'s builder.
  Status Add(int section, std::string_view id, uint64_t value);
  // Waits until every entry is added; returns the first error. No Add after it.
  Status Finish();

 private:
  struct Entry {
    uint64_t value;
    uint32_t length;  // of its id, the next bytes of `ids`
    uint8_t section;
  };
  struct Batch {
    std::string ids;
    std::vector<Entry> entries;
  };
  static Batch EmptyBatch();  // with room for a full batch: no regrowth while filling
  Status Submit();

  MappingIndexBuilder* const builders_[2];
  Batch filling_;
  SerialWorker worker_;  // last: it goes first
};

}  // namespace scopefs::store
