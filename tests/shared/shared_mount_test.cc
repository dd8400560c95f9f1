// Two scopefs daemons sharing one bucket of the real radosgw (the CTest
// fixture "radosgw"; endpoint and keys in the env file named by
// SCOPEFS_TEST_S3_ENV), as two hosts would: separate stores and mountpoints,
// the same `--shared s3://BUCKET/PREFIX`. Host A gets a scope by `cp -r` and
// publishes it; host B reads it through on its first lookup. Without the env
// file or FUSE every test says SKIPPED. Each test makes a fresh bucket.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/s3/tier_config.h"
#include "tests/mount/mount_test.h"
#include "tests/support/radosgw_env.h"

namespace scopefs::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class SharedMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_FUSE();
    env_ = ReadRadosgwEnv();
    if (env_["SCOPEFS_TEST_S3_ENDPOINT"].empty()) {
      GTEST_SKIP() << kNoRadosgw;
    }
    // The daemons take their credentials from the environment they inherit.
    ::setenv("AWS_ACCESS_KEY_ID", env_["AWS_ACCESS_KEY_ID"].c_str(), 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", env_["AWS_SECRET_ACCESS_KEY"].c_str(), 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    std::random_device random;
    url_ = "s3://scopefs-mount-" + std::to_string(random()) + "/fleet";
    s3::SharedTierConfig config;
    config.url = url_;
    config.endpoint = env_["SCOPEFS_TEST_S3_ENDPOINT"];
    store::Result<std::unique_ptr<s3::S3Tier>> tier = s3::OpenSharedTier(config);
    ASSERT_TRUE(tier.ok()) << tier.status().ToString();
    const store::Status created = (*tier)->client().CreateBucket();
    ASSERT_TRUE(created.ok()) << created.ToString();

    const std::vector<std::string> args = {"--shared",          url_,
                                           "--shared-endpoint", env_["SCOPEFS_TEST_S3_ENDPOINT"],
                                           "--shared-wait",     "60s"};
    a_ = std::make_unique<ScopefsMount>(a_dir_.path(), args);
    b_ = std::make_unique<ScopefsMount>(b_dir_.path(), args);
    std::string error;
    ASSERT_TRUE(a_->Start(&error)) << error;
    ASSERT_TRUE(b_->Start(&error)) << error;
  }

  void TearDown() override {
    for (ScopefsMount* m : {a_.get(), b_.get()}) {
      if (m == nullptr || !m->running()) continue;
      EXPECT_EQ(m->Stop(), 0) << m->log();
      const std::string secret = env_["AWS_SECRET_ACCESS_KEY"];
      EXPECT_EQ(m->log().find(secret), std::string::npos) << "a secret in the daemon's log";
    }
  }

  static nlohmann::json Stats(const ScopefsMount& m) {
    return nlohmann::json::parse(ReadFile(m.mnt() + "/.scopefs/stats.json"));
  }

  // Polls `m`'s stats.json until shared.publishes reaches `n` and nothing is
  // queued (bounded); the last stats.
  static nlohmann::json WaitPublished(const ScopefsMount& m, uint64_t n) {
    const auto deadline = Clock::now() + 60s;
    nlohmann::json stats = Stats(m);
    while (Clock::now() < deadline &&
           !(stats["shared"]["publishes"] == n && stats["shared"]["queued"] == 0)) {
      std::this_thread::sleep_for(100ms);
      stats = Stats(m);
    }
    return stats;
  }

  // The errno of stat(2) on `path` (0 if it succeeded), and how long it took.
  static std::pair<int, Clock::duration> StatErrno(const std::string& path) {
    const auto start = Clock::now();
    struct stat st;
    const int err = ::stat(path.c_str(), &st) == 0 ? 0 : errno;
    return {err, Clock::now() - start};
  }

  std::map<std::string, std::string> env_;
  std::string url_;
  TempDir a_dir_, b_dir_;
  std::unique_ptr<ScopefsMount> a_, b_;
};

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
  ScopefsMount c(c_dir.path(), {"--shared", url_, "--shared-endpoint",
                                env_["SCOPEFS_TEST_S3_ENDPOINT"], "--shared-wait", "2s"});
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
