// InflateGzipStream: streaming inflate of an arbitrary gzip file, for imports.
//
// Imported caches hold `mappings.json.gz` written by other tools (Python's gzip
// module, level 6): one member or several, with any header fields. This reads
// such a file in bounded pieces and hands the uncompressed bytes to a sink,
// typically a ChunkedGzipWriter plus a JSON validator, so importing a 1 GB
// mappings file never holds it in memory. A file that inflates past
// `max_output` (a gzip bomb) is refused as soon as it does.
//
// Thread-safety: a plain function; `in` is only read with File::ReadAt.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "store/env.h"
#include "store/status.h"

namespace scopefs::store {

// Inflates every member of the gzip file `in`, calling `sink` with consecutive
// pieces of the output (each at most 256 KiB, never empty). Returns:
//  - the sink's first error, unchanged (inflating stops there);
//  - Invalid with a one-line message for the user when the file is not gzip
//    (including an empty file), is truncated, fails its CRC or length check,
//    has bytes after its last member, or inflates to more than `max_output`;
//  - the File's error when reading fails.
Status InflateGzipStream(const File& in, uint64_t max_output,
                         const std::function<Status(std::string_view)>& sink);

}  // namespace scopefs::store
