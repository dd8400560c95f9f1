// The shared tier's failures through real mounts (issue 15), two daemons on
// one bucket as two hosts (the fixture: shared_mounts.h), driven by cp -r,
// stat and mkdir: radosgw stopped mid-test and started again; an object in
// the bucket overwritten with other bytes; a daemon killed with a publish
// queued, then restarted; a daemon killed holding a computation lease.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "store/layout.h"
#include "tests/shared/shared_mounts.h"

namespace scopefs::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The test radosgw's gateway stopped (its data stay) from Begin() until End()
// or the end of the scope: later tests share the server, so it is started
// again however the test ends.
class GatewayOutage {
 public:
  GatewayOutage(std::string script, std::string dir)
      : script_(std::move(script)), dir_(std::move(dir)) {}
  ~GatewayOutage() {
    if (!down_) return;
    ShellResult up = End();
    EXPECT_EQ(up.exit_code, 0) << "radosgw did not start again: " << up.output;
  }
  GatewayOutage(const GatewayOutage&) = delete;
  GatewayOutage& operator=(const GatewayOutage&) = delete;

  ShellResult Begin() {
    down_ = true;
    return Run("stop-rgw");
  }
  // Returns once radosgw answers again.
  ShellResult End() {
    ShellResult up = Run("start-rgw");
    if (up.exit_code == 0) down_ = false;
    return up;
  }

 private:
  ShellResult Run(const char* what) {
    return Shell(Quote(script_) + " " + what + " " + Quote(dir_) + " 2>&1", 150);
  }
  const std::string script_, dir_;
  bool down_ = false;
};

class SharedFailureTest : public SharedMountTest {
 protected:
  // An outage of this test's radosgw; null (the test skips) if the env file
  // does not say how to stop it.
  std::unique_ptr<GatewayOutage> Outage() {
    if (env_["RADOSGW_SH"].empty() || env_["RADOSGW_DIR"].empty()) return nullptr;
    return std::make_unique<GatewayOutage>(env_["RADOSGW_SH"], env_["RADOSGW_DIR"]);
  }

  // Every data file of `key` on `m` equals the source's, byte for byte.
  static void ExpectSameFiles(const std::string& src, const ScopefsMount& m,
                              const std::string& key) {
    for (const char* f : {"nodes.bits", "links.bits", "mappings.json"}) {
      ShellResult r =
          Shell("cmp " + Quote(src + "/" + f) + " " + Quote(m.mnt() + "/" + key + "/" + f));
      EXPECT_EQ(r.exit_code, 0) << key << "/" << f << ": " << r.output << m.log();
    }
  }

  // Stats `key` on `m` until it is there (a breaker open after an outage
  // lets a trial through only after its back-off); the last errno.
  static int WaitReadable(const ScopefsMount& m, const std::string& key) {
    int err = ENOENT;
    for (auto deadline = Clock::now() + 60s; Clock::now() < deadline;) {
      if ((err = StatErrno(m.mnt() + "/" + key).first) == 0) break;
      std::this_thread::sleep_for(500ms);
    }
    return err;
  }
};

TEST_F(SharedFailureTest, AnOutageCostsTheLocalCacheNothingAndItsQueueIsPublishedAfter) {
  std::unique_ptr<GatewayOutage> outage = Outage();
  if (!outage) GTEST_SKIP() << "the env file names no RADOSGW_SH/RADOSGW_DIR";
  ShellResult down = outage->Begin();
  ASSERT_EQ(down.exit_code, 0) << down.output;

  // A's add succeeds locally and reads at once, the tier not asked.
  const std::string& src = SmallScope();
  const auto cp_start = Clock::now();
  ShellResult cp = Shell("cp -r " + Quote(src) + " " + Quote(a_->mnt() + "/k1"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output << a_->log();
  EXPECT_LT(Clock::now() - cp_start, 5s * kSanitizerSlowdown);
  const auto read_start = Clock::now();
  ExpectSameFiles(src, *a_, "k1");
  EXPECT_LT(Clock::now() - read_start, 2s * kSanitizerSlowdown);

  // Its publish waits in the queue. The failed calls (the lookup, the lease,
  // the publish, whichever come first) open A's breaker.
  nlohmann::json a = Stats(*a_);
  for (auto deadline = Clock::now() + 60s;
       Clock::now() < deadline && a["shared"]["reachable"] != false;) {
    std::this_thread::sleep_for(200ms);
    a = Stats(*a_);
  }
  EXPECT_EQ(a["shared"]["reachable"], false) << a.dump(2);
  EXPECT_EQ(a["shared"]["queued"], 1) << a.dump(2);
  EXPECT_EQ(a["shared"]["publishes"], 0);
  // Every figure SPEC lists for `shared`.
  for (const char* field :
       {"url", "reachable", "fetches", "fetch_errors", "bytes_fetched", "publishes",
        "publish_errors", "bytes_published", "queued", "leases_held", "lease_waits"}) {
    EXPECT_TRUE(a["shared"].contains(field)) << field << " missing: " << a.dump(2);
  }

  // B's misses answer ENOENT within a few seconds.
  for (int i = 0; i < 2; ++i) {
    const auto [err, took] = StatErrno(b_->mnt() + "/k1");
    EXPECT_EQ(err, ENOENT);
    EXPECT_LT(took, 5s * kSanitizerSlowdown);
  }
  EXPECT_EQ(Shell("ls " + Quote(b_->mnt())).output, "");

  ShellResult up = outage->End();
  ASSERT_EQ(up.exit_code, 0) << up.output;
  a = WaitPublished(*a_, 1, 120s);
  ASSERT_EQ(a["shared"]["publishes"], 1) << a.dump(2) << a_->log();
  EXPECT_EQ(a["shared"]["queued"], 0);
  EXPECT_EQ(a["shared"]["reachable"], true);

  ASSERT_EQ(WaitReadable(*b_, "k1"), 0) << b_->log();
  ExpectSameFiles(src, *b_, "k1");
  const nlohmann::json b = Stats(*b_);
  EXPECT_EQ(b["shared"]["fetches"], 1) << b.dump(2);
  EXPECT_EQ(b["shared"]["fetch_errors"], 0);
  EXPECT_EQ(b["shared"]["reachable"], true);
}

TEST_F(SharedFailureTest, DamagedBytesInTheBucketAreNeverServedNorCommitted) {
  const std::string& src = SmallScope();
  ShellResult cp = Shell("cp -r " + Quote(src) + " " + Quote(a_->mnt() + "/k1"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  ASSERT_EQ(WaitPublished(*a_, 1)["shared"]["publishes"], 1) << a_->log();

  // Overwrite the published nodes.bits with other bytes of the same size.
  store::Result<store::SharedScope> found = tier_->Find("k1");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  const std::string object = tier_->layout().Object("k1", found->publish_id, store::kNodesFile);
  std::string bytes = ReadFile(a_->store() + "/scopes/k1/nodes.bits");
  ASSERT_FALSE(bytes.empty());
  for (char& c : bytes) c = static_cast<char>(~c);
  ASSERT_TRUE(tier_->client().PutObject(object, bytes, s3::PutMode::kOverwrite).ok());

  // B fetches it, finds the damage, and answers as for an absent key.
  EXPECT_EQ(StatErrno(b_->mnt() + "/k1").first, ENOENT);
  ShellResult cat = Shell("cat " + Quote(b_->mnt() + "/k1/nodes.bits") + " >/dev/null");
  EXPECT_NE(cat.exit_code, 0) << "damaged bytes were served";
  const nlohmann::json b = Stats(*b_);
  EXPECT_EQ(b["shared"]["fetch_errors"], 1) << b.dump(2);
  EXPECT_EQ(b["shared"]["fetches"], 0);
  const std::string log = b_->log();
  EXPECT_NE(log.find("rejected scope k1"), std::string::npos) << log;
  EXPECT_NE(log.find("nodes.bits"), std::string::npos) << log;
  // Nothing committed, nothing left staged.
  EXPECT_EQ(Shell("ls " + Quote(b_->mnt())).output, "");
  EXPECT_EQ(Shell("ls -A " + Quote(b_->store() + "/scopes")).output, "");
  EXPECT_EQ(Shell("ls -A " + Quote(b_->store() + "/staging")).output, "");
}

TEST_F(SharedFailureTest, AHostKilledWithAPublishQueuedPublishesItOnceRestarted) {
  std::unique_ptr<GatewayOutage> outage = Outage();
  if (!outage) GTEST_SKIP() << "the env file names no RADOSGW_SH/RADOSGW_DIR";
  ShellResult down = outage->Begin();
  ASSERT_EQ(down.exit_code, 0) << down.output;
  const std::string& src = SmallScope();
  ShellResult cp = Shell("cp -r " + Quote(src) + " " + Quote(a_->mnt() + "/k1"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output << a_->log();
  EXPECT_EQ(Stats(*a_)["shared"]["queued"], 1);

  a_->Kill();  // kill -9, and the dead mount cleared
  EXPECT_NE(ReadFile(a_->store() + "/shared-queue.json").find("\"k1\""), std::string::npos)
      << ReadFile(a_->store() + "/shared-queue.json");
  ShellResult up = outage->End();
  ASSERT_EQ(up.exit_code, 0) << up.output;

  std::string error;
  ASSERT_TRUE(a_->Start(&error)) << error;
  const nlohmann::json a = WaitPublished(*a_, 1);
  ASSERT_EQ(a["shared"]["publishes"], 1) << a.dump(2) << a_->log();
  EXPECT_EQ(a["shared"]["queued"], 0);
  ExpectSameFiles(src, *a_, "k1");

  ASSERT_EQ(WaitReadable(*b_, "k1"), 0) << b_->log();
  ExpectSameFiles(src, *b_, "k1");
  EXPECT_EQ(Stats(*b_)["shared"]["fetches"], 1);
}

// Short leases, and lookups that wait for one at most 1 s, so that a mkdir
// on B answers while A's lease is live.
class SharedLeaseExpiryTest : public SharedMountTest {
 protected:
  std::vector<std::string> ExtraArgs() const override {
    return {"--shared-lease", "6s", "--shared-wait", "1s"};
  }
};

TEST_F(SharedLeaseExpiryTest, AHostKilledHoldingALeaseBlocksTheKeyUntilTheLeaseExpires) {
  const auto before = Clock::now();
  ASSERT_EQ(::mkdir((a_->mnt() + "/k1").c_str(), 0755), 0) << std::strerror(errno);
  EXPECT_EQ(Stats(*a_)["shared"]["leases_held"], 1);
  a_->Kill();  // the lease is never released

  errno = 0;
  EXPECT_EQ(::mkdir((b_->mnt() + "/k1").c_str(), 0755), -1);
  EXPECT_EQ(errno, EBUSY);
  ASSERT_LT(Clock::now() - before, 6s) << "too slow to see the lease live";
  EXPECT_NE(b_->log().find("mkdir k1: another host is computing it"), std::string::npos)
      << b_->log();

  // Once the lease has expired, B may compute the scope itself.
  int err = EBUSY;
  while (Clock::now() < before + 30s) {
    if (::mkdir((b_->mnt() + "/k1").c_str(), 0755) == 0) {
      err = 0;
      break;
    }
    err = errno;
    ASSERT_EQ(err, EBUSY) << std::strerror(err);
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_EQ(err, 0) << b_->log();
  EXPECT_GE(Clock::now() - before, 6s) << "a mkdir succeeded while A's lease was live";
  EXPECT_EQ(Stats(*b_)["shared"]["leases_held"], 1);
  ShellResult cp = Shell("cp -r " + Quote(SmallScope() + "/.") + " " + Quote(b_->mnt() + "/k1/"));
  ASSERT_EQ(cp.exit_code, 0) << cp.output;
  EXPECT_EQ(WaitPublished(*b_, 1)["shared"]["publishes"], 1) << b_->log();
}

}  // namespace
}  // namespace scopefs::testing
