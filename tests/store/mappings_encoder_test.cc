// Mappings compressed as they are written (store/mappings_encoder.h), through
// the Store as the mount drives it: front-to-back writers are encoded on the
// fly and committed without a compression pass; any other writer falls back
// to a raw file and loses nothing.
#include "store/mappings_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/store.h"
#include "tests/support/mem_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::store {
namespace {

using testing::MakeScopeFiles;
using testing::MemEnv;
using testing::ScopeFiles;

constexpr size_t kPiece = 997;  // not a divisor of the member size

class MappingsEncoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenTestStore(&env_, SystemClock());
    ASSERT_TRUE(store_);
    files_ = MakeScopeFiles(2000, 3000, 7);
    ASSERT_GT(files_.mappings_json.size(), 20 * kPiece);
    pending_ = store_->CreatePending("k").value();
    ScopeFiles others = files_;
    others.mappings_json.clear();  // WriteScopeFiles skips it
    ASSERT_TRUE(testing::WriteScopeFiles(*pending_, others).ok());
  }

  std::shared_ptr<PendingFile> Create(const std::string& name) {
    return pending_->Create(name, 0644, 0, 0).value();
  }

  // Writes [from, to) of the mappings at their own offsets, in pieces.
  void WriteRange(PendingFile& file, size_t from, size_t to) {
    for (size_t at = from; at < to; at += kPiece) {
      const size_t n = std::min(kPiece, to - at);
      ASSERT_TRUE(file.Write(at, std::string_view(files_.mappings_json).substr(at, n)).ok()) << at;
    }
  }

  // Commits and checks the scope serves exactly the mappings written.
  void CommitAndCheck() {
    Result<std::shared_ptr<Scope>> scope = store_->Commit("k");
    ASSERT_TRUE(scope.ok()) << scope.status().ToString();
    auto reader = (*scope)->Mappings();
    ASSERT_TRUE(reader.ok());
    std::string out(files_.mappings_json.size() + 1, '\0');
    out.resize((*reader)->ReadAt(0, out.data(), out.size()).value());
    EXPECT_TRUE(out == files_.mappings_json) << "the committed mappings differ";
    ExpectIndexed(**scope, kNodesIndexFile, "n", 2000);
    ExpectIndexed(**scope, kLinksIndexFile, "l", 3000);
    EXPECT_TRUE(env_.Tree("/store/encoding").empty());
    EXPECT_EQ(store_->pending_bytes(), 0u);
  }

  // The scope's index file `name` maps every id "<prefix><i>-7" to i, and nothing else.
  static void ExpectIndexed(const Scope& scope, std::string_view name, const std::string& prefix,
                            uint64_t count) {
    const std::optional<StoredFile>& stored =
        name == kNodesIndexFile ? scope.record().nodes_idx : scope.record().links_idx;
    ASSERT_TRUE(stored) << name;
    auto file = scope.OpenStored(name);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE(CheckMappingIndex(**file, name).ok());
    std::string bytes(stored->size, '\0');
    ASSERT_EQ((*file)->ReadAt(0, bytes.data(), bytes.size()).value(), bytes.size());
    for (uint64_t i = 0; i < count; ++i) {
      const std::string id = prefix + std::to_string(i) + "-7";
      ASSERT_EQ(LookUpIndex(bytes, id).value(), i) << id;
    }
    EXPECT_EQ(LookUpIndex(bytes, prefix + std::to_string(count) + "-7").value(), std::nullopt);
  }

  // The refusal a store that never encodes gives the same files with `mappings`.
  std::string RawPathRefusal(const std::string& mappings) {
    MemEnv env;
    StoreOptions options;
    options.encode_mappings_as_written = false;
    auto store = Store::Open(&env, "/store", options).value();
    ScopeFiles files = files_;
    files.mappings_json = mappings;
    auto pending = store->CreatePending("k").value();
    EXPECT_TRUE(testing::WriteScopeFiles(*pending, files).ok());
    EXPECT_FALSE(pending->Find("mappings.json").value()->encoded());
    ::testing::internal::CaptureStderr();
    Result<std::shared_ptr<Scope>> refused = store->Commit("k");
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(store->counters().mappings_compressed_at_commit, 0u);  // refused
    return refused.status().ToString();
  }

  // Writes `mappings` front to back and returns the commit's refusal.
  std::string EncodedPathRefusal(const std::string& mappings) {
    auto file = Create("mappings.json");
    EXPECT_TRUE(file->Write(0, mappings).ok());
    EXPECT_TRUE(file->encoded());
    ::testing::internal::CaptureStderr();
    Result<std::shared_ptr<Scope>> refused = store_->Commit("k");
    ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalid);
    return refused.status().ToString();
  }

  uint64_t RawBytesExceptMappings() const {
    return files_.nodes_bits.size() + files_.links_bits.size() + files_.meta_json.size();
  }

  MemEnv env_;
  std::unique_ptr<Store> store_;
  ScopeFiles files_;
  std::shared_ptr<PendingScope> pending_;
};

TEST_F(MappingsEncoderTest, AFrontToBackWriterIsEncodedAsItWritesAndCommitsWithoutAPass) {
  auto file = Create("mappings.json");
  WriteRange(*file, 0, files_.mappings_json.size());
  EXPECT_TRUE(file->encoded());
  EXPECT_EQ(file->attrs().size, files_.mappings_json.size());  // users see the raw size
  // What counts is the compressed bytes on disk, not the raw text.
  const std::vector<std::string> encoded = env_.Tree("/store/encoding");
  ASSERT_EQ(encoded.size(), 1u);
  const uint64_t encoded_bytes = store_->pending_bytes() - RawBytesExceptMappings();
  EXPECT_LT(encoded_bytes, files_.mappings_json.size() / 2);
  EXPECT_EQ(env_.Stat("/store/pending/k/mappings.json").value().size, 0u);
  ASSERT_NO_FATAL_FAILURE(CommitAndCheck());
  EXPECT_EQ(store_->counters().mappings_encoded_as_written, 1u);
  EXPECT_EQ(store_->counters().mappings_compressed_at_commit, 0u);
}

TEST_F(MappingsEncoderTest, AWriterAtDescendingOffsetsCommitsTheRightBytes) {
  auto file = Create("mappings.json");
  const size_t half = files_.mappings_json.size() / 2;
  // The second half from its end backwards, then the first half in order.
  for (size_t end = files_.mappings_json.size(); end > half;) {
    const size_t at = end - std::min(kPiece, end - half);
    ASSERT_TRUE(file->Write(at, std::string_view(files_.mappings_json).substr(at, end - at)).ok());
    end = at;
  }
  WriteRange(*file, 0, half);
  EXPECT_FALSE(file->encoded());
  ASSERT_NO_FATAL_FAILURE(CommitAndCheck());
  EXPECT_EQ(store_->counters().mappings_compressed_at_commit, 1u);
}

TEST_F(MappingsEncoderTest, AWriterThatSeeksBackIsDecodedAndLosesNothing) {
  auto file = Create("mappings.json");
  const size_t size = files_.mappings_json.size();
  WriteRange(*file, 0, size * 3 / 5);
  ASSERT_TRUE(file->encoded());
  const uint64_t before = store_->pending_bytes();
  // Back to byte 10 (as a writer patching a header would), then the rest.
  ASSERT_TRUE(file->Write(10, std::string_view(files_.mappings_json).substr(10, 100)).ok());
  EXPECT_FALSE(file->encoded());
  EXPECT_TRUE(env_.Tree("/store/encoding").empty());
  EXPECT_GT(store_->pending_bytes(), before);  // raw now, and counted raw
  WriteRange(*file, size * 3 / 5, size);
  ASSERT_NO_FATAL_FAILURE(CommitAndCheck());
  EXPECT_EQ(store_->counters().mappings_compressed_at_commit, 1u);
}

TEST_F(MappingsEncoderTest, RsyncsTemporaryNameIsEncodedAndRenamedIntoPlace) {
  auto file = Create(".mappings.json.Ab12Cd");
  WriteRange(*file, 0, files_.mappings_json.size());
  EXPECT_TRUE(file->encoded());
  ASSERT_TRUE(pending_->Rename(".mappings.json.Ab12Cd", "mappings.json").ok());
  ASSERT_NO_FATAL_FAILURE(CommitAndCheck());
  EXPECT_EQ(store_->counters().mappings_encoded_as_written, 1u);
}

TEST_F(MappingsEncoderTest, WithoutAnIndexTheScopeHasNoIndexFiles) {
  MemEnv env;
  StoreOptions options;
  options.commit.build_index = false;
  auto store = Store::Open(&env, "/store", options).value();
  auto pending = store->CreatePending("k").value();
  ASSERT_TRUE(testing::WriteScopeFiles(*pending, files_).ok());
  Result<std::shared_ptr<Scope>> scope = store->Commit("k");
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_FALSE((*scope)->record().nodes_idx);
  EXPECT_FALSE((*scope)->record().links_idx);
  EXPECT_FALSE(env.Stat("/store/scopes/k/nodes.idx").ok());
  EXPECT_EQ(store->stored_bytes(), (*scope)->record().nodes.size + (*scope)->record().links.size +
                                       (*scope)->record().mappings.size);
}

TEST_F(MappingsEncoderTest, OtherNamesAreNeverEncoded) {
  EXPECT_TRUE(IsEncodedName("mappings.json"));
  EXPECT_TRUE(IsEncodedName(".mappings.json.x1Y2z3"));
  EXPECT_FALSE(IsEncodedName(".mappings.json.gz.x1Y2z3"));
  EXPECT_FALSE(IsEncodedName("mappings.json.gz"));
  EXPECT_FALSE(IsEncodedName("nodes.bits"));
  EXPECT_FALSE(IsEncodedName(".nodes.bits.x1Y2z3"));
  EXPECT_FALSE(IsEncodedName(".mappings.json."));
}

TEST_F(MappingsEncoderTest, AnEncodedFileRenamedToAnotherScopeNameIsDecodedAtCommit) {
  // A temporary mappings name that ends up as meta.json: odd, but its bytes
  // must reach the commit raw. (meta.json may hold other keys: it is valid.)
  auto file = Create(".mappings.json.odd123");
  WriteRange(*file, 0, files_.mappings_json.size());
  ASSERT_TRUE(pending_->Rename(".mappings.json.odd123", "meta.json").ok());
  ASSERT_TRUE(testing::WritePendingFile(*pending_, "mappings.json", files_.mappings_json).ok());
  Result<std::shared_ptr<Scope>> scope = store_->Commit("k");
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ((*scope)->record().extra.at("node_id_mapping").size(), 2000u);
  EXPECT_TRUE(env_.Tree("/store/encoding").empty());
}

TEST_F(MappingsEncoderTest, InvalidJsonIsRefusedAsTheRawPathRefusesItAndCanBeRewritten) {
  const std::string bad = "{\"node_id_mapping\": {\"a\": 1,, }}";
  const std::string refusal = EncodedPathRefusal(bad);
  EXPECT_EQ(refusal, RawPathRefusal(bad));
  EXPECT_NE(refusal.find("mappings.json: invalid JSON at byte"), std::string::npos) << refusal;
  EXPECT_NE(pending_->StatusLine().find("invalid: mappings.json: invalid JSON"), std::string::npos);
  // Written again from the start (cp opens with O_TRUNC): encoded afresh.
  auto file = pending_->Find("mappings.json").value();
  ASSERT_TRUE(file->Truncate(0).ok());
  WriteRange(*file, 0, files_.mappings_json.size());
  EXPECT_TRUE(file->encoded());
  ASSERT_NO_FATAL_FAILURE(CommitAndCheck());
}

TEST_F(MappingsEncoderTest, AnOutOfRangeIndexIsRefusedAsTheRawPathRefusesIt) {
  const std::string bad = "{\"node_id_mapping\": {\"n-big\": 5000}, \"link_id_mapping\": {}}";
  const std::string refusal = EncodedPathRefusal(bad);
  EXPECT_EQ(refusal, RawPathRefusal(bad));
  EXPECT_NE(refusal.find("node index 5000 for \"n-big\" is out of range [0, 2000)"),
            std::string::npos)
      << refusal;
}

TEST_F(MappingsEncoderTest, DroppingThePendingScopeRemovesTheEncodedFile) {
  auto file = Create("mappings.json");
  WriteRange(*file, 0, files_.mappings_json.size() / 2);
  ASSERT_EQ(env_.Tree("/store/encoding").size(), 1u);
  ASSERT_TRUE(store_->DropPending("k").ok());
  EXPECT_TRUE(env_.Tree("/store/encoding").empty());
  EXPECT_EQ(store_->pending_bytes(), 0u);
  EXPECT_EQ(file->Write(file->attrs().size, "x").code(), Status::Code::kAccess);
}

TEST_F(MappingsEncoderTest, LeftoversOfACrashAreRemovedAtOpen) {
  auto file = Create("mappings.json");
  WriteRange(*file, 0, files_.mappings_json.size() / 2);
  // What a crash leaves: the store gone, its encoded files still on disk.
  file.reset();
  pending_.reset();
  store_.reset();
  ASSERT_TRUE(env_.Tree("/store/encoding").empty());  // an orderly close removes them
  ASSERT_TRUE(env_.Open("/store/encoding/7.gz", OpenMode::kCreate).ok());
  ASSERT_TRUE(env_.Open("/store/encoding/7.gz.nodes.entries.0", OpenMode::kCreate).ok());
  ::testing::internal::CaptureStderr();
  store_ = testing::OpenTestStore(&env_, SystemClock());
  ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(env_.Tree("/store/encoding").empty());
}

}  // namespace
}  // namespace scopefs::store
