// SIGTERM and SIGINT stop the daemon cleanly: when idle, with readers holding
// files open, and in the middle of a commit: exit 0 within 2 s (5 s with
// readers), the mount gone, access times saved. And a store on a small
// filesystem that fills up: ENOSPC, nothing partial, the space back after
// `rm -r`, the next add fine.

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>

#include "tests/mount/mount_test.h"
#include "tests/support/scratch_tmpfs.h"

namespace scopefs::testing {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

TEST(SignalTest, StopsCleanlyIdleWithReadersAndMidCommit) {
  REQUIRE_FUSE();
  const std::string& big = GenScope(400000, 600000);  // a commit long enough to be caught in
  TempDir dir;
  ScopefsMount mount(dir.path(), {}, /*auto_unmount=*/false);
  const std::string mnt = mount.mnt();
  auto mounted = [&] {
    return Shell("grep -c " + Quote(" " + mnt + " ") + " /proc/mounts").output != "0\n";
  };
  std::string error;
  int round = 0;
  for (const char* scenario : {"idle", "readers", "commit"}) {
    for (int signal : {SIGTERM, SIGINT}) {
      SCOPED_TRACE(std::string(scenario) + (signal == SIGTERM ? " SIGTERM" : " SIGINT"));
      ASSERT_TRUE(mount.Start(&error)) << error;
      const std::string key = "s" + std::to_string(round++);
      const std::string done = dir.path() + "/" + key + ".done";
      if (std::string(scenario) != "commit") {
        ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(mnt + "/" + key) + " && cat " +
                        Quote(mnt + "/" + key) + "/nodes.bits >/dev/null")
                      .exit_code,
                  0);
      }
      if (std::string(scenario) == "readers") {  // two readers holding files open
        for (const char* f : {"nodes.bits", "mappings.json"}) {
          Shell("({ sleep 3; cat <&3 >/dev/null; } 3<" + Quote(mnt + "/" + key + "/" + f) +
                "; echo $? >>" + Quote(done) + ") >/dev/null 2>&1 &");
        }
      }
      if (std::string(scenario) == "commit") {
        Shell("(cp -r " + Quote(big) + " " + Quote(mnt + "/" + key) + "; echo $? >" + Quote(done) +
              ") >/dev/null 2>&1 &");
        // Signal once the last file is being written: its close commits.
        Shell("for n in $(seq 500); do [ -e " + Quote(mnt + "/" + key + "/meta.json") +
              " ] && break; sleep 0.01; done");
      }
      const auto signalled = std::chrono::steady_clock::now();
      EXPECT_EQ(mount.Terminate(signal), 0) << mount.log();
      const double took = Seconds(signalled);
      EXPECT_LE(took, (std::string(scenario) == "readers" ? 5.0 : 2.0) * kSanitizerSlowdown);
      EXPECT_FALSE(mounted());
      std::printf("signal %s in %s: exit 0 in %.3f s\n", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                  scenario, took);
      // Whatever the copy saw, the store is consistent, and the access made before the signal was
      // saved.
      Shell("for n in $(seq 500); do [ -s " + Quote(done) + " ] && break; sleep 0.01; done");
      ASSERT_TRUE(mount.Start(&error)) << error;
      if (std::string(scenario) == "commit") {
        const bool copied = Shell("cat " + Quote(done)).output == "0\n";
        if (copied) {
          EXPECT_EQ(Shell("cmp " + Quote(big + "/mappings.json") + " " +
                          Quote(mnt + "/" + key + "/mappings.json"))
                        .exit_code,
                    0);
        } else {
          EXPECT_NE(Shell("ls -ld " + Quote(mnt + "/" + key)).output.find("dr-xr-xr-x"),
                    0u);  // not committed
        }
      } else {
        nlohmann::json meta =
            nlohmann::json::parse(Shell("cat " + Quote(mnt + "/" + key + "/meta.json")).output);
        EXPECT_NE(meta["last_accessed"], meta["created_at"])
            << "the access before the signal was lost";
      }
      EXPECT_EQ(mount.Stop(), 0);
    }
  }
}

TEST(SmallDiskTest, AFullStoreFailsTheCopyWithEnospcAndRecovers) {
  REQUIRE_FUSE();
  TempDir dir;
  // Smaller than the mappings even compressed (they count compressed as they arrive).
  const ScratchTmpfs disk(dir.path() + "/tmpfs", "10m");
  if (!disk.error().empty()) GTEST_SKIP() << disk.error();
  const std::string& root = disk.path();
  {
    ScopefsMount mount(root);  // max_size 10G: the disk runs out first
    std::string error;
    ASSERT_TRUE(mount.Start(&error)) << error;
    const std::string mnt = mount.mnt();
    auto used = [&] {
      return std::stol(Shell("df --output=used -k " + Quote(root) + " | tail -1").output);
    };
    const long before = used();
    const std::string& big = GenScope(400000, 600000);  // ~40 MB of mappings, ~15 MB stored
    ShellResult full = Shell("cp -r " + Quote(big) + " " + Quote(mnt + "/big"));
    EXPECT_NE(full.exit_code, 0);
    EXPECT_NE(full.output.find("No space left on device"), std::string::npos) << full.output;
    // Nothing partial under a committed name: the key is pending, or gone.
    EXPECT_NE(Shell("ls -ld " + Quote(mnt + "/big")).output.rfind("dr-xr-xr-x", 0), 0u);
    EXPECT_EQ(Shell("rm -r " + Quote(mnt + "/big")).exit_code, 0);
    EXPECT_LE(used(), before + 256) << "KiB still used after rm -r";
    ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(mnt + "/small")).exit_code, 0);
    EXPECT_EQ(Shell("cmp " + Quote(SmallScope() + "/mappings.json") + " " +
                    Quote(mnt + "/small/mappings.json"))
                  .exit_code,
              0);
    EXPECT_NE(mount.log().find("No space left on device"), std::string::npos) << mount.log();
    EXPECT_EQ(mount.Stop(), 0);
  }
}

}  // namespace
}  // namespace scopefs::testing
