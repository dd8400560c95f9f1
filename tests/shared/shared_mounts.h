// The fixture of the shared mount tests: two scopefs daemons sharing one
// bucket of the real radosgw (the CTest fixture "radosgw"; endpoint and keys
// in the env file named by SCOPEFS_TEST_S3_ENV), as two hosts would: separate
// stores and mountpoints, the same `--shared s3://BUCKET/PREFIX`. Each test
// gets a fresh bucket; without the env file or FUSE it says SKIPPED. At
// teardown every daemon still running must exit 0 with no secret in its log.
// Not thread-safe; for the test's main thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/s3/tier_config.h"
#include "tests/mount/mount_test.h"
#include "tests/support/radosgw_env.h"

namespace scopefs::testing {

class SharedMountTest : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

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
    tier_ = std::move(tier).value();
    const store::Status created = tier_->client().CreateBucket();
    ASSERT_TRUE(created.ok()) << created.ToString();

    a_ = std::make_unique<ScopefsMount>(a_dir_.path(), Args());
    b_ = std::make_unique<ScopefsMount>(b_dir_.path(), Args());
    std::string error;
    ASSERT_TRUE(a_->Start(&error)) << error;
    ASSERT_TRUE(b_->Start(&error)) << error;
  }

  void TearDown() override {
    for (ScopefsMount* m : {a_.get(), b_.get()}) {
      if (m == nullptr) continue;
      if (m->running()) {
        EXPECT_EQ(m->Stop(), 0) << m->log();
      }
      const std::string secret = env_["AWS_SECRET_ACCESS_KEY"];
      EXPECT_EQ(m->log().find(secret), std::string::npos) << "a secret in the daemon's log";
    }
  }

  // What both hosts get after the --shared options: later options win.
  virtual std::vector<std::string> ExtraArgs() const { return {}; }
  // A host's options: the bucket, the endpoint, a wait of `wait`, ExtraArgs().
  std::vector<std::string> Args(const std::string& wait = "60s") const {
    std::vector<std::string> args = {"--shared",          url_,
                                     "--shared-endpoint", env_.at("SCOPEFS_TEST_S3_ENDPOINT"),
                                     "--shared-wait",     wait};
    for (std::string& arg : ExtraArgs()) args.push_back(std::move(arg));
    return args;
  }

  static nlohmann::json Stats(const ScopefsMount& m) {
    return nlohmann::json::parse(ReadFile(m.mnt() + "/.scopefs/stats.json"));
  }

  // Polls `m`'s stats.json until shared.publishes reaches `n` and nothing is
  // queued, for up to `timeout`; the last stats.
  static nlohmann::json WaitPublished(const ScopefsMount& m, uint64_t n,
                                      Clock::duration timeout = std::chrono::seconds(60)) {
    const auto deadline = Clock::now() + timeout;
    nlohmann::json stats = Stats(m);
    while (Clock::now() < deadline &&
           !(stats["shared"]["publishes"] == n && stats["shared"]["queued"] == 0)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
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
  std::unique_ptr<s3::S3Tier> tier_;  // the bucket itself, as the tests look at it
  TempDir a_dir_, b_dir_;
  std::unique_ptr<ScopefsMount> a_, b_;
};

}  // namespace scopefs::testing
