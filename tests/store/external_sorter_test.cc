// ExternalSorter (store/external_sorter.h): records come out in order whether
// they fit in memory or are merged from many runs; its runs go with it.
#include "store/external_sorter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/support/mem_env.h"

namespace scopefs::store {
namespace {

using testing::MemEnv;

std::vector<std::string> SortAll(MemEnv& env, const std::vector<std::string>& in, size_t memory) {
  std::vector<std::string> out;
  {
    ExternalSorter sorter(
        &env, "/runs", [](std::string_view a, std::string_view b) { return a < b; }, memory);
    for (const std::string& r : in) EXPECT_TRUE(sorter.Add(r).ok());
    EXPECT_TRUE(sorter
                    .Drain([&](std::string_view r) {
                      out.emplace_back(r);
                      return Status::Ok();
                    })
                    .ok());
  }
  EXPECT_TRUE(env.Tree("/").empty()) << "runs left behind";
  return out;
}

TEST(ExternalSorterTest, ManyRunsMergeInOrder) {
  MemEnv env;
  std::mt19937_64 rng(2);
  std::vector<std::string> in;
  for (int i = 0; i < 5000; ++i) in.push_back(std::to_string(rng() % 100000));
  in.emplace_back("");
  in.emplace_back(4000, 'q');  // larger than the memory
  std::vector<std::string> expected = in;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(SortAll(env, in, size_t{1} << 20), expected);  // in memory
  EXPECT_EQ(SortAll(env, in, 512), expected);              // hundreds of runs
}

}  // namespace
}  // namespace scopefs::store
