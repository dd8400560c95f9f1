// Two scopefs daemons sharing one bucket of the real radosgw, as two hosts
// (the fixture: shared_mounts.h): host A gets a scope by `cp -r` and
// publishes it; host B reads it through on its first lookup; an absent key,
// a lease, no --shared, a missing bucket. The failures (an outage, damage,
// crashes) are shared_failure_test.cc.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/shared/shared_mounts.h"

namespace scopefs::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_F(SharedMountTest, AScopeCopiedInOnOneHostIsReadThroughOnTheOther) {
  const std::string& src = SmallScope();
  ShellResult cp = Shell("cp -r " + Quote(src) + " " + Quote(a_->mnt() + "/k1"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  const nlohmann::json a = WaitPublished(*a_, 1);
  ASSERT_EQ(a["shared"]["publishes"], 1) << a.dump(2) << a_->log();
  EXPECT_EQ(a["shared"]["queued"], 0);
  EXPECT_EQ(a["shared"]["publish_errors"], 0);
  EXPECT_EQ(a["shared"]["url"], url_);
  EXPECT_EQ(a["shared"]["reachable"], true);

  // B has never seen k1: its first lookup fetches it.
  EXPECT_EQ(Shell("ls " + Quote(b_->mnt())).output, "");
  for (const char* f : {"nodes.bits", "links.bits", "mappings.json"}) {
    ShellResult r = Shell("cmp " + Quote(src + "/" + f) + " " + Quote(b_->mnt() + "/k1/" + f));
    EXPECT_EQ(r.exit_code, 0) << f << ": " << r.output << b_->log();
  }
  const nlohmann::json b = Stats(*b_);
  EXPECT_EQ(b["shared"]["fetches"], 1) << b.dump(2);
  EXPECT_EQ(b["shared"]["fetch_errors"], 0);
  EXPECT_EQ(b["shared"]["bytes_fetched"], a["shared"]["bytes_published"]);
  EXPECT_EQ(b["adopted"], 1);
  EXPECT_EQ(b["commits"], 0);
  EXPECT_EQ(Shell("ls " + Quote(b_->mnt())).output, "k1\n");
  // B does not publish back what it fetched.
  EXPECT_EQ(Stats(*b_)["shared"]["publishes"], 0);

  const std::string metrics = ReadFile(b_->mnt() + "/.scopefs/metrics");
  EXPECT_NE(metrics.find("\nscopefs_shared_fetches_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nscopefs_shared_reachable 1\n"), std::string::npos) << metrics;
}

TEST_F(SharedMountTest, AnAbsentKeyIsENOENTAndRememberedForTenSeconds) {
  const auto [err, took] = StatErrno(b_->mnt() + "/late");
  const auto asked = Clock::now();
  EXPECT_EQ(err, ENOENT);
  EXPECT_LT(took, 5s);
  // Names that cannot be keys never reach the tier.
  EXPECT_EQ(StatErrno(b_->mnt() + "/.late.XyZ123").first, ENOENT);

  // A publishes `late` now; B, having heard "absent" less than 10 s ago,
  // does not ask again: still ENOENT, though the tier has it.
  ShellResult cp = Shell("cp -r " + Quote(SmallScope()) + " " + Quote(a_->mnt() + "/late"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  ASSERT_EQ(WaitPublished(*a_, 1)["shared"]["publishes"], 1) << a_->log();
  ASSERT_LT(Clock::now() - asked, 9s) << "the publish took too long to show the negative cache";
  EXPECT_EQ(StatErrno(b_->mnt() + "/late").first, ENOENT);
  EXPECT_EQ(Stats(*b_)["shared"]["fetches"], 0);

  // Once the 10 s are over, the lookup asks again and reads it through.
  std::this_thread::sleep_until(asked + 10500ms);
  EXPECT_EQ(StatErrno(b_->mnt() + "/late").first, 0) << b_->log();
  EXPECT_EQ(Stats(*b_)["shared"]["fetches"], 1);
}

TEST_F(SharedMountTest, AMkdirTakesALeaseThatOtherHostsWaitFor) {
  ASSERT_EQ(::mkdir((a_->mnt() + "/k2").c_str(), 0755), 0) << std::strerror(errno);
  EXPECT_EQ(Stats(*a_)["shared"]["leases_held"], 1);
  // Another host may not compute it too. Its mkdir first looks the key up,
  // which waits for A's scope (here at most 2 s), then is refused.
  TempDir c_dir;
  ScopefsMount c(c_dir.path(), Args("2s"));
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  const auto start = Clock::now();
  errno = 0;
  EXPECT_EQ(::mkdir((c.mnt() + "/k2").c_str(), 0755), -1);
  EXPECT_EQ(errno, EBUSY);
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_NE(c.log().find("mkdir k2: another host is computing it"), std::string::npos) << c.log();
  EXPECT_EQ(Shell("ls " + Quote(c.mnt())).output, "");
  EXPECT_EQ(c.Stop(), 0) << c.log();
  // A lookup on B waits for A's scope, then reads it through.
  int looked_up = -1;
  std::thread reader([&] { looked_up = StatErrno(b_->mnt() + "/k2/nodes.bits").first; });
  std::this_thread::sleep_for(500ms);  // B is waiting (it asks the tier at once)
  ShellResult cp = Shell("cp -r " + Quote(SmallScope() + "/.") + " " + Quote(a_->mnt() + "/k2/"));
  reader.join();
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  EXPECT_EQ(looked_up, 0) << b_->log();
  const nlohmann::json b = Stats(*b_);
  EXPECT_EQ(b["shared"]["fetches"], 1) << b.dump(2);
  EXPECT_EQ(b["shared"]["lease_waits"], 1) << b.dump(2);
  ShellResult cmp = Shell("cmp " + Quote(SmallScope() + "/nodes.bits") + " " +
                          Quote(b_->mnt() + "/k2/nodes.bits"));
  EXPECT_EQ(cmp.exit_code, 0) << cmp.output;
  // Published, A lets its lease go (the keeper looks every second).
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline && Stats(*a_)["shared"]["leases_held"] != 0) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(Stats(*a_)["shared"]["leases_held"], 0) << a_->log();
}

TEST_F(SharedMountTest, AMkdirOfAKeyAnotherHostPublishedIsEEXISTAndReadsItThrough) {
  // B asks for k3 first: absent, and remembered as absent for 10 s.
  const auto asked = Clock::now();
  ASSERT_EQ(StatErrno(b_->mnt() + "/k3").first, ENOENT);
  // A computes k3 meanwhile: its mkdir takes the lease, its publish lets it go.
  ShellResult cp = Shell("cp -r " + Quote(SmallScope()) + " " + Quote(a_->mnt() + "/k3"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  ASSERT_EQ(WaitPublished(*a_, 1)["shared"]["publishes"], 1) << a_->log();
  // B's lookup still says absent, so its mkdir reaches the daemon. Once A has
  // let the lease go (EBUSY until then), B takes it, but the daemon finds the
  // manifest behind it and refuses: the scope is not computed twice. B's next
  // lookup reads it through.
  int mkdir_errno = EBUSY;
  while (mkdir_errno == EBUSY && Clock::now() - asked < 9s) {
    std::this_thread::sleep_for(100ms);
    mkdir_errno = ::mkdir((b_->mnt() + "/k3").c_str(), 0755) == 0 ? 0 : errno;
  }
  ASSERT_LT(Clock::now() - asked, 9s) << "too slow to show the negative cache";
  EXPECT_EQ(mkdir_errno, EEXIST) << b_->log();
  EXPECT_EQ(StatErrno(b_->mnt() + "/k3/nodes.bits").first, 0) << b_->log();
  EXPECT_EQ(Shell("ls -a " + Quote(b_->mnt() + "/k3")).output.find(".status"), std::string::npos);
  const nlohmann::json b = Stats(*b_);
  EXPECT_EQ(b["shared"]["fetches"], 1) << b.dump(2);
  EXPECT_EQ(b["shared"]["leases_held"], 0) << b.dump(2);
  ShellResult cmp = Shell("cmp " + Quote(SmallScope() + "/mappings.json") + " " +
                          Quote(b_->mnt() + "/k3/mappings.json"));
  EXPECT_EQ(cmp.exit_code, 0) << cmp.output;
}

TEST_F(SharedMountTest, WithoutTheOptionStatsHaveNoSharedObject) {
  TempDir dir;
  ScopefsMount local(dir.path());
  std::string error;
  ASSERT_TRUE(local.Start(&error)) << error;
  EXPECT_FALSE(Stats(local).contains("shared"));
  EXPECT_EQ(ReadFile(local.mnt() + "/.scopefs/metrics").find("scopefs_shared_"), std::string::npos);
  EXPECT_EQ(local.Stop(), 0) << local.log();
}

TEST_F(SharedMountTest, AMissingBucketRunsLocalOnly) {
  TempDir dir;
  ScopefsMount local(dir.path(), {"--shared", "s3://scopefs-no-such-bucket/p", "--shared-endpoint",
                                  env_["SCOPEFS_TEST_S3_ENDPOINT"]});
  std::string error;
  ASSERT_TRUE(local.Start(&error)) << error;
  EXPECT_NE(local.log().find("shared tier s3://scopefs-no-such-bucket/p: bucket not found; "
                             "running local-only"),
            std::string::npos)
      << local.log();
  EXPECT_FALSE(Stats(local).contains("shared"));
  EXPECT_EQ(StatErrno(local.mnt() + "/k1").first, ENOENT);
  EXPECT_EQ(local.Stop(), 0) << local.log();
}

}  // namespace
}  // namespace scopefs::testing
