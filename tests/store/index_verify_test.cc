// Verify checks each index file against the mappings it was built from
// (store/index_verify.h): through Store::Verify, as scopectl verify calls it.
#include "store/index_verify.h"

#include <gtest/gtest.h>

#include "store/crc32.h"
#include "store/mapping_index.h"
#include "store/scope_record.h"
#include "store/store.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::MakeScopeFiles;
using testing::MemEnv;
using testing::ScopeFiles;

class IndexVerifyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore(bool build_index = true) {
    StoreOptions options;
    options.commit.codec.chunk_size = 4096;
    options.commit.build_index = build_index;
    options.encode_mappings_as_written = build_index;
    Result<std::unique_ptr<Store>> store = Store::Open(&env_, "/store", options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  void Commit(Store& store, const std::string& key, const ScopeFiles& files) {
    Result<std::shared_ptr<PendingScope>> pending = store.CreatePending(key);
    ASSERT_TRUE(pending.ok()) << pending.status().ToString();
    ASSERT_TRUE(testing::WriteScopeFiles(**pending, files).ok());
    Result<std::shared_ptr<Scope>> scope = store.Commit(key);
    ASSERT_TRUE(scope.ok()) << key << ": " << scope.status().ToString();
  }

  // An index of `entries` (total `total`), as the builder writes it.
  std::string BuildIndex(const std::vector<std::pair<std::string, uint64_t>>& entries,
                         uint64_t total) {
    MappingIndexBuilder builder(&env_, "/replacement");
    for (const auto& [id, value] : entries) EXPECT_TRUE(builder.Add(id, value).ok());
    auto out = env_.Open("/replacement.idx", OpenMode::kCreate).value();
    std::string bytes(builder.Finish(*out, total).value(), '\0');
    EXPECT_EQ(out->ReadAt(0, bytes.data(), bytes.size()).value(), bytes.size());
    return bytes;
  }

  // Replaces scopes/<key>/nodes.idx with an index of `entries` (total `total`),
  // and its size and CRC in the record, so that every byte check passes.
  void ReplaceNodesIndex(const std::string& key,
                         const std::vector<std::pair<std::string, uint64_t>>& entries,
                         uint64_t total) {
    ReplaceNodesIndexBytes(key, BuildIndex(entries, total));
  }
  void ReplaceNodesIndexBytes(const std::string& key, const std::string& bytes) {
    const std::string dir = "/store/scopes/" + key;
    auto out = env_.Open(dir + "/nodes.idx", OpenMode::kCreate).value();
    ASSERT_TRUE(out->WriteAt(0, bytes.data(), bytes.size()).ok());
    ScopeRecord r =
        ParseRecord(ReadFileToString(&env_, dir + "/meta.json", 1 << 20).value()).value();
    ASSERT_TRUE(r.nodes_idx);
    r.nodes_idx->size = bytes.size();
    r.nodes_idx->crc32 = Crc32(bytes);
    const std::string record = SerializeRecord(r);
    auto meta = env_.Open(dir + "/meta.json", OpenMode::kCreate).value();
    ASSERT_TRUE(meta->WriteAt(0, record.data(), record.size()).ok());
  }

  MemEnv env_;
};

// The entries of MakeScopeFiles(n, ...)'s node mapping.
std::vector<std::pair<std::string, uint64_t>> Nodes(uint64_t n, uint32_t seed = 1) {
  std::vector<std::pair<std::string, uint64_t>> entries;
  for (uint64_t i = 0; i < n; ++i)
    entries.emplace_back("n" + std::to_string(i) + "-" + std::to_string(seed), i);
  return entries;
}

TEST_F(IndexVerifyTest, IndexesThatMatchTheirMappingsVerify) {
  auto store = OpenStore();
  Commit(*store, "plain", MakeScopeFiles(300, 500));
  ScopeFiles odd = MakeScopeFiles(4, 0);
  // Duplicates (the last wins), escapes, a surrogate pair, an empty id.
  odd.mappings_json = R"({"link_id_mapping":{},"node_id_mapping":{"a":0,"b":1,"a":3,"\u00e9":2,)"
                      R"("\ud83d\ude00":1,"":0,"b":2,"\"q\"":3}})";
  Commit(*store, "odd", odd);
  Commit(*store, "empty", MakeScopeFiles(0, 0));
  for (const char* key : {"plain", "odd", "empty"}) {
    ASSERT_TRUE(store->Find(key)->record().nodes_idx) << key;
    Status st = store->Verify(key);
    EXPECT_TRUE(st.ok()) << key << ": " << st.ToString();
  }
  EXPECT_EQ(env_.Tree("/store/encoding"), std::vector<std::string>{}) << "scratch left behind";
  EXPECT_EQ(store->counters().quarantined, 0u);
}

TEST_F(IndexVerifyTest, ScopesWithoutIndexesVerify) {
  {
    auto store = OpenStore(/*build_index=*/false);
    Commit(*store, "noindex", MakeScopeFiles(100, 100));
    ASSERT_FALSE(store->Find("noindex")->record().nodes_idx);
  }
  auto store = OpenStore();
  EXPECT_TRUE(store->Verify("noindex").ok());
}

TEST_F(IndexVerifyTest, AnIndexThatSaysOtherwiseIsDamageAndQuarantined) {
  {
    auto store = OpenStore();
    for (const char* key : {"good", "value", "extra"}) {
      Commit(*store, key, MakeScopeFiles(50, 50));
    }
    ScopeFiles dup = MakeScopeFiles(3, 3);
    dup.mappings_json =
        R"({"node_id_mapping":{"x":0,"y":1,"x":2},"link_id_mapping":{"l0":0,"l1":1,"l2":2}})";
    Commit(*store, "first", dup);
  }
  auto changed = Nodes(50);
  changed[7].second = 8;
  ReplaceNodesIndex("value", changed, 50);
  auto more = Nodes(50);
  more.emplace_back("n50-1", 3);
  ReplaceNodesIndex("extra", more, 50);
  ReplaceNodesIndex("first", {{"x", 0}, {"y", 1}}, 3);  // as if the first "x" had won

  auto store = OpenStore();  // the record's sizes and CRCs hold: it loads them all
  std::vector<std::string> removed;
  store->SetRemovalListener([&](const std::string& key) { removed.push_back(key); });
  ::testing::internal::CaptureStderr();
  const std::pair<const char*, const char*> cases[] = {
      {"value", "nodes.idx does not match mappings.json: section values"},
      {"extra", "nodes.idx does not match mappings.json: count, "},
      {"first", "nodes.idx does not match mappings.json: section values"}};
  for (auto [key, message] : cases) {
    Status st = store->Verify(key);
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << key << ": " << st.ToString();
    EXPECT_NE(st.message().find(std::string("scope ") + key + ": " + message), std::string::npos)
        << st.message();
    EXPECT_FALSE(store->Find(key)) << key << " is still served";
  }
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(removed, (std::vector<std::string>{"value", "extra", "first"}));
  EXPECT_EQ(store->counters().quarantined, 3u);
  EXPECT_TRUE(store->Verify("good").ok());
  EXPECT_EQ(env_.Tree("/store/encoding"), std::vector<std::string>{});
}

// FORMAT.md: every CRC the section table names recomputed, then the header's.
std::string WithFixedCrcs(std::string b) {
  auto get = [&](size_t at) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    return v;
  };
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (size_t s = 0; s < 6; ++s) {
    const size_t e = 64 + 24 * s;
    put32(e + 16, Crc32(std::string_view(b).substr(get(e), get(e + 8))));
  }
  put32(60, Crc32Update(Crc32(std::string_view(b).substr(0, 60)),
                        std::string_view(b).substr(64, 6 * 24)));
  return b;
}

TEST_F(IndexVerifyTest, AFanoutOfAnotherSizeIsCheckedAgainstTheHashes) {
  {
    auto store = OpenStore();
    Commit(*store, "other", MakeScopeFiles(50, 50));
    Commit(*store, "wrong", MakeScopeFiles(50, 50));
  }
  // Each id twice, the right value last: the same entries, but a builder sizes
  // the fan-out from the entries added, so this one has 16 buckets, not 8.
  std::vector<std::pair<std::string, uint64_t>> twice;
  for (const auto& [id, value] : Nodes(50)) {
    twice.emplace_back(id, 49 - value);
    twice.emplace_back(id, value);
  }
  const std::string other = BuildIndex(twice, 50);
  ASSERT_NE(other[35], BuildIndex(Nodes(50), 50)[35]) << "the fan-out sizes are the same";
  ReplaceNodesIndexBytes("other", other);
  // The same with one fan-out slot off by one (CRCs recomputed).
  std::string wrong = other;
  const uint64_t fanout_at = 64 + 6 * 24;  // the first section, right after the table
  wrong[fanout_at + 8 * 5] = static_cast<char>(wrong[fanout_at + 8 * 5] + 1);
  ReplaceNodesIndexBytes("wrong", WithFixedCrcs(wrong));

  auto store = OpenStore();
  Status st = store->Verify("other");
  EXPECT_TRUE(st.ok()) << st.ToString();
  ::testing::internal::CaptureStderr();
  st = store->Verify("wrong");
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
  EXPECT_NE(st.message().find("nodes.idx does not match mappings.json: fan-out slot 5 says entry"),
            std::string::npos)
      << st.message();
  EXPECT_FALSE(store->Find("wrong"));
}

TEST_F(IndexVerifyTest, AFlippedIndexByteIsDamage) {
  auto store = OpenStore();
  Commit(*store, "nodes", MakeScopeFiles(100, 100));
  Commit(*store, "links", MakeScopeFiles(100, 100));
  for (const char* key : {"nodes", "links"}) {
    const std::string path = std::string("/store/scopes/") + key + "/" + key + ".idx";
    auto f = env_.Open(path, OpenMode::kReadWrite).value();
    char c = 0;
    ASSERT_EQ(f->ReadAt(300, &c, 1).value(), 1u);
    c = static_cast<char>(c ^ 0x04);
    ASSERT_TRUE(f->WriteAt(300, &c, 1).ok());
    ::testing::internal::CaptureStderr();
    Status st = store->Verify(key);
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.ToString();
    EXPECT_NE(st.message().find(std::string(key) + ".idx"), std::string::npos) << st.message();
    EXPECT_FALSE(store->Find(key));
  }
}

TEST_F(IndexVerifyTest, AScratchFailureIsAnErrorNotDamage) {
  auto store = OpenStore();
  Commit(*store, "k", MakeScopeFiles(100, 100));
  ASSERT_TRUE(RemoveAll(&env_, "/store/encoding").ok());  // nowhere to rebuild into
  Status st = store->Verify("k");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.code(), Status::Code::kCorruption) << st.ToString();
  EXPECT_NE(st.code(), Status::Code::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("scratch file of the index check"), std::string::npos)
      << st.ToString();
  EXPECT_TRUE(store->Find("k")) << "quarantined for a scratch failure";
  ASSERT_TRUE(env_.MakeDir("/store/encoding").ok());
  EXPECT_TRUE(store->Verify("k").ok());
}

}  // namespace
}  // namespace scopefs::store
