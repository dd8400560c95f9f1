// ObjectListing: one page of a ListObjectsV2 answer, and its parser.
//
// Thread-safety: values and a pure function.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace scopefs::s3 {

struct ObjectSummary {
  std::string key;
  uint64_t size = 0;
  std::chrono::system_clock::time_point last_modified;  // second precision
  std::string etag;                                     // without its quotes
};

struct ObjectListing {
  std::vector<ObjectSummary> objects;  // in key order, as S3 lists them
  // Non-empty when there are more keys: pass it to the next ListObjectsV2.
  std::string next_continuation_token;
};

// Parses a ListBucketResult. Corruption if it is not one, or if an entry lacks
// its Key or has a Size or LastModified that does not parse.
store::Result<ObjectListing> ParseListObjectsV2(std::string_view xml);

// "2009-10-12T17:50:30.000Z" (ISO 8601 in UTC, fraction optional).
store::Result<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

}  // namespace scopefs::s3
