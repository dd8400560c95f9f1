#include "store/scope_record.h"

#include <gtest/gtest.h>

namespace scopefs::store {
namespace {

ScopeRecord Sample() {
  ScopeRecord r;
  r.key = "k1";
  r.created_ns = 1'700'000'000'123'456'789;
  r.total_nodes = 100;
  r.total_links = 9;
  r.config_attributes = {{"region", "eu"}, {"ratio", 0.1}};
  r.extra = {{"note", "h\xc3\xa9llo"}};
  r.nodes = {13, 0xdeadbeef, 5};
  r.links = {2, 7, 6};
  r.mappings = {120, 99, 7};
  r.meta_mtime_ns = 8;
  r.mappings_index.chunk_size = 1 << 20;
  r.mappings_index.uncompressed_size = 300;
  r.mappings_index.compressed_size = 120;
  r.mappings_index.members = {{0, 0}};
  return r;
}

TEST(ScopeRecordTest, RoundTrips) {
  std::string text = SerializeRecord(Sample());
  Result<ScopeRecord> r = ParseRecord(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(SerializeRecord(*r), text);
  EXPECT_EQ(r->stored_bytes(), 13u + 2u + 120u);
}

TEST(ScopeRecordTest, EveryFlippedBitIsDetected) {
  const std::string text = SerializeRecord(Sample());
  for (size_t i = 0; i + 1 < text.size(); ++i) {  // the final newline is not covered
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = text;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      Result<ScopeRecord> r = ParseRecord(bad);
      if (r.ok()) {
        // Whitespace-only changes outside the record can still parse to the same record.
        ASSERT_EQ(SerializeRecord(*r), text) << "byte " << i << " bit " << bit;
      } else {
        ASSERT_EQ(r.status().code(), Status::Code::kCorruption);
      }
    }
  }
}

TEST(ScopeRecordTest, UserMetaHasTheOldKeysAndTheUsersOwn) {
  nlohmann::json meta = UserMeta(Sample(), "k1", 1'700'000'100'000'000'000);
  EXPECT_EQ(meta["scope_key"], "k1");
  EXPECT_EQ(meta["created_at"], "2023-11-14T22:13:20.123456+00:00");
  EXPECT_EQ(meta["last_accessed"], "2023-11-14T22:15:00.000000+00:00");
  EXPECT_EQ(meta["nodes_file_size"], 13);
  EXPECT_EQ(meta["mappings_file_size"], 120);
  EXPECT_EQ(meta["mappings_size"], 300);
  EXPECT_EQ(meta["total_links"], 9);
  EXPECT_EQ(meta["note"], "h\xc3\xa9llo");
  EXPECT_EQ(meta["config_attributes"]["region"], "eu");
}

TEST(ScopeRecordTest, BitsFileSizeRoundsUp) {
  EXPECT_EQ(BitsFileSize(0), 0u);
  EXPECT_EQ(BitsFileSize(1), 1u);
  EXPECT_EQ(BitsFileSize(8), 1u);
  EXPECT_EQ(BitsFileSize(9), 2u);
  EXPECT_EQ(BitsFileSize(100), 13u);
}

}  // namespace
}  // namespace scopefs::store
