// MappingsEncoder: a pending mappings.json, compressed and validated as it is written.
//
// A writer that writes mappings.json front to back (cp, rsync, tar, Python)
// hands each write to Append. Its bytes are cut into the stored format's
// members and compressed in the background on every core (ChunkedGzipWriter)
// into a file of their own under the store's encoding/ directory, and
// validated in the same pass (MappingsValidator). The compressed bytes are
// what the pending scope holds and what it counts against max_size: each
// write of them first asks `reserve` for room. The commit at the last close
// then only seals it (the final member; the fsync starts on a thread of its
// own, so it overlaps the index build) and, once `durable` says the fsync
// succeeded, moves the file into the committed scope.
//
// A write anywhere but at the end cannot be encoded. The owner (PendingFile)
// then has Decode give back the raw bytes and carries on with a raw file,
// compressed at commit as before: nothing is lost for writing out of order.
//
// Ownership: owns its file and removes it when destroyed, unless a commit
// moved it away (then there is nothing to remove).
// Thread-safety: not thread-safe; the PendingFile's io_mu_ serializes calls.
// With an index, its IndexFeeder's thread adds the entries to the builders
// until Seal (a builder's error then comes from a later Append, or Seal).
// From Seal on, a thread of its own fsyncs the file; the destructor waits for it.
// Errors: the first error in compressing or writing (including NoSpace from
// `reserve`) poisons it: Append and Seal keep returning it, and so it is with
// a failed fsync: `durable` gives every waiter the one result, and a Seal
// after it returns the failure. A validation error does not poison it: it
// is kept for the commit, which refuses the scope with it.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "store/chunked_gzip_writer.h"
#include "store/env.h"
#include "store/gzip_index.h"
#include "store/index_feeder.h"
#include "store/mapping_index.h"
#include "store/mappings_validator.h"
#include "store/status.h"

namespace scopefs::store {

// What a failed seal or fsync of encoded mappings is annotated with: their
// bytes are lost, as a failed write(2) loses its data.
inline constexpr std::string_view kMappingsLost = "mappings.json must be written again";

// Sealed mappings, ready to become a committed scope's mappings.json.gz.
struct EncodedMappings {
  std::string path;  // the compressed file, under encoding/
  GzipIndex index;
  uint32_t crc32 = 0;  // of the compressed file's bytes
  Status validation;   // Invalid with a one-line reason, or OK
  MappingsValidator::SectionStats nodes;
  MappingsValidator::SectionStats links;
  // The entries of each mapping, for the commit to write nodes.idx and
  // links.idx once meta.json's totals are known; null without an index.
  std::shared_ptr<MappingIndexBuilder> index_builders[2];
  // The file's fsync, begun at the seal: wait for OK before publishing it.
  std::shared_future<Status> durable;
};

class MappingsEncoder {
 public:
  // Creates `path` (which must not exist). `reserve(bytes)` is asked before
  // the file grows by `bytes`; its error stops the write. With `build_index`,
  // the entries also go to two MappingIndexBuilders (scratch files `path.*`),
  // whose scratch bytes `scratch` counts until a commit takes them over or
  // StopCountingScratch.
  static Result<std::unique_ptr<MappingsEncoder>> Create(
      Env* env, std::string path, const ChunkedGzipOptions& codec, bool build_index,
      std::function<Status(uint64_t bytes)> reserve, ScratchAccount scratch = {});
  ~MappingsEncoder();
  MappingsEncoder(const MappingsEncoder&) = delete;
  MappingsEncoder& operator=(const MappingsEncoder&) = delete;

  // Adds the next bytes of the text. Invalid once sealed.
  Status Append(std::string_view data);
  // Compresses and writes what is left and starts the file's fsync (its
  // result is `durable`). Later calls return the same result, or the fsync's
  // failure once it has failed.
  Result<const EncodedMappings*> Seal();
  bool sealed() const { return is_sealed_; }
  // Inflates everything appended into `raw` from offset 0. Seals first.
  Status Decode(File& raw);

  // The builders' scratch is no longer counted by `owner` (its ScratchAccount):
  // what it holds is given back. Call before the owner goes; a commit may
  // still hold the builders.
  void StopCountingScratch(const void* owner);

  uint64_t size() const { return writer_->uncompressed_size(); }  // bytes appended
  uint64_t stored_bytes() const { return stored_bytes_; }         // bytes in the file

 private:
  MappingsEncoder(Env* env, std::string path);

  Env* const env_;
  const std::string path_;
  std::unique_ptr<File> file_;  // a WatchedFile: reserves room and sums the CRC
  std::unique_ptr<ChunkedGzipWriter> writer_;
  MappingsValidator validator_{std::nullopt, std::nullopt};  // totals are meta.json's, later
  uint64_t stored_bytes_ = 0;
  uint32_t crc32_ = 0;
  bool is_sealed_ = false;
  Status seal_status_;
  EncodedMappings sealed_;               // its `durable` uses file_: waited for before file_ goes
  std::unique_ptr<IndexFeeder> feeder_;  // after sealed_: it goes first
};

}  // namespace scopefs::store
