// FileDigest: the size and SHA-256 of a file as it is on disk, read through
// the store's Env: what Publish puts in a manifest and what Fetch checks a
// downloaded object against.
//
// Thread-safety: a pure function of the file (File::ReadAt may run
// concurrently).
#pragma once

#include <cstdint>
#include <string>

#include "store/env.h"
#include "store/status.h"

namespace scopefs::s3 {

struct FileDigest {
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

// Reads `file` from its start to its end.
store::Result<FileDigest> DigestFile(const store::File& file);

}  // namespace scopefs::s3
