// The mapping index (store/mapping_index.h): exact lookups built from the
// validator's decoded ids, the last duplicate winning, the same bytes whether
// the entries were sorted in memory or spilled, and damage always detected.
#include "store/mapping_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "store/mappings_validator.h"
#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

using testing::MemEnv;

class MappingIndexTest : public ::testing::Test {
 protected:
  // Builds an index of `entries` (in order) and returns its bytes.
  std::string Build(const std::vector<std::pair<std::string, uint64_t>>& entries, uint64_t total,
                    size_t memory = size_t{32} << 20) {
    const std::string path = "/idx" + std::to_string(next_++);
    std::string bytes;
    {
      MappingIndexBuilder builder(&env_, path + ".scratch", memory);
      for (const auto& [id, value] : entries) EXPECT_TRUE(builder.Add(id, value).ok());
      auto out = env_.Open(path, OpenMode::kCreate).value();
      Result<uint64_t> size = builder.Finish(*out, total);
      EXPECT_TRUE(size.ok()) << size.status().ToString();
      EXPECT_TRUE(CheckMappingIndex(*out, "idx").ok());
      bytes.resize(out->Size().value());
      EXPECT_EQ(out->ReadAt(0, bytes.data(), bytes.size()).value(), bytes.size());
      EXPECT_EQ(bytes.size(), size.ok() ? *size : 0);
    }
    EXPECT_EQ(env_.Tree("/").size(), 1u) << "scratch files left behind";
    EXPECT_TRUE(env_.Unlink(path).ok());
    return bytes;
  }

  std::optional<uint64_t> Look(const std::string& index, std::string_view id) {
    Result<std::optional<uint64_t>> v = LookUpIndex(index, id);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::nullopt;
  }

  MemEnv env_;
  int next_ = 0;
};

TEST_F(MappingIndexTest, HashTestVectorsMatchZlibCrc32) {
  // The same vectors as FORMAT.md and the Python package's tests.
  EXPECT_EQ(IndexHash(""), 0x00000000u);
  EXPECT_EQ(IndexHash("a"), 0xe8b7be43u);
  EXPECT_EQ(IndexHash("n:91b72265b1f5"), 0xc6994268u);
  EXPECT_EQ(IndexHash("\xc3\xa9"), 0x0e048d3eu);          // é
  EXPECT_EQ(IndexHash("\xf0\x9f\x98\x80"), 0x054db544u);  // 😀
}

TEST_F(MappingIndexTest, EveryIdIsFoundAndAbsentOnesAreNot) {
  std::vector<std::pair<std::string, uint64_t>> entries;
  std::map<std::string, uint64_t> expect;
  std::mt19937_64 rng(3);
  for (uint64_t i = 0; i < 20000; ++i) {
    std::string id = "n:" + std::to_string(rng() % 1000000000);
    entries.emplace_back(id, i);
    expect[id] = i;  // a repeated id: the last wins
  }
  entries.emplace_back("", 7);
  expect[""] = 7;
  entries.emplace_back(std::string(5000, 'x'), 8);
  expect[std::string(5000, 'x')] = 8;
  entries.emplace_back("a", 1);  // a prefix of...
  entries.emplace_back("ab", 2);
  expect["a"] = 1;
  expect["ab"] = 2;
  const std::string index = Build(entries, 20001);
  for (const auto& [id, value] : expect) ASSERT_EQ(Look(index, id), value) << id;
  for (const char* absent : {"n:", "zz", "n:-1", "abc", "A"})
    EXPECT_EQ(Look(index, absent), std::nullopt);
}

TEST_F(MappingIndexTest, SpilledRunsGiveTheSameBytesAsOneInMemory) {
  std::vector<std::pair<std::string, uint64_t>> entries;
  for (uint64_t i = 0; i < 5000; ++i)
    entries.emplace_back("id-" + std::to_string(i * 7919 % 5003), i);
  const std::string in_memory = Build(entries, 5000);
  const std::string spilled = Build(entries, 5000, 4096);  // dozens of runs
  EXPECT_TRUE(in_memory == spilled);
}

TEST_F(MappingIndexTest, AnEmptyMappingHasAValidIndex) {
  const std::string index = Build({}, 0);
  EXPECT_EQ(Look(index, ""), std::nullopt);
  EXPECT_EQ(Look(index, "a"), std::nullopt);
}

TEST_F(MappingIndexTest, IdsAreKeyedAsJsonLoadsDecodesThem) {
  // Escapes, \u sequences (a surrogate pair too), raw UTF-8, a duplicate.
  const std::string json =
      R"({"node_id_mapping": {"a\"b": 0, "tab\there": 1, "\u00e9": 2, "\ud83d\ude00": 3,)"
      R"( "é2": 4, "\/x\\": 5, "dup": 6, "": 7, "dup": 8, "\u0000z": 9},)"
      R"( "link_id_mapping": {}})";
  MappingIndexBuilder builder(&env_, "/scratch");
  MappingsValidator validator(10, 0);
  validator.SetEntrySink([&](int section, std::string_view id, uint64_t value) {
    EXPECT_EQ(section, 0);
    return builder.Add(id, value);
  });
  for (size_t i = 0; i < json.size(); i += 3) {  // fed in pieces that split escapes
    ASSERT_TRUE(validator.Feed(std::string_view(json).substr(i, 3)).ok());
  }
  ASSERT_TRUE(validator.Finish().ok());
  auto out = env_.Open("/idx", OpenMode::kCreate).value();
  ASSERT_TRUE(builder.Finish(*out, 10).ok());
  std::string index(out->Size().value(), '\0');
  ASSERT_TRUE(out->ReadAt(0, index.data(), index.size()).ok());
  EXPECT_EQ(Look(index, "a\"b"), 0u);
  EXPECT_EQ(Look(index, "tab\there"), 1u);
  EXPECT_EQ(Look(index, "\xc3\xa9"), 2u);
  EXPECT_EQ(Look(index, "\xf0\x9f\x98\x80"), 3u);
  EXPECT_EQ(Look(index,
                 "\xc3\xa9"
                 "2"),
            4u);
  EXPECT_EQ(Look(index, "/x\\"), 5u);
  EXPECT_EQ(Look(index, "dup"), 8u);
  EXPECT_EQ(Look(index, ""), 7u);
  EXPECT_EQ(Look(index, std::string("\0z", 2)), 9u);
  EXPECT_EQ(Look(index, "\\u00e9"), std::nullopt);  // never the escaped form
}

TEST_F(MappingIndexTest, EveryFlippedByteIsDetected) {
  std::vector<std::pair<std::string, uint64_t>> entries;
  for (uint64_t i = 0; i < 40; ++i) entries.emplace_back("k" + std::to_string(i), i);
  const std::string index = Build(entries, 40);
  // The fan-out section is 512 KiB of mostly zeros: sample it, cover the rest.
  for (size_t at = 0; at < index.size(); at += at < 256 || at > index.size() - 1024 ? 1 : 997) {
    std::string damaged = index;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    auto file = env_.Open("/d", OpenMode::kCreate).value();
    ASSERT_TRUE(file->WriteAt(0, damaged.data(), damaged.size()).ok());
    Status st = CheckMappingIndex(*file, "nodes.idx");
    ASSERT_EQ(st.code(), Status::Code::kCorruption) << "byte " << at;
    EXPECT_EQ(st.message().rfind("nodes.idx: ", 0), 0u) << st.message();
  }
  auto file = env_.Open("/d", OpenMode::kCreate).value();
  ASSERT_TRUE(file->WriteAt(0, index.data(), index.size() - 1).ok());
  EXPECT_EQ(CheckMappingIndex(*file, "nodes.idx").code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace scopefs::store
