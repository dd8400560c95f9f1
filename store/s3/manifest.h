// Manifest: what the shared tier holds of one scope, and where in the bucket
// (docs/SHARED.md). A publish uploads the scope's stored files under a
// publish id of its own, then the manifest, which names them with their sizes
// and SHA-256s, with If-None-Match: * (the first publisher of a key wins).
//
// A manifest comes from the network: ParseManifest accepts only what
// SerializeManifest writes (format 1, a valid key, each stored file at most
// once, the four a scope needs present, well-formed hashes) and refuses
// anything else with Corruption naming what is wrong.
// Thread-safety: the functions are pure; BucketLayout is immutable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace scopefs::s3 {

inline constexpr int kManifestFormat = 1;

struct ManifestObject {
  std::string name;  // a stored file's name: nodes.bits, mappings.json.gz, nodes.idx...
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
  bool operator==(const ManifestObject&) const = default;
};

struct Manifest {
  std::string key;
  std::string publish_id;  // names the objects of this publish (NewPublishId)
  std::string publisher;   // the host that published, for people
  int64_t published_ns = 0;
  std::vector<ManifestObject> objects;
  bool operator==(const Manifest&) const = default;
};

std::string SerializeManifest(const Manifest& manifest);
store::Result<Manifest> ParseManifest(std::string_view text);

// 16 random bytes in hex: two hosts publishing one key never share an object.
std::string NewPublishId();

// The bucket keys of a tier under `prefix` ("" or "team/scopes"; no slash at
// either end).
class BucketLayout {
 public:
  explicit BucketLayout(std::string prefix);
  std::string Manifest(std::string_view key) const;  // PREFIX/scopes/KEY.json
  std::string ManifestsPrefix() const;               // PREFIX/scopes/, for listing
  std::string Object(std::string_view key, std::string_view publish_id,
                     std::string_view name) const;  // PREFIX/objects/KEY/ID/NAME
  // PREFIX/objects/KEY/: the objects of every publish of KEY (a key has no '/').
  std::string ObjectsPrefix(std::string_view key) const;
  std::string Lease(std::string_view key) const;  // PREFIX/leases/KEY.json

 private:
  std::string root_;  // "PREFIX/" or ""
};

}  // namespace scopefs::s3
