// The mapping index (store/mapping_index.h): exact lookups built from the
// validator's decoded ids, the last duplicate winning, the same bytes whether
// the entries were sorted in memory or spilled, and damage always detected.
#include "store/mapping_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <random>

#include "store/crc32.h"
#include "store/mappings_validator.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::MemEnv;

// An id of `prefix` and 4 more bytes, chosen so its CRC-32 is `target`
// (CRC-32 is linear: the 4 bytes follow from running the CRC backwards).
std::string ForgeId(std::string prefix, uint32_t target) {
  uint32_t table[256];
  uint8_t top[256];
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
    table[i] = c;
    top[c >> 24] = static_cast<uint8_t>(i);
  }
  uint8_t index[4];
  uint32_t reg = ~target;
  for (int k = 3; k >= 0; --k) {
    index[k] = top[reg >> 24];
    reg = (reg ^ table[index[k]]) << 8;
  }
  uint32_t state = ~IndexHash(prefix);
  for (int k = 0; k < 4; ++k) {
    prefix += static_cast<char>((state ^ index[k]) & 0xff);
    state = (state >> 8) ^ table[index[k]];
  }
  return prefix;
}

// The index file as FORMAT.md describes it, written the plain way: every
// entry in memory, std::map for the order and the last-wins rule.
std::string ReferenceIndex(const std::vector<std::pair<std::string, uint64_t>>& entries,
                           uint64_t total) {
  std::map<std::pair<uint32_t, std::string>, uint64_t> by_key;
  for (const auto& [id, value] : entries) by_key[{IndexHash(id), id}] = value;
  const uint64_t count = by_key.size();
  const int bits = std::clamp(static_cast<int>(std::bit_width(entries.size())) - 3, 0, 24);
  uint64_t blob = 0;
  for (const auto& [key, value] : by_key) blob += key.second.size();
  const int vw = total <= (uint64_t{1} << 32) ? 4 : 8, ow = blob < (uint64_t{1} << 32) ? 4 : 8;
  const int pw = count < (uint64_t{1} << 32) ? 4 : 8;
  auto put = [](std::string& out, uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out += static_cast<char>(v >> (8 * i));
  };
  std::string sections[6];
  std::vector<uint64_t> fanout((size_t{1} << bits) + 1, 0);
  std::vector<std::pair<uint64_t, uint64_t>> by_value;
  uint64_t entry = 0, at = 0;
  for (const auto& [key, value] : by_key) {
    ++fanout[(uint64_t{key.first} >> (32 - bits)) + 1];
    put(sections[1], key.first, 4);
    put(sections[2], value, vw);
    put(sections[3], at, ow);
    sections[4] += key.second;
    at += key.second.size();
    by_value.emplace_back(value, entry++);
  }
  put(sections[3], at, ow);
  for (size_t b = 1; b < fanout.size(); ++b) fanout[b] += fanout[b - 1];
  for (uint64_t f : fanout) put(sections[0], f, 8);
  std::sort(by_value.begin(), by_value.end());
  for (const auto& [value, e] : by_value) put(sections[5], e, pw);
  std::string file(64 + 6 * 24, '\0');
  std::memcpy(file.data(), "SCOPEIDX", 8);
  std::string head;
  put(head, 1, 4);
  put(head, 1, 4);
  put(head, count, 8);
  put(head, total, 8);
  for (int w : {vw, ow, pw, bits}) head += static_cast<char>(w);
  put(head, 6, 4);
  std::memcpy(file.data() + 8, head.data(), head.size());
  for (int s = 0; s < 6; ++s) {
    file.resize((file.size() + 7) & ~size_t{7}, '\0');
    std::string e;
    put(e, file.size(), 8);
    put(e, sections[s].size(), 8);
    put(e, Crc32(sections[s]), 4);
    std::memcpy(file.data() + 64 + 24 * s, e.data(), e.size());
    file += sections[s];
  }
  const uint32_t crc = Crc32Update(Crc32(std::string_view(file.data(), 60)),
                                   std::string_view(file.data() + 64, 6 * 24));
  std::string c;
  put(c, crc, 4);
  std::memcpy(file.data() + 60, c.data(), 4);
  return file;
}

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
      // The CRC combined from the pieces is the CRC of the bytes written.
      EXPECT_EQ(builder.file_crc32(), Crc32(bytes));
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

TEST_F(MappingIndexTest, HashIsZlibsCrc32AtEveryLengthAndAlignment) {
  std::mt19937 random(7);
  std::string bytes(300, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  for (size_t at = 0; at < 8; ++at) {
    for (size_t n = 0; n + at <= 200; ++n) {
      const std::string_view id(bytes.data() + at, n);
      ASSERT_EQ(IndexHash(id), Crc32(id)) << "length " << n << " at " << at;
    }
  }
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

TEST_F(MappingIndexTest, ForgedIdsCollide) {
  for (uint32_t target : {0u, 0x12345678u, 0xffffffffu}) {
    EXPECT_EQ(IndexHash(ForgeId("c1", target)), target);
    EXPECT_EQ(IndexHash(ForgeId("", target)), target);
  }
}

// Every memory budget gives the reference writer's bytes: all in memory, in
// buckets, buckets split again, and one hash too large for memory (forged
// collisions), with repeated ids far apart (so across spills) and ids that
// are prefixes of others.
TEST_F(MappingIndexTest, SameBytesAsTheReferenceWhateverTheMemory) {
  std::vector<std::pair<std::string, uint64_t>> entries;
  std::mt19937_64 rng(14);
  const uint64_t total = 40000;
  for (uint64_t i = 0; i < 30000; ++i) {
    entries.emplace_back("n:" + std::to_string(rng() % 25000), rng() % total);
  }
  for (int i = 0; i < 60; ++i)
    entries.emplace_back(ForgeId("c" + std::to_string(i), 0xabcd0123), i);
  for (int i = 0; i < 60; i += 7)
    entries.emplace_back(ForgeId("c" + std::to_string(i), 0xabcd0123), 9);
  entries.emplace_back("", 7);
  entries.emplace_back(std::string(3000, 'x'), 8);
  entries.emplace_back("a", 1);
  entries.emplace_back("ab", 2);
  entries.emplace_back("a", 3);  // the last "a" wins
  const std::string reference = ReferenceIndex(entries, total);
  for (size_t memory : {size_t{32} << 20, size_t{256} << 10, size_t{16} << 10, size_t{1} << 10}) {
    EXPECT_TRUE(Build(entries, total, memory) == reference) << "memory " << memory;
  }
}

TEST_F(MappingIndexTest, SameBytesAsTheReferenceForWideAndSkewedValues) {
  std::mt19937_64 rng(5);
  std::vector<std::pair<std::string, uint64_t>> wide, skewed, dense;
  for (uint64_t i = 0; i < 5000; ++i) {
    wide.emplace_back("w" + std::to_string(i), rng() % (uint64_t{1} << 40));
    skewed.emplace_back("s" + std::to_string(i), i % 3 == 0 ? 0 : rng() % 5000);
    dense.emplace_back("d" + std::to_string(i * 7919 % 5000), i);
  }
  for (size_t memory : {size_t{32} << 20, size_t{2} << 10}) {
    EXPECT_TRUE(Build(wide, uint64_t{1} << 40, memory) == ReferenceIndex(wide, uint64_t{1} << 40));
    EXPECT_TRUE(Build(skewed, 5000, memory) == ReferenceIndex(skewed, 5000));
    EXPECT_TRUE(Build(dense, 5000, memory) == ReferenceIndex(dense, 5000));
  }
}

TEST_F(MappingIndexTest, AValueNotBelowTheTotalIsRefused) {
  MappingIndexBuilder builder(&env_, "/scratch", 1024);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(builder.Add("id" + std::to_string(i), i).ok());
  auto out = env_.Open("/idx", OpenMode::kCreate).value();
  EXPECT_EQ(builder.Finish(*out, 100).status().code(), Status::Code::kInvalid);
}

// On a real file, each piece is handed to the disk as it is written
// (File::StartWriteback): a hint that must leave the bytes as they are.
TEST_F(MappingIndexTest, ARealFileGetsTheSameBytesWithItsWritebackHints) {
  std::vector<std::pair<std::string, uint64_t>> entries;
  for (uint64_t i = 0; i < 200000; ++i) entries.emplace_back("n:" + std::to_string(i * 7919), i);
  const std::string reference = ReferenceIndex(entries, 200000);
  scopefs::testing::TempDir dir;
  const std::string path = dir.path() + "/links.idx";
  {
    MappingIndexBuilder builder(PosixEnv(), path + ".scratch", size_t{256} << 10);
    for (const auto& [id, value] : entries) ASSERT_TRUE(builder.Add(id, value).ok());
    auto out = PosixEnv()->Open(path, OpenMode::kCreate).value();
    ASSERT_TRUE(builder.Finish(*out, 200000).ok());
    ASSERT_TRUE(out->Sync().ok());
  }
  auto in = PosixEnv()->Open(path, OpenMode::kRead).value();
  std::string bytes(in->Size().value(), '\0');
  ASSERT_EQ(in->ReadAt(0, bytes.data(), bytes.size()).value(), bytes.size());
  EXPECT_TRUE(bytes == reference);
  ASSERT_TRUE(PosixEnv()->Unlink(path).ok());
}

}  // namespace
}  // namespace scopefs::store
