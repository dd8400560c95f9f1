// Ingest through a real mount: copies are compressed as they arrive (so the
// commit at the last close has no compression pass left), an out-of-order
// writer still commits the right bytes, and adding a scope evicts exactly
// as much as the size limit needs.
#include <string>
#include <vector>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

// The named counters of stats.json, space-separated.
std::string Stats(const std::string& mnt, const std::vector<std::string>& fields) {
  std::vector<std::string> args = {mnt};
  args.insert(args.end(), fields.begin(), fields.end());
  ShellResult r = RunScript("stats_fields.py", args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST_F(MountTest, EveryCopyToolIsCompressedAsItArrives) {
  const std::string& src = SmallScope();
  const std::string parent = src.substr(0, src.find_last_of('/'));
  const std::string base = src.substr(src.find_last_of('/') + 1);
  for (const std::string& command : {
           "cp -r " + Quote(src) + " " + Quote(Mnt("by-cp")),
           "rsync -a " + Quote(src + "/") + " " + Quote(Mnt("by-rsync") + "/"),
           "tar -C " + Quote(parent) + " -cf - " + Quote(base) + " | tar -x -C " + Quote(Mnt()) +
               " --transform 's,^" + base + ",by-tar,'",
           "/usr/bin/python3 -c 'import shutil,sys; shutil.copytree(sys.argv[1], sys.argv[2])' " +
               Quote(src) + " " + Quote(Mnt("by-python")),
       }) {
    ShellResult r = Shell(command);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.output;
  }
  for (const char* key : {"by-cp", "by-rsync", "by-tar", "by-python"}) ExpectSameFiles(src, key);
  // Counted by the store at each commit: none of them needed a pass at close.
  EXPECT_EQ(Stats(Mnt(), {"commits", "mappings_encoded_as_written", "mappings_compressed_at_commit",
                          "pending_size"}),
            "4 4 0 0\n");
  EXPECT_EQ(Shell("ls -A " + Quote(mount_->store() + "/encoding")).output, "");
}

TEST_F(MountTest, AnOutOfOrderWriterCommitsTheRightBytes) {
  const std::string& src = SmallScope();
  ShellResult r = RunScript("write_out_of_order.py", {src, Mnt("backwards")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  ExpectSameFiles(src, "backwards");
  ExpectPythonSees(src, "backwards");
  EXPECT_EQ(Stats(Mnt(), {"mappings_encoded_as_written", "mappings_compressed_at_commit"}),
            "0 1\n");
}

// SPEC: after a commit, least recently used scopes are evicted until the
// cache fits, and no further.
TEST(MountEvictionTest, AddingAScopeToAFullCacheEvictsExactlyTheLeastRecentlyUsed) {
  REQUIRE_FUSE();
  if (Python("import json").exit_code != 0) GTEST_SKIP() << "no /usr/bin/python3";
  const std::string& src = SmallScope();
  auto cp = [&](const ScopefsMount& m, const std::string& key) {
    ShellResult r = Shell("cp -r " + Quote(src) + " " + Quote(m.mnt() + "/" + key));
    EXPECT_EQ(r.exit_code, 0) << key << ": " << r.output;
  };
  // What one copy of the scope stores, measured on a mount of its own.
  uint64_t one = 0;
  {
    TempDir dir;
    ScopefsMount probe(dir.path());
    std::string error;
    ASSERT_TRUE(probe.Start(&error)) << error;
    cp(probe, "x");
    one = std::stoull(Stats(probe.mnt(), {"total_size"}));
    EXPECT_EQ(probe.Stop(), 0) << probe.log();
  }
  ASSERT_GT(one, 0u);
  TempDir dir;
  ScopefsMount mount(dir.path(), {"--max-size", std::to_string(one * 7 / 2)});
  std::string error;
  ASSERT_TRUE(mount.Start(&error)) << error;
  for (const char* key : {"a", "b", "c"}) cp(mount, key);
  // Read a: b is now the least recently used.
  EXPECT_EQ(Shell("cat " + Quote(mount.mnt() + "/a/nodes.bits") + " >/dev/null").exit_code, 0);
  cp(mount, "d");
  EXPECT_EQ(Shell("ls " + Quote(mount.mnt()) + " | tr '\\n' ' '").output, "a c d ");
  EXPECT_EQ(Stats(mount.mnt(), {"evictions", "total_entries", "total_size", "pending_size"}),
            "1 3 " + std::to_string(3 * one) + " 0\n");
  EXPECT_EQ(mount.Stop(), 0) << mount.log();
}

}  // namespace
}  // namespace scopefs::testing
