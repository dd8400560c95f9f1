// What the mount tests share: scopes made by `scopectl gen`, the Python check
// of a scope as a user reads it, and a fixture with a live mount.
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

// Checks a scope on the mount against its source the way a user's Python
// would read it: bitarray trimmed to the totals, json.load of the mappings.
inline constexpr char kCheckScope[] = R"(
import sys, json
from bitarray import bitarray
src, dst = sys.argv[1], sys.argv[2]
meta = json.load(open(dst + "/meta.json"))
smeta = json.load(open(src + "/meta.json"))
for name, total in (("nodes.bits", "total_nodes"), ("links.bits", "total_links")):
    n = meta[total]
    assert n == smeta[total], (total, n)
    a = bitarray(endian="big"); a.fromfile(open(src + "/" + name, "rb"))
    b = bitarray(endian="big"); b.fromfile(open(dst + "/" + name, "rb"))
    assert len(b) == (n + 7) // 8 * 8, name
    assert a[:n] == b[:n], name
assert json.load(open(src + "/mappings.json")) == json.load(open(dst + "/mappings.json"))
assert meta["config_attributes"] == smeta["config_attributes"]
for k in ("scope_key", "created_at", "last_accessed", "nodes_file_size", "links_file_size",
          "mappings_file_size", "mappings_size"):
    assert k in meta, k
assert meta["scope_key"] == dst.rstrip("/").split("/")[-1]
print("ok")
)";

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "no /dev/fuse on this machine";
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
    ShellResult r = Python(kCheckScope, {src, Mnt(key)});
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }

  TempDir dir_;
  std::unique_ptr<ScopefsMount> mount_;
};

}  // namespace scopefs::testing
