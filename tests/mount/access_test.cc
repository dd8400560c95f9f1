// Who may do what through a mount shared with other users (allow_other): real
// commands run as `nobody`, with and without the write group.
#include <grp.h>
#include <sys/stat.h>

#include "tests/mount/mount_test.h"

namespace scopefs::testing {
namespace {

constexpr char kNobody[] = "65534";

// `command` run by /bin/sh as uid nobody, with primary gid `gid` and exactly
// the supplementary groups `groups` (comma-separated gids, "" for none).
ShellResult As(const std::string& gid, const std::string& groups, const std::string& command) {
  std::string groups_arg = groups.empty() ? "--clear-groups" : "--groups=" + groups;
  return Shell(std::string("setpriv --reuid=") + kNobody + " --regid=" + gid + " " + groups_arg +
               " -- /bin/sh -c " + Quote(command));
}

class AccessTest : public MountTest {
 protected:
  void SetUp() override {
    if (::getuid() != 0) GTEST_SKIP() << "needs root to run commands as another user";
    if (Shell("command -v setpriv").exit_code != 0) GTEST_SKIP() << "no setpriv";
    // Other users must reach the mountpoint and read the source scope.
    ::chmod(dir_.path().c_str(), 0755);
    MountTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    src_ = dir_.path() + "/src";
    ASSERT_EQ(Shell("cp -r " + Quote(SmallScope()) + " " + Quote(src_) + " && chmod -R a+rX " +
                    Quote(src_))
                  .exit_code,
              0);
    ASSERT_EQ(Shell("cp -r " + Quote(src_) + " " + Quote(Mnt("k1"))).exit_code, 0);
  }

  // `op` as nobody fails with "Permission denied" and the daemon logs the uid.
  void ExpectRefused(const std::string& gid, const std::string& groups, const std::string& op) {
    ShellResult r = As(gid, groups, op);
    EXPECT_NE(r.exit_code, 0) << op << ": " << r.output;
    EXPECT_NE(r.output.find("Permission denied"), std::string::npos) << op << ": " << r.output;
  }

  std::string src_;
};

class AccessDefaultTest : public AccessTest {
  std::vector<std::string> ExtraArgs() override { return {"-o", "allow_other"}; }
};

TEST_F(AccessDefaultTest, EveryoneReadsOnlyRootAddsRemovesAndRenames) {
  struct stat st {};
  ASSERT_EQ(::stat(Mnt().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);

  // Reading is for everyone: the data, the generated files, the statistics.
  ShellResult read =
      Shell("su nobody -s /bin/sh -c " +
            Quote("cmp " + Quote(src_ + "/mappings.json") + " " + Quote(Mnt("k1/mappings.json")) +
                  " && cat " + Quote(Mnt("k1/meta.json")) + " " +
                  Quote(Mnt(".scopefs/stats.json")) + " >/dev/null && ls " + Quote(Mnt())));
  EXPECT_EQ(read.exit_code, 0) << read.output;

  ExpectRefused(kNobody, "", "mkdir " + Quote(Mnt("k2")));
  ExpectRefused(kNobody, "", "cp -r " + Quote(src_) + " " + Quote(Mnt("k3")));
  ExpectRefused(kNobody, "", "rm -r " + Quote(Mnt("k1")));
  ExpectRefused(kNobody, "", "mv " + Quote(Mnt("k1")) + " " + Quote(Mnt("k4")));
  ExpectRefused(kNobody, "", "touch " + Quote(Mnt("k1/meta.json")));
  ExpectRefused(kNobody, "", "echo k1 > " + Quote(Mnt(".scopefs/verify")));
  ExpectRefused(kNobody, "", "echo x > " + Quote(Mnt(".scopefs/gc")));

  // Nothing changed: k1 is whole, nothing else appeared.
  ExpectSameFiles(src_, "k1");
  EXPECT_EQ(Shell("ls " + Quote(Mnt())).output, "k1\n");
  EXPECT_NE(mount_->log().find("uid 65534 may not"), std::string::npos) << mount_->log();

  // Root still may.
  EXPECT_EQ(
      Shell("mv " + Quote(Mnt("k1")) + " " + Quote(Mnt("k5")) + " && rm -r " + Quote(Mnt("k5")))
          .exit_code,
      0);
}

class AccessWriteGroupTest : public AccessTest {
 protected:
  // Debian's "users" group (gid 100) stands for a team's group.
  std::vector<std::string> ExtraArgs() override { return {"-o", "allow_other,write_group=users"}; }
};

TEST_F(AccessWriteGroupTest, MembersAddAndRemoveScopesOthersStillCannot) {
  const group* users = ::getgrnam("users");
  ASSERT_NE(users, nullptr);
  const std::string team = std::to_string(users->gr_gid);
  struct stat st {};
  ASSERT_EQ(::stat(Mnt().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0775u);  // ls -ld: drwxrwxr-x root users
  EXPECT_EQ(st.st_gid, users->gr_gid);

  // A member by supplementary group copies a scope in, then removes it.
  ShellResult add = As(kNobody, team, "cp -r " + Quote(src_) + " " + Quote(Mnt("g1")));
  ASSERT_EQ(add.exit_code, 0) << add.output << mount_->log();
  ExpectSameFiles(src_, "g1");
  ExpectPythonSees(src_, "g1");
  ShellResult rename = As(kNobody, team, "mv " + Quote(Mnt("g1")) + " " + Quote(Mnt("g2")));
  EXPECT_EQ(rename.exit_code, 0) << rename.output;
  ShellResult rm = As(kNobody, team, "rm -r " + Quote(Mnt("g2")));
  EXPECT_EQ(rm.exit_code, 0) << rm.output;
  EXPECT_NE(::access(Mnt("k1").c_str(), F_OK), -1);
  EXPECT_EQ(::access(Mnt("g2").c_str(), F_OK), -1);

  // A member by primary group.
  ShellResult primary = As(team, "", "mkdir " + Quote(Mnt("g3")) + " && rmdir " + Quote(Mnt("g3")));
  EXPECT_EQ(primary.exit_code, 0) << primary.output;

  // Not a member: refused. A member: still no control actions.
  ExpectRefused(kNobody, "", "mkdir " + Quote(Mnt("g4")));
  ExpectRefused(kNobody, "", "rm -r " + Quote(Mnt("k1")));
  ExpectRefused(kNobody, team, "echo k1 > " + Quote(Mnt(".scopefs/verify")));
  ExpectSameFiles(src_, "k1");
}

TEST(AccessOptionTest, AnUnknownWriteGroupStopsTheDaemonWithAClearMessage) {
  REQUIRE_FUSE();
  TempDir dir;
  ScopefsMount mount(dir.path(), {"-o", "write_group=no-such-group-scopefs"});
  std::string error;
  EXPECT_FALSE(mount.Start(&error));
  EXPECT_NE(error.find("no group named \"no-such-group-scopefs\""), std::string::npos) << error;
}

}  // namespace
}  // namespace scopefs::testing
