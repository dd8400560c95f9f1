#include "store/s3/manifest.h"

#include <sys/random.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "store/key.h"
#include "store/layout.h"
#include "store/s3/sha256.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

constexpr std::string_view kStoredFiles[] = {store::kNodesFile,      store::kLinksFile,
                                             store::kMappingsGzFile, store::kMetaFile,
                                             store::kNodesIndexFile, store::kLinksIndexFile};
constexpr size_t kRequiredFiles = 4;  // the first four: every scope has them

bool IsLowerHex(std::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status Bad(const std::string& what) { return Status::Corruption("manifest: " + what); }

}  // namespace

std::string SerializeManifest(const Manifest& m) {
  nlohmann::json objects = nlohmann::json::array();
  for (const ManifestObject& o : m.objects) {
    objects.push_back({{"name", o.name}, {"size", o.size}, {"sha256", o.sha256}});
  }
  nlohmann::json j = {{"format", kManifestFormat},      {"key", m.key},
                      {"publish_id", m.publish_id},     {"publisher", m.publisher},
                      {"published_ns", m.published_ns}, {"objects", objects}};
  return j.dump(1) + "\n";
}

Result<Manifest> ParseManifest(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Bad("not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != kManifestFormat) {
    return Bad("format is not " + std::to_string(kManifestFormat));
  }
  auto string_field = [&](const char* name) -> Result<std::string> {
    if (!j.contains(name) || !j[name].is_string()) return Bad(std::string(name) + " is missing");
    return j[name].get<std::string>();
  };
  Manifest m;
  ASSIGN_OR_RETURN(m.key, string_field("key"));
  if (Status st = store::ValidateKey(m.key); !st.ok()) return Bad("key: " + st.message());
  ASSIGN_OR_RETURN(m.publish_id, string_field("publish_id"));
  if (!IsLowerHex(m.publish_id, 16, 64)) return Bad("publish_id is not 16 to 64 hex digits");
  ASSIGN_OR_RETURN(m.publisher, string_field("publisher"));
  if (!j.contains("published_ns") || !j["published_ns"].is_number_integer()) {
    return Bad("published_ns is missing");
  }
  m.published_ns = j["published_ns"].get<int64_t>();
  if (!j.contains("objects") || !j["objects"].is_array()) return Bad("objects is missing");
  std::set<std::string> seen;
  for (const nlohmann::json& o : j["objects"]) {
    if (!o.is_object() || !o.contains("name") || !o["name"].is_string() || !o.contains("size") ||
        !o["size"].is_number_unsigned() || !o.contains("sha256") || !o["sha256"].is_string()) {
      return Bad("an object lacks its name, size or sha256");
    }
    ManifestObject object{o["name"].get<std::string>(), o["size"].get<uint64_t>(),
                          o["sha256"].get<std::string>()};
    if (std::find(std::begin(kStoredFiles), std::end(kStoredFiles), object.name) ==
        std::end(kStoredFiles)) {
      return Bad("object \"" + store::Printable(object.name) + "\" is not a stored file");
    }
    if (!seen.insert(object.name).second) return Bad("object " + object.name + " is listed twice");
    if (!IsLowerHex(object.sha256, 64, 64))
      return Bad(object.name + ": sha256 is not 64 hex digits");
    m.objects.push_back(std::move(object));
  }
  for (size_t i = 0; i < kRequiredFiles; ++i) {
    if (!seen.count(std::string(kStoredFiles[i]))) {
      return Bad(std::string(kStoredFiles[i]) + " is missing");
    }
  }
  return m;
}

std::string NewPublishId() {
  char bytes[16] = {};
  // Blocks only before the kernel's pool is seeded, at boot; 16 bytes never come short.
  while (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
  }
  return HexEncode(std::string_view(bytes, sizeof bytes));
}

BucketLayout::BucketLayout(std::string prefix)
    : root_(prefix.empty() ? std::string() : std::move(prefix) + "/") {}

std::string BucketLayout::Manifest(std::string_view key) const {
  return ManifestsPrefix() + std::string(key) + ".json";
}

std::string BucketLayout::ManifestsPrefix() const { return root_ + "scopes/"; }

std::string BucketLayout::Object(std::string_view key, std::string_view publish_id,
                                 std::string_view name) const {
  return ObjectsPrefix(key) + std::string(publish_id) + "/" + std::string(name);
}

std::string BucketLayout::ObjectsPrefix(std::string_view key) const {
  return root_ + "objects/" + std::string(key) + "/";
}

std::string BucketLayout::Lease(std::string_view key) const {
  return root_ + "leases/" + std::string(key) + ".json";
}

}  // namespace scopefs::s3
