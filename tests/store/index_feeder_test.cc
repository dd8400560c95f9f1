// IndexFeeder (store/index_feeder.h): entries handed over in batches reach
// the builders in order, so the index is the one adding them directly gives,
// and a builder's error reaches the parser.
#include "store/index_feeder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

using testing::MemEnv;

struct Added {
  int section;
  std::string id;
  uint64_t value;
};

// The two index files built from `entries`, through a feeder or directly.
std::vector<std::string> BuildBoth(MemEnv& env, const std::vector<Added>& entries, bool feed,
                                   uint64_t total) {
  const std::string prefix = feed ? "/fed" : "/direct";
  MappingIndexBuilder nodes(&env, prefix + ".nodes", size_t{1} << 20);
  MappingIndexBuilder links(&env, prefix + ".links", size_t{1} << 20);
  MappingIndexBuilder* builders[2] = {&nodes, &links};
  if (feed) {
    IndexFeeder feeder(&nodes, &links);
    for (const Added& a : entries) EXPECT_TRUE(feeder.Add(a.section, a.id, a.value).ok());
    EXPECT_TRUE(feeder.Finish().ok());
  } else {
    for (const Added& a : entries) EXPECT_TRUE(builders[a.section]->Add(a.id, a.value).ok());
  }
  std::vector<std::string> files;
  for (int s = 0; s < 2; ++s) {
    const std::string path = prefix + std::to_string(s) + ".idx";
    auto out = env.Open(path, OpenMode::kCreate).value();
    Result<uint64_t> size = builders[s]->Finish(*out, total);
    EXPECT_TRUE(size.ok()) << size.status().ToString();
    std::string bytes(size.ok() ? *size : 0, '\0');
    EXPECT_EQ(out->ReadAt(0, bytes.data(), bytes.size()).value(), bytes.size());
    files.push_back(std::move(bytes));
  }
  return files;
}

TEST(IndexFeederTest, TheIndexIsTheOneDirectAddsGive) {
  // Many batches' worth, both sections interleaved, some ids repeated (the
  // last wins, so the order of adding matters), spilled past the memory.
  std::mt19937_64 rng(7);
  std::vector<Added> entries;
  const uint64_t total = 200000;
  for (uint64_t i = 0; i < total; ++i) {
    const int section = static_cast<int>(rng() % 2);
    const uint64_t n = rng() % 5 == 0 ? rng() % 1000 : i;  // a fifth repeat an id
    entries.push_back({section, (section == 0 ? "n:" : "l:") + std::to_string(n), i});
  }
  MemEnv env;
  const std::vector<std::string> fed = BuildBoth(env, entries, true, total);
  const std::vector<std::string> direct = BuildBoth(env, entries, false, total);
  ASSERT_EQ(fed.size(), 2u);
  EXPECT_GT(fed[0].size(), 1000000u);
  EXPECT_TRUE(fed[0] == direct[0]);
  EXPECT_TRUE(fed[1] == direct[1]);
}

TEST(IndexFeederTest, ABuildersErrorReachesTheParser) {
  MemEnv env;
  MappingIndexBuilder nodes(&env, "/n", size_t{1} << 20);
  MappingIndexBuilder links(&env, "/l", size_t{1} << 20);
  // A finished builder refuses more entries: the feeder's worker meets that.
  auto out = env.Open("/l.idx", OpenMode::kCreate).value();
  ASSERT_TRUE(links.Finish(*out, 1).ok());
  IndexFeeder feeder(&nodes, &links);
  Status st;
  for (uint64_t i = 0; i < 100000 && st.ok(); ++i) st = feeder.Add(1, "l:" + std::to_string(i), i);
  const Status finished = feeder.Finish();
  EXPECT_EQ(finished.code(), Status::Code::kInvalid) << finished.ToString();
  EXPECT_NE(finished.message().find("after the index was written"), std::string::npos);
  if (!st.ok()) {
    EXPECT_EQ(st.message(), finished.message());
  }
}

}  // namespace
}  // namespace scopefs::store
