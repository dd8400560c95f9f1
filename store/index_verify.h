// Checks a committed scope's index files against its mappings: that nodes.idx
// and links.idx say exactly what mappings.json decodes to (json.loads: the
// last of duplicate ids wins), not just that their CRCs hold.
//
// The check decodes the stored mappings once, feeds the entries to a fresh
// MappingIndexBuilder per index (as the commit did), writes the rebuilt files
// under `scratch_prefix` and compares them with the stored ones: every header
// field and every section's length and CRC (the stored file's CRCs were
// checked first, so they stand for its bytes). The format fixes every byte
// but the fan-out's size, the writer's choice: a stored fan-out of another
// size is checked against the hashes instead, so an index written by another
// version of the builder still verifies. Memory is bounded
// (the builders' sort buffers, a private member cache, 1 MiB buffers), and
// the scratch files are removed before it returns. Called by Store::Verify.
//
// Thread-safety: a plain function; the Files are only read, the scratch names are the caller's.
#pragma once

#include <string>

#include "store/env.h"
#include "store/scope.h"
#include "store/status.h"

namespace scopefs::store {

// OK if every index file the scope's record has matches its mappings, or it
// has none. Corruption naming the file ("scope K: nodes.idx does not match
// mappings.json: section values differ ...") or the mappings' own damage;
// NotFound for a stored file missing (Store::JudgeReadError judges both); the
// Env's error, never Corruption or NotFound, if scratch files cannot be
// written: that is no damage to the scope. Reads the whole mappings: call it
// after Scope::Verify has passed.
// REQUIRES: no other call uses `scratch_prefix` at the same time.
Status VerifyScopeIndexes(Env* env, const Scope& scope, const std::string& scratch_prefix);

}  // namespace scopefs::store
