// What the mount tests share: scopes made by `scopectl gen`, the Python
// scripts beside them (tests/mount/*.py), and a fixture with a live mount.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/mount_fixture.h"

namespace scopefs::testing {

// Sanitizers slow the daemon several times over and inflate its memory:
// timing and memory bounds scale by this.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr int kSanitizerSlowdown = 5;
#else
inline constexpr int kSanitizerSlowdown = 1;
#endif

// A scope made by `scopectl gen`, shared by the tests of this binary.
inline const std::string& GenScope(uint64_t nodes, uint64_t links) {
  static TempDir dir;  // lives for the whole test binary, removed at its exit
  static std::map<std::pair<uint64_t, uint64_t>, std::string> made;
  auto key = std::make_pair(nodes, links);
  if (!made.count(key)) {
    std::string out = dir.path() + "/scope-" + std::to_string(nodes) + "-" + std::to_string(links);
    ShellResult r = Shell(Quote(ScopectlPath()) + " gen --quiet --nodes " + std::to_string(nodes) +
                          " --links " + std::to_string(links) + " " + Quote(out));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    made[key] = out;
  }
  return made[key];
}

inline const std::string& SmallScope() { return GenScope(5001, 7003); }

// Runs tests/mount/SCRIPT (a .py file) with Debian's /usr/bin/python3.
inline ShellResult RunScript(const std::string& script, const std::vector<std::string>& args = {},
                             int timeout_s = 120) {
  return PythonScript(std::string(SCOPEFS_TESTS_DIR) + "/mount/" + script, args, timeout_s);
}

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_FUSE();
    if (Python("import bitarray").exit_code != 0) GTEST_SKIP() << "/usr/bin/python3 lacks bitarray";
    mount_ = std::make_unique<ScopefsMount>(dir_.path(), ExtraArgs());
    std::string error;
    ASSERT_TRUE(mount_->Start(&error)) << error;
  }

  void TearDown() override {
    if (mount_ && mount_->running()) {
      EXPECT_EQ(mount_->Stop(), 0) << mount_->log();
    }
  }

  virtual std::vector<std::string> ExtraArgs() { return {}; }

  std::string Mnt(const std::string& rel = "") const {
    return rel.empty() ? mount_->mnt() : mount_->mnt() + "/" + rel;
  }

  // Every data file of `key` on the mount equals the source's, byte for byte.
  void ExpectSameFiles(const std::string& src, const std::string& key) {
    for (const char* f : {"nodes.bits", "links.bits", "mappings.json"}) {
      ShellResult r = Shell("cmp " + Quote(src + "/" + f) + " " + Quote(Mnt(key) + "/" + f));
      EXPECT_EQ(r.exit_code, 0) << key << "/" << f << ": " << r.output;
    }
  }

  void ExpectPythonSees(const std::string& src, const std::string& key) {
    ShellResult r = RunScript("check_scope.py", {src, Mnt(key)});
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }

  TempDir dir_;
  std::unique_ptr<ScopefsMount> mount_;
};

}  // namespace scopefs::testing
