// The tier's manifest: what SerializeManifest writes parses back the same,
// and anything else a server could hand back is refused, naming the fault.
#include "store/s3/manifest.h"

#include <gtest/gtest.h>

#include <set>

namespace scopefs::s3 {
namespace {

Manifest Example() {
  Manifest m;
  m.key = "scope-123";
  m.publish_id = NewPublishId();
  m.publisher = "host-a";
  m.published_ns = 1'764'000'000'000'000'000;
  for (const char* name :
       {"nodes.bits", "links.bits", "mappings.json.gz", "meta.json", "nodes.idx", "links.idx"}) {
    m.objects.push_back({name, 1234, std::string(64, 'a')});
  }
  return m;
}

TEST(ManifestTest, RoundTrips) {
  const Manifest m = Example();
  store::Result<Manifest> back = ParseManifest(SerializeManifest(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(ManifestTest, PublishIdsAreFreshHex) {
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(NewPublishId());
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(ids.begin()->size(), 32u);
  EXPECT_EQ(ids.begin()->find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ManifestTest, RefusesWhatItDoesNotWrite) {
  const std::string good = SerializeManifest(Example());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {with("\"format\": 1", "\"format\": 2"), "format is not 1"},
      {with("\"key\": \"scope-123\"", "\"key\": \"../etc\""), "key:"},
      {with("\"key\": \"scope-123\"", "\"key\": 7"), "key is missing"},
      {with("\"publish_id\": \"", "\"publish_id\": \"X"), "publish_id"},
      {with("\"name\": \"links.idx\"", "\"name\": \"../../x\""), "is not a stored file"},
      {with("\"name\": \"links.idx\"", "\"name\": \"nodes.idx\""), "listed twice"},
      {with("\"name\": \"meta.json\"", "\"name\": \"links.idx\""), "listed twice"},
      {with("\"size\": 1234", "\"size\": -1"), "lacks its name, size or sha256"},
      {with(std::string(64, 'a'), std::string(63, 'a')), "sha256 is not 64 hex digits"},
  };
  for (const auto& [text, why] : cases) {
    store::Result<Manifest> m = ParseManifest(text);
    ASSERT_FALSE(m.ok()) << text;
    EXPECT_EQ(m.status().code(), store::Status::Code::kCorruption);
    EXPECT_NE(m.status().message().find(why), std::string::npos) << m.status().message();
  }
  // The four files every scope has must be there; the index files need not be.
  Manifest m = Example();
  m.objects.resize(4);
  EXPECT_TRUE(ParseManifest(SerializeManifest(m)).ok());
  m.objects.resize(3);
  store::Result<Manifest> missing = ParseManifest(SerializeManifest(m));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("meta.json is missing"), std::string::npos);
}

TEST(ManifestTest, BucketKeys) {
  BucketLayout none("");
  EXPECT_EQ(none.Manifest("k"), "scopes/k.json");
  EXPECT_EQ(none.Object("k", "ab", "nodes.bits"), "objects/k/ab/nodes.bits");
  EXPECT_EQ(none.Lease("k"), "leases/k.json");
  BucketLayout team("team/x");
  EXPECT_EQ(team.ManifestsPrefix(), "team/x/scopes/");
  EXPECT_EQ(team.Manifest("k"), "team/x/scopes/k.json");
  EXPECT_EQ(team.ObjectsPrefix("k"), "team/x/objects/k/");
  EXPECT_EQ(team.Object("k", "ab", "links.bits"), "team/x/objects/k/ab/links.bits");
}

}  // namespace
}  // namespace scopefs::s3
