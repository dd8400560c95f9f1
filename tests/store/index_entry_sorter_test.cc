// IndexEntrySorter (store/index_entry_sorter.h): the index's entry order and
// the last-wins rule, whether the entries stay in memory, spill to buckets,
// split again, or share one hash; its scratch files go with it.
#include "store/index_entry_sorter.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

#include "store/mapping_index.h"
#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

using testing::MemEnv;
using Entry = std::tuple<uint32_t, std::string, uint64_t>;

// Sorts `in` (hash, id, value) with `memory` and returns what Drain gave.
std::vector<Entry> Sort(MemEnv& env, const std::vector<Entry>& in, size_t memory,
                        IndexEntrySorter::Extent* extent = nullptr) {
  std::vector<Entry> out;
  {
    IndexEntrySorter sorter(&env, "/scratch", memory);
    for (const auto& [hash, id, value] : in) EXPECT_TRUE(sorter.Add(hash, id, value).ok());
    Result<IndexEntrySorter::Extent> e = sorter.Seal();
    EXPECT_TRUE(e.ok());
    if (extent && e.ok()) *extent = *e;
    EXPECT_TRUE(sorter
                    .Drain([&](std::span<const IndexEntrySorter::Entry> batch) {
                      for (const IndexEntrySorter::Entry& entry : batch) {
                        out.emplace_back(entry.hash, std::string(entry.id), entry.value);
                      }
                      return Status::Ok();
                    })
                    .ok());
  }
  EXPECT_TRUE(env.Tree("/").empty()) << "scratch files left behind";
  return out;
}

std::vector<Entry> Expected(const std::vector<Entry>& in) {
  std::map<std::pair<uint32_t, std::string>, uint64_t> last;
  for (const auto& [hash, id, value] : in) last[{hash, id}] = value;
  std::vector<Entry> out;
  for (const auto& [key, value] : last) out.emplace_back(key.first, key.second, value);
  return out;
}

TEST(IndexEntrySorterTest, OrderAndLastWinsInMemoryAndSpilled) {
  MemEnv env;
  std::mt19937_64 rng(1);
  std::vector<Entry> in;
  for (uint64_t i = 0; i < 20000; ++i) {
    const std::string id = "id" + std::to_string(rng() % 15000);
    in.emplace_back(IndexHash(id), id, i);
  }
  const std::vector<Entry> expected = Expected(in);
  IndexEntrySorter::Extent extent;
  EXPECT_EQ(Sort(env, in, size_t{32} << 20, &extent), expected);
  EXPECT_TRUE(extent.exact);
  EXPECT_EQ(extent.count, expected.size());
  for (size_t memory : {size_t{64} << 10, size_t{2} << 10}) {
    EXPECT_EQ(Sort(env, in, memory, &extent), expected) << memory;
    EXPECT_FALSE(extent.exact);
    EXPECT_EQ(extent.count, in.size());  // a bound: ids repeat
  }
}

TEST(IndexEntrySorterTest, OneHashLargerThanMemory) {
  // The hashes need not be the ids' here: many ids on one hash, repeated.
  MemEnv env;
  std::vector<Entry> in;
  for (uint64_t i = 0; i < 3000; ++i) in.emplace_back(7, "x" + std::to_string(i % 1000), i);
  for (uint64_t i = 0; i < 100; ++i) in.emplace_back(static_cast<uint32_t>(i << 20), "y", i);
  EXPECT_EQ(Sort(env, in, 1024), Expected(in));
}

TEST(IndexEntrySorterTest, EmptyAndOneEntry) {
  MemEnv env;
  EXPECT_TRUE(Sort(env, {}, 1024).empty());
  const std::vector<Entry> one = {{5, std::string(5000, 'z'), 3}};
  EXPECT_EQ(Sort(env, one, 1024), one);  // larger than the memory on its own
}

}  // namespace
}  // namespace scopefs::store
