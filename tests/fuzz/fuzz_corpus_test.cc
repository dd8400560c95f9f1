// Replays every saved fuzz input (tests/fuzz/corpus/<target>/: seeds, and the
// crashers fuzzing found) through its target, in the ordinary unit tests.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/fuzz/fuzz_targets.h"

namespace scopefs::fuzz {
namespace {

TEST(FuzzCorpusTest, EverySavedInputPassesItsTarget) {
  for (const FuzzTarget& target : kFuzzTargets) {
    const std::filesystem::path dir =
        std::filesystem::path(SCOPEFS_TESTS_DIR) / "fuzz/corpus" / target.name;
    int inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      const std::string data = bytes.str();
      SCOPED_TRACE(entry.path().string());
      EXPECT_EQ(target.run(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0);
      ++inputs;
    }
    EXPECT_GT(inputs, 0) << "no saved inputs for " << target.name;
  }
}

}  // namespace
}  // namespace scopefs::fuzz
