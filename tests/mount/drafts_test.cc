// rsync's temporary meta.json drafts in committed scopes, through a mount:
// abandoned ones must not pile up and lock later rsync re-runs out.
#include <chrono>
#include <thread>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

class DraftsTest : public MountTest {
  std::vector<std::string> ExtraArgs() override { return {"--maintenance-interval", "1s"}; }
};

// Regression: each draft stayed in memory for good, and after 64 of them every
// later `rsync -a` re-run onto any committed scope failed with ENOSPC.
TEST_F(DraftsTest, AbandonedDraftsGoAndRsyncReRunsKeepWorking) {
  const std::string rsync = "rsync -a " + Quote(SmallScope() + "/") + " " + Quote(Mnt("k") + "/");
  ASSERT_EQ(Shell(rsync).exit_code, 0);
  // 100 drafts, each written by a process that exits without renaming it.
  ShellResult drafts = Shell("for i in $(seq 100); do sh -c 'printf x > \"$0\"' " +
                             Quote(Mnt("k")) + "/.meta.json.$i || exit 1; done");
  EXPECT_EQ(drafts.exit_code, 0) << drafts.output << mount_->log();

  ShellResult rerun = Shell(rsync);  // sends meta.json as a draft, and nothing else
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  ExpectSameFiles(SmallScope(), "k");

  // The maintenance pass drops the last ones too (their creators have exited).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::access(Mnt("k/.meta.json.100").c_str(), F_OK) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "an abandoned draft outlived the maintenance passes";
}

// A draft renamed into place right after its close (rsync's order) still works.
TEST_F(DraftsTest, ADraftClosedThenRenamedReplacesNothingAndSucceeds) {
  ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(Mnt("k"))).exit_code, 0);
  ShellResult r = Shell("cat " + Quote(Mnt("k/meta.json")) + " > " + Quote(Mnt("k/.meta.json.t")) +
                        " && mv " + Quote(Mnt("k/.meta.json.t")) + " " + Quote(Mnt("k/meta.json")));
  EXPECT_EQ(r.exit_code, 0) << r.output << mount_->log();
  ExpectSameFiles(SmallScope(), "k");
}

}  // namespace
}  // namespace scopefs::testing
