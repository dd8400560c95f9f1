// Commit: turns a pending scope's files into a committed scope, atomically.
//
// Reads pending/<key>/ (nodes.bits, links.bits, meta.json, and exactly one of
// mappings.json / mappings.json.gz), validates them as SPEC "Commit" says,
// and assembles staging/<key>/: the bits files copied with their CRC-32, the
// mappings as a multi-member gzip, the mapping index files, and the record. Mappings encoded as
// they were written (mappings_encoder.h) are moved in as they are; others are encoded now,
// validated in the same streaming pass, so memory stays bounded. Every file and the staging
// directory are fsynced; then one rename moves staging/<key> to scopes/<key> and scopes/ is
// fsynced. A crash before that rename leaves only leftovers that recovery removes; after it, the
// scope is complete. The pending files are removed last, and are left untouched when validation
// fails, so the user can fix the wrong one.
//
// Thread-safety: one commit per key at a time (the Store serializes them).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "store/chunked_gzip_writer.h"
#include "store/clock.h"
#include "store/env.h"
#include "store/layout.h"
#include "store/mappings_encoder.h"
#include "store/scope_record.h"

namespace scopefs::store {

struct CommitOptions {
  ChunkedGzipOptions codec;
  // Mappings inflating past this are refused (a gzip bomb), while streaming.
  uint64_t max_mappings_size = uint64_t{64} << 30;
  // Times users set on pending files, by file name, kept and shown after commit.
  std::map<std::string, int64_t> mtimes_ns;
  // The scope's creation time, when the user set it; else the clock's now.
  std::optional<int64_t> created_ns;
  // Called before a staged data file (bits, mappings, index) or an index
  // builder's scratch file grows by `bytes`, so the cache can evict to make
  // room for the copy before it exists (may be empty). Called by one thread
  // at a time (the commit serializes: the two index files are written at
  // once, and an IndexFeeder's thread spills while mappings are encoded).
  std::function<void(uint64_t bytes)> make_room;
  // Write nodes.idx and links.idx (mapping_index.h) beside the mappings.
  bool build_index = true;
  // The pending mappings.json as encoded while it was written (sealed); unset
  // when the commit must read and encode the pending file itself.
  std::optional<EncodedMappings> encoded_mappings;
};

// What a pending scope still lacks, e.g. "links.bits, meta.json"; empty when
// every required file is there. Also Invalid when both mappings files exist.
Result<std::string> MissingPendingFiles(Env* env, const Layout& layout, const std::string& key);

// Step 1, slow (reads and compresses everything): validates pending/<key> and
// assembles staging/<key>, every byte fsynced. NotFound ("waiting for: ...")
// when a file is missing; Invalid with a one-line reason (fit for `.status`)
// when the files are wrong; I/O errors as they come. On any
// failure staging/<key> is removed and pending/<key> is untouched.
Result<ScopeRecord> StagePendingScope(Env* env, const Layout& layout, const std::string& key,
                                      const Clock& clock, const CommitOptions& options);

// Step 2, fast: renames staging/<key> to scopes/<key> and fsyncs both parents.
// Exists when scopes/<key> is taken. After OK the scope survives a crash.
// On failure staging/<key> is left for the caller to discard.
Status PublishStagedScope(Env* env, const Layout& layout, const std::string& key);

// After a failed publish: moves the encoded mappings the staging took back to
// where they were encoded, so the pending scope still has them. Best effort, logged.
void ReclaimEncodedMappings(Env* env, const Layout& layout, const std::string& key,
                            const EncodedMappings& encoded);

// Removes staging/<key> instead of publishing it (its scope went away
// meanwhile). Failures are logged: recovery removes what is left.
void DiscardStagedScope(Env* env, const Layout& layout, const std::string& key);

// Step 3: removes pending/<key>, now redundant. Failures are logged, not
// returned: the scope is committed, and recovery removes what is left.
void DiscardPendingFiles(Env* env, const Layout& layout, const std::string& key);

}  // namespace scopefs::store
