#include "store/s3/object_listing.h"

#include <time.h>

#include <charconv>
#include <cstdio>
#include <optional>
#include <utility>

#include "store/s3/xml_scan.h"

namespace scopefs::s3 {

using store::Result;
using store::Status;

Result<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text) {
  // Y-M-DTh:m:s, then an optional fraction, then Z.
  struct tm tm = {};
  int consumed = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return Status::Corruption("not an ISO 8601 time: " + copy);
  }
  std::string_view rest = text.substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') rest.remove_prefix(1);
  }
  if (rest != "Z") return Status::Corruption("not a UTC ISO 8601 time: " + copy);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t seconds = timegm(&tm);
  if (seconds == static_cast<time_t>(-1)) return Status::Corruption("time out of range: " + copy);
  return std::chrono::system_clock::from_time_t(seconds);
}

Result<ObjectListing> ParseListObjectsV2(std::string_view xml) {
  if (XmlElements(xml, "ListBucketResult").empty()) {
    return Status::Corruption("ListObjectsV2: the answer is not a ListBucketResult");
  }
  ObjectListing listing;
  for (std::string_view contents : XmlElements(xml, "Contents")) {
    ObjectSummary object;
    std::optional<std::string> key = XmlText(contents, "Key");
    if (!key) return Status::Corruption("ListObjectsV2: an entry without a Key");
    object.key = std::move(*key);
    const std::optional<std::string> size = XmlText(contents, "Size");
    if (!size || std::from_chars(size->data(), size->data() + size->size(), object.size).ptr !=
                     size->data() + size->size()) {
      return Status::Corruption("ListObjectsV2: entry " + object.key + " has no valid Size");
    }
    if (const std::optional<std::string> modified = XmlText(contents, "LastModified")) {
      ASSIGN_OR_RETURN(object.last_modified, ParseIso8601(*modified));
    }
    if (std::optional<std::string> etag = XmlText(contents, "ETag")) {
      if (etag->size() >= 2 && etag->front() == '"' && etag->back() == '"') {
        *etag = etag->substr(1, etag->size() - 2);
      }
      object.etag = std::move(*etag);
    }
    listing.objects.push_back(std::move(object));
  }
  const std::optional<std::string> truncated = XmlText(xml, "IsTruncated");
  if (truncated && *truncated == "true") {
    std::optional<std::string> token = XmlText(xml, "NextContinuationToken");
    if (!token || token->empty()) {
      return Status::Corruption("ListObjectsV2: truncated without a NextContinuationToken");
    }
    listing.next_continuation_token = std::move(*token);
  }
  return listing;
}

}  // namespace scopefs::s3
