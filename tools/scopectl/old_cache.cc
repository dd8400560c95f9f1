#include "tools/scopectl/old_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "store/clock.h"
#include "store/env.h"
#include "store/key.h"
#include "store/scope_record.h"

namespace scopefs::tools {
namespace {

using store::Result;
using store::Status;

constexpr std::string_view kSuffixes[] = {"_nodes.bits", "_links.bits", "_mappings.json.gz"};
constexpr uint64_t kMaxMetadataBytes = uint64_t{256} << 20;

std::optional<uint64_t> Count(const nlohmann::json& entry, const char* name) {
  auto it = entry.find(name);
  if (it == entry.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return std::nullopt;
  return it->get<uint64_t>();
}

std::optional<int64_t> Time(const nlohmann::json& entry, const char* name) {
  auto it = entry.find(name);
  if (it == entry.end() || !it->is_string()) return std::nullopt;
  return store::ParseIsoTime(it->get<std::string>());
}

// Fills `e` from `meta` and the files; returns why it cannot be imported, or "".
std::string Describe(const std::string& dir, const nlohmann::json& meta, OldCacheEntry& e) {
  const std::string& key = e.source.key;
  if (Status st = store::ValidateKey(key); !st.ok()) return st.message();
  if (!meta.is_object()) return "its metadata is not a JSON object";
  const std::optional<uint64_t> nodes = Count(meta, "total_nodes");
  const std::optional<uint64_t> links = Count(meta, "total_links");
  if (!nodes || !links) return "total_nodes and total_links must be non-negative integers";
  const std::optional<int64_t> created = Time(meta, "created_at");
  if (!created) return "created_at is missing or not an ISO 8601 time";
  e.source.created_ns = *created;
  e.source.accessed_ns = Time(meta, "last_accessed").value_or(*created);
  nlohmann::json config = meta.value("config_attributes", nlohmann::json::object());
  if (!config.is_object()) return "config_attributes is not an object";
  e.source.meta = {{"total_nodes", *nodes}, {"total_links", *links}, {"config_attributes", config}};

  e.source.nodes_path = dir + "/" + key + std::string(kSuffixes[0]);
  e.source.links_path = dir + "/" + key + std::string(kSuffixes[1]);
  e.source.mappings_gz_path = dir + "/" + key + std::string(kSuffixes[2]);
  struct File {
    const std::string* path;
    std::optional<uint64_t> expected;  // the size it must have
    const char* why;                   // what says so
  };
  const File files[] = {
      {&e.source.nodes_path, store::BitsFileSize(*nodes), "total_nodes"},
      {&e.source.links_path, store::BitsFileSize(*links), "total_links"},
      {&e.source.mappings_gz_path, Count(meta, "mappings_file_size"), "mappings_file_size"},
  };
  for (const File& f : files) {
    struct stat st;
    const std::string name = f.path->substr(dir.size() + 1);
    if (::stat(f.path->c_str(), &st) != 0) return name + ": " + std::strerror(errno);
    if (!S_ISREG(st.st_mode)) return name + " is not a regular file";
    const auto size = static_cast<uint64_t>(st.st_size);
    e.bytes += size;
    if (f.expected && size != *f.expected) {
      return name + " is " + std::to_string(size) + " bytes, " + f.why + " needs " +
             std::to_string(*f.expected);
    }
  }
  return "";
}

}  // namespace

Result<std::vector<OldCacheEntry>> ReadOldCache(const std::string& dir) {
  const std::string path = dir + "/cache_metadata.json";
  ASSIGN_OR_RETURN(std::string text,
                   store::ReadFileToString(store::PosixEnv(), path, kMaxMetadataBytes));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Status::Invalid(path + " is not a JSON object of entries");

  std::vector<OldCacheEntry> entries;
  for (const auto& [key, meta] : doc.items()) {
    OldCacheEntry e;
    e.source.key = key;
    e.problem = Describe(dir, meta, e);
    entries.push_back(std::move(e));
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return a.source.accessed_ns < b.source.accessed_ns;
  });

  // Files of keys the metadata does not know: without bit counts they cannot be imported.
  std::set<std::string> strays;
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = file.path().filename().string();
    for (std::string_view suffix : kSuffixes) {
      if (name.size() > suffix.size() && name.ends_with(suffix)) {
        std::string key = name.substr(0, name.size() - suffix.size());
        if (!doc.contains(key)) strays.insert(std::move(key));
      }
    }
  }
  for (const std::string& key : strays) {
    OldCacheEntry e;
    e.source.key = key;
    e.problem = "files without an entry in cache_metadata.json (no bit counts)";
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace scopefs::tools
