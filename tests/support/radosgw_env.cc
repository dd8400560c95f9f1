#include "tests/support/radosgw_env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

namespace scopefs::testing {

std::map<std::string, std::string> ReadRadosgwEnv() {
  std::map<std::string, std::string> env;
  const char* path = std::getenv("SCOPEFS_TEST_S3_ENV");
  if (path == nullptr) return env;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return env;
}

std::string UniqueTestPrefix() {
  std::random_device random;
  return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
         std::to_string(random());
}

}  // namespace scopefs::testing
