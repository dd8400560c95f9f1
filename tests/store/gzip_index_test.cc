#include "store/gzip_index.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scopefs::store {
namespace {

// A valid index: `sizes` are the members' compressed sizes.
GzipIndex MakeIndex(uint64_t chunk, uint64_t uncompressed, const std::vector<uint64_t>& sizes) {
  GzipIndex index;
  index.chunk_size = chunk;
  index.uncompressed_size = uncompressed;
  uint64_t c = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    index.members.push_back({c, i * chunk});
    c += sizes[i];
  }
  index.compressed_size = c;
  return index;
}

void ExpectCorrupt(const nlohmann::json& json, const std::string& needle) {
  Result<GzipIndex> parsed = GzipIndexFromJson(json);
  ASSERT_FALSE(parsed.ok()) << json.dump();
  EXPECT_EQ(parsed.status().code(), Status::Code::kCorruption);
  EXPECT_NE(parsed.status().message().find(needle), std::string::npos)
      << parsed.status().message() << " lacks " << needle;
}

TEST(GzipIndexTest, JsonRoundTrip) {
  GzipIndex index = MakeIndex(100, 250, {40, 50, 30});
  nlohmann::json json = GzipIndexToJson(index);
  EXPECT_EQ(json.dump(),
            R"({"chunk_size":100,"compressed_size":120,"members":[[0,0],[40,100],[90,200]],)"
            R"("uncompressed_size":250})");
  Result<GzipIndex> parsed = GzipIndexFromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->chunk_size, 100u);
  EXPECT_EQ(parsed->uncompressed_size, 250u);
  EXPECT_EQ(parsed->compressed_size, 120u);
  ASSERT_EQ(parsed->members.size(), 3u);
  EXPECT_EQ(parsed->members[2].compressed_offset, 90u);
  EXPECT_EQ(parsed->members[2].uncompressed_offset, 200u);
}

TEST(GzipIndexTest, MemberSizesAndLookup) {
  GzipIndex index = MakeIndex(100, 250, {40, 50, 30});
  EXPECT_EQ(index.MemberUncompressedSize(0), 100u);
  EXPECT_EQ(index.MemberUncompressedSize(2), 50u);
  EXPECT_EQ(index.MemberCompressedSize(1), 50u);
  EXPECT_EQ(index.MemberCompressedSize(2), 30u);
  EXPECT_EQ(index.MemberFor(0), 0u);
  EXPECT_EQ(index.MemberFor(99), 0u);
  EXPECT_EQ(index.MemberFor(100), 1u);
  EXPECT_EQ(index.MemberFor(249), 2u);
}

TEST(GzipIndexTest, EmptyStreamHasOneMember) {
  EXPECT_TRUE(ValidateGzipIndex(MakeIndex(100, 0, {20})).ok());
  EXPECT_FALSE(ValidateGzipIndex(MakeIndex(100, 0, {})).ok());
  EXPECT_FALSE(ValidateGzipIndex(MakeIndex(100, 0, {20, 20})).ok());
}

TEST(GzipIndexTest, ExactMultipleOfChunkHasNoEmptyTail) {
  EXPECT_TRUE(ValidateGzipIndex(MakeIndex(100, 200, {30, 30})).ok());
  EXPECT_FALSE(ValidateGzipIndex(MakeIndex(100, 200, {30, 30, 20})).ok());
  EXPECT_FALSE(ValidateGzipIndex(MakeIndex(100, 201, {30, 30})).ok());
}

TEST(GzipIndexTest, RejectsBadShapes) {
  ExpectCorrupt(nlohmann::json::array(), "not a JSON object");
  nlohmann::json good = GzipIndexToJson(MakeIndex(100, 250, {40, 50, 30}));

  nlohmann::json j = good;
  j.erase("chunk_size");
  ExpectCorrupt(j, "missing \"chunk_size\"");
  j = good;
  j["uncompressed_size"] = -250;
  ExpectCorrupt(j, "\"uncompressed_size\" is not an unsigned integer");
  j = good;
  j["compressed_size"] = 120.5;
  ExpectCorrupt(j, "\"compressed_size\" is not an unsigned integer");
  j = good;
  j["chunk_size"] = "100";
  ExpectCorrupt(j, "\"chunk_size\" is not an unsigned integer");
  j = good;
  j["members"] = nlohmann::json::object();
  ExpectCorrupt(j, "\"members\" is not an array");
  j = good;
  j["members"][1] = nlohmann::json::array({40});
  ExpectCorrupt(j, "member 1 is not a pair");
  j = good;
  j["members"][1][0] = -1;
  ExpectCorrupt(j, "member 1 is not a pair");
}

TEST(GzipIndexTest, RejectsInconsistentOffsets) {
  nlohmann::json good = GzipIndexToJson(MakeIndex(100, 250, {40, 50, 30}));

  nlohmann::json j = good;
  j["chunk_size"] = 0;
  ExpectCorrupt(j, "chunk_size 0 is out of range");
  j = good;
  j["chunk_size"] = kMaxGzipChunkSize + 1;
  ExpectCorrupt(j, "out of range");
  j = good;
  j["members"][0] = nlohmann::json::array({5, 0});
  ExpectCorrupt(j, "member 0 starts at compressed offset 5");
  j = good;
  j["members"][1][1] = 99;  // member 0 would hold less than a chunk
  ExpectCorrupt(j, "member 1 starts at uncompressed offset 99, expected 100");
  j = good;
  j["members"][2][0] = 40;  // not strictly increasing
  ExpectCorrupt(j, "member 1 at compressed offset 40 has an impossible compressed size");
  j = good;
  j["members"][2][0] = 30;  // going backwards
  ExpectCorrupt(j, "member 1");
  j = good;
  j["compressed_size"] = 95;  // the last member would be 5 bytes
  ExpectCorrupt(j, "member 2 at compressed offset 90 has an impossible compressed size");
  j = good;
  j["compressed_size"] = 1u << 30;  // far more than a 100-byte chunk can deflate to
  ExpectCorrupt(j, "member 2");
  j = good;
  j["uncompressed_size"] = 301;
  ExpectCorrupt(j, "3 members for 301 bytes in chunks of 100; expected 4");
  j = good;
  j["members"].erase(2);
  ExpectCorrupt(j, "2 members for 250 bytes");
}

}  // namespace
}  // namespace scopefs::store
