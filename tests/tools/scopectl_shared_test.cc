// Tests scopectl ls, rm and gc with --shared: the real binary against the real
// radosgw of the CTest fixture "radosgw" (tools/radosgw.sh; endpoint and keys
// in the env file named by SCOPEFS_TEST_S3_ENV). Without that file every test
// says SKIPPED.
//
// The scopes in the bucket are real: committed by a store::Store, published
// by an S3Tier. Each test works under a prefix of its own in one bucket.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "store/s3/manifest.h"
#include "store/s3/s3_tier.h"
#include "store/store.h"
#include "tests/support/radosgw_env.h"
#include "tests/support/scope_files.h"
#include "tests/support/shell.h"
#include "tools/scopectl/format.h"

namespace scopefs::tools {
namespace {

using store::Result;
using store::Status;
using testing::Quote;
using testing::ReadFile;
using testing::Shell;
using testing::ShellResult;

constexpr char kBucket[] = "scopectl-shared-tests";
constexpr int64_t kDayNs = int64_t{86400} * 1'000'000'000;

struct CtlResult {
  int exit_code = -1;
  std::string out;  // stdout only
  std::string err;
};

// The line of `text` that starts with `key` and a space ("" if none).
std::string LineOf(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(key + " ")) return line;
  }
  return "";
}

class ScopectlSharedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::ReadRadosgwEnv();
    if (env_["SCOPEFS_TEST_S3_ENDPOINT"].empty()) {
      GTEST_SKIP() << testing::kNoRadosgw;
    }
    region_ = env_["SCOPEFS_TEST_S3_REGION"].empty() ? "us-east-1" : env_["SCOPEFS_TEST_S3_REGION"];
    prefix_ = "ctl/" + testing::UniqueTestPrefix();
    // The keys reach scopectl in a credentials file, never on its command line.
    credentials_ = dir_.path() + "/credentials";
    std::ofstream(credentials_) << "[tests]\naws_access_key_id = " << env_["AWS_ACCESS_KEY_ID"]
                                << "\naws_secret_access_key = " << Secret() << "\n";
    ASSERT_EQ(::chmod(credentials_.c_str(), 0600), 0);

    s3::S3TierOptions options;
    options.endpoint = env_["SCOPEFS_TEST_S3_ENDPOINT"];
    options.region = region_;
    options.bucket = kBucket;
    options.prefix = prefix_;
    options.host = "host-a";
    options.transport.request_timeout = std::chrono::seconds(30);
    Result<std::unique_ptr<s3::S3Tier>> tier = s3::S3Tier::Create(
        options, s3::Credentials(env_["AWS_ACCESS_KEY_ID"], env_["AWS_SECRET_ACCESS_KEY"]));
    ASSERT_TRUE(tier.ok()) << tier.status().ToString();
    tier_ = std::move(tier).value();
    const Status created = tier_->client().CreateBucket();
    ASSERT_TRUE(created.ok()) << created.ToString();

    Result<std::unique_ptr<store::Store>> opened =
        store::Store::Open(store::PosixEnv(), store_dir_.path(), store::StoreOptions{});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  const std::string& Secret() { return env_["AWS_SECRET_ACCESS_KEY"]; }

  std::string TierOptions() {
    return "--shared " + Quote(std::string("s3://") + kBucket + "/" + prefix_ + "/") +
           " --shared-endpoint " + Quote(env_["SCOPEFS_TEST_S3_ENDPOINT"]) + " --shared-region " +
           Quote(region_) + " --shared-credentials " + Quote(credentials_) +
           " --shared-profile tests";
  }

  // Runs scopectl with `args` (already quoted). No secret may be in what it prints.
  CtlResult Ctl(const std::string& args) {
    const std::string out = dir_.path() + "/ctl.out", err = dir_.path() + "/ctl.err";
    ShellResult r =
        Shell(Quote(SCOPECTL_PATH) + " " + args + " >" + Quote(out) + " 2>" + Quote(err));
    CtlResult result{r.exit_code, ReadFile(out), ReadFile(err)};
    EXPECT_EQ(result.out.find(Secret()), std::string::npos) << "the secret on stdout";
    EXPECT_EQ(result.err.find(Secret()), std::string::npos) << "the secret on stderr";
    return result;
  }

  nlohmann::json Json(const std::string& args) {
    CtlResult r = Ctl(args + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // Commits `key` in the store, publishes it, and returns the bytes of its
  // stored files.
  uint64_t Publish(const std::string& key, uint64_t nodes) {
    const testing::ScopeFiles files = testing::MakeScopeFiles(nodes, nodes * 2, 7);
    std::shared_ptr<store::PendingScope> pending = testing::PendTestScope(*store_, key, files);
    EXPECT_NE(pending, nullptr);
    if (pending == nullptr) return 0;
    Result<std::shared_ptr<store::Scope>> scope = store_->Commit(pending);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    const std::string dir = store_->layout().scope_dir(key);
    uint64_t bytes = 0;
    Result<std::vector<std::string>> names = store::PosixEnv()->ListDir(dir);
    EXPECT_TRUE(names.ok()) << names.status().ToString();
    for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
      bytes += ReadFile(dir + "/" + name).size();
    }
    Result<uint64_t> published = tier_->Publish(key, dir);
    EXPECT_TRUE(published.ok()) << published.status().ToString();
    EXPECT_EQ(published.ok() ? *published : 0, bytes);
    return bytes;
  }

  // Rewrites `key`'s manifest as if it had been published `age_ns` ago.
  void Age(const std::string& key, int64_t age_ns) {
    const std::string name = tier_->layout().Manifest(key);
    Result<std::string> text = tier_->client().GetObject(name);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    Result<s3::Manifest> manifest = s3::ParseManifest(*text);
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    manifest->published_ns -= age_ns;
    const Status put =
        tier_->client().PutObject(name, s3::SerializeManifest(*manifest), s3::PutMode::kOverwrite);
    ASSERT_TRUE(put.ok()) << put.ToString();
  }

  // Every object key in the bucket under this test's prefix.
  std::vector<std::string> BucketKeys() {
    std::vector<std::string> keys;
    std::string token;
    do {
      Result<s3::ObjectListing> page = tier_->client().ListObjectsV2(prefix_ + "/", token);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const s3::ObjectSummary& object : page->objects) keys.push_back(object.key);
      token = page->next_continuation_token;
    } while (!token.empty());
    return keys;
  }

  size_t KeysUnder(const std::string& key) {
    size_t n = 0;
    for (const std::string& name : BucketKeys()) {
      if (name == tier_->layout().Manifest(key) ||
          name.starts_with(tier_->layout().ObjectsPrefix(key))) {
        ++n;
      }
    }
    return n;
  }

  std::map<std::string, std::string> env_;
  std::string region_;
  std::string prefix_;
  testing::TempDir dir_;
  testing::TempDir store_dir_;
  std::string credentials_;
  std::unique_ptr<s3::S3Tier> tier_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ScopectlSharedTest, LsListsWhatTheTierHoldsWithSizesAndPublisher) {
  CtlResult empty = Ctl("ls " + TierOptions());
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out.find("KEY"), 0u) << empty.out;
  EXPECT_EQ(std::count(empty.out.begin(), empty.out.end(), '\n'), 1) << empty.out;

  const uint64_t small = Publish("small", 2000);
  const uint64_t large = Publish("large", 40000);
  ASSERT_NE(small, large);

  nlohmann::json listed = Json("ls " + TierOptions());
  ASSERT_TRUE(listed.is_array()) << listed.dump();
  ASSERT_EQ(listed.size(), 2u) << listed.dump();
  EXPECT_EQ(listed[0]["key"], "large");  // key order
  EXPECT_EQ(listed[0]["bytes"], large);
  EXPECT_EQ(listed[1]["key"], "small");
  EXPECT_EQ(listed[1]["bytes"], small);
  for (const nlohmann::json& scope : listed) {
    EXPECT_EQ(scope["publisher"], "host-a");
    EXPECT_EQ(scope["objects"].size(), 6u) << scope.dump();  // with the index files
    uint64_t sum = 0;
    for (const nlohmann::json& object : scope["objects"]) sum += object["size"].get<uint64_t>();
    EXPECT_EQ(scope["bytes"], sum);
    const int64_t age = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() -
                        scope["published_ns"].get<int64_t>();
    EXPECT_GE(age, 0);
    EXPECT_LT(age, kDayNs);
    EXPECT_TRUE(scope["published_at"].is_string());
  }

  CtlResult table = Ctl("ls " + TierOptions());
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* header : {"KEY", "SIZE", "OBJECTS", "PUBLISHED", "PUBLISHER"}) {
    EXPECT_NE(table.out.find(header), std::string::npos) << table.out;
  }
  for (const auto& [key, bytes] : {std::pair{"large", large}, std::pair{"small", small}}) {
    const std::string line = LineOf(table.out, key);
    EXPECT_NE(line.find(" " + HumanSize(bytes) + " "), std::string::npos) << table.out;
    EXPECT_NE(line.find(" 6 "), std::string::npos) << table.out;  // objects
    EXPECT_NE(line.find("host-a"), std::string::npos) << table.out;
  }

  // The tier options may come before the command, as --mount may.
  CtlResult leading = Ctl(TierOptions() + " ls --json");
  ASSERT_EQ(leading.exit_code, 0) << leading.err;
  EXPECT_EQ(nlohmann::json::parse(leading.out, nullptr, false), listed);
}

TEST_F(ScopectlSharedTest, RmRemovesTheManifestAndEveryObject) {
  Publish("gone", 2000);
  Publish("stays", 2000);
  ASSERT_EQ(KeysUnder("gone"), 7u);  // six objects and the manifest

  CtlResult rm = Ctl("rm " + TierOptions() + " gone");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed gone"), std::string::npos) << rm.out;
  EXPECT_EQ(KeysUnder("gone"), 0u);
  EXPECT_EQ(KeysUnder("stays"), 7u);
  EXPECT_EQ(tier_->Find("gone").status().code(), Status::Code::kNotFound);

  // A key that is not there: a message and exit 1, and the other keys still go.
  CtlResult again = Ctl("rm " + TierOptions() + " gone stays");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no scope gone in s3://"), std::string::npos) << again.err;
  EXPECT_NE(again.out.find("removed stays"), std::string::npos) << again.out;
  EXPECT_TRUE(BucketKeys().empty());

  CtlResult none = Ctl("rm " + TierOptions());
  EXPECT_EQ(none.exit_code, 2) << none.err;
}

TEST_F(ScopectlSharedTest, GcRemovesScopesPublishedLongerAgoAndKeepsFreshOnes) {
  Publish("fresh", 2000);
  Publish("old", 3000);
  Publish("older", 3000);
  Age("old", 8 * kDayNs);
  Age("older", 30 * kDayNs);
  Age("fresh", kDayNs);

  CtlResult dry = Ctl("gc " + TierOptions() + " --older-than 7d --dry-run");
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("would remove old ("), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("would remove older ("), std::string::npos) << dry.out;
  EXPECT_EQ(dry.out.find("fresh ("), std::string::npos) << dry.out;
  EXPECT_EQ(KeysUnder("old"), 7u);
  EXPECT_EQ(KeysUnder("older"), 7u);

  nlohmann::json gc = Json("gc " + TierOptions() + " --older-than 7d");
  EXPECT_EQ(gc["removed"], 2) << gc.dump();
  EXPECT_EQ(gc["kept"], 1) << gc.dump();
  EXPECT_EQ(gc["dry_run"], false);
  ASSERT_EQ(gc["scopes"].size(), 2u) << gc.dump();
  EXPECT_EQ(gc["scopes"][0]["key"], "old");
  EXPECT_EQ(gc["scopes"][0]["status"], "removed");
  EXPECT_EQ(KeysUnder("old"), 0u);
  EXPECT_EQ(KeysUnder("older"), 0u);
  EXPECT_EQ(KeysUnder("fresh"), 7u);

  CtlResult hours = Ctl("gc " + TierOptions() + " --older-than 12h");
  ASSERT_EQ(hours.exit_code, 0) << hours.err;
  EXPECT_NE(hours.out.find("removed fresh ("), std::string::npos) << hours.out;
  EXPECT_NE(hours.out.find("removed 1 scopes"), std::string::npos) << hours.out;
  EXPECT_TRUE(BucketKeys().empty());

  for (const char* bad : {"", " --older-than 0", " --older-than 7w", " --older-than 7d KEY"}) {
    CtlResult r = Ctl("gc " + TierOptions() + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
  }
}

TEST_F(ScopectlSharedTest, CredentialsFromTheEnvironmentWithoutAFile) {
  Publish("k", 2000);
  const std::string options = "--shared " + Quote(std::string("s3://") + kBucket + "/" + prefix_) +
                              " --shared-endpoint " + Quote(env_["SCOPEFS_TEST_S3_ENDPOINT"]) +
                              " --shared-region " + Quote(region_);
  ::setenv("AWS_ACCESS_KEY_ID", env_["AWS_ACCESS_KEY_ID"].c_str(), 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", Secret().c_str(), 1);
  CtlResult listed = Ctl("ls " + options);
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(LineOf(listed.out, "k"), "") << listed.out;

  CtlResult none = Ctl("ls " + options);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no credentials"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << none.err;
}

TEST_F(ScopectlSharedTest, ACredentialsFileOthersCanReadIsRefused) {
  Publish("k", 2000);
  ASSERT_EQ(::chmod(credentials_.c_str(), 0644), 0);
  for (const std::string command : {"ls", "rm k", "gc --older-than 1d"}) {
    CtlResult r = Ctl(command + " " + TierOptions());
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_NE(r.err.find("--shared-credentials"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(credentials_), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(env_["AWS_ACCESS_KEY_ID"]), std::string::npos) << r.err;
  }
  EXPECT_EQ(KeysUnder("k"), 7u);  // nothing was removed
}

TEST_F(ScopectlSharedTest, AMissingBucketOrABadUrlIsAClearError) {
  const std::string missing = "no-such-bucket-" + std::to_string(getpid());
  for (const std::string command : {"ls", "rm k", "gc --older-than 1d"}) {
    CtlResult r = Ctl(command + " " + TierOptions() + " --shared s3://" + missing + "/p");
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_NE(
        r.err.find("bucket " + missing + " does not exist on " + env_["SCOPEFS_TEST_S3_ENDPOINT"]),
        std::string::npos)
        << r.err;
  }
  CtlResult bad = Ctl("ls " + TierOptions() + " --shared s3://Bad_Bucket");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--shared \"s3://Bad_Bucket\""), std::string::npos) << bad.err;
  CtlResult scheme = Ctl("ls " + TierOptions() + " --shared https://host/bucket");
  EXPECT_EQ(scheme.exit_code, 2);
  EXPECT_NE(scheme.err.find("expected s3://BUCKET[/PREFIX]"), std::string::npos) << scheme.err;
  // A cache option with --shared is refused, not silently ignored.
  CtlResult mixed = Ctl("ls " + TierOptions() + " --store /nonexistent");
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("--store"), std::string::npos) << mixed.err;
}

TEST_F(ScopectlSharedTest, HelpDescribesTheSharedForms) {
  for (const char* command : {"ls", "rm", "gc"}) {
    CtlResult help = Ctl(std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find(std::string("scopectl ") + command + " --shared s3://BUCKET"),
              std::string::npos)
        << help.out;
    EXPECT_NE(help.out.find("--shared-credentials FILE"), std::string::npos) << help.out;
    // The same help with --shared.
    EXPECT_EQ(Ctl(std::string(command) + " --shared s3://x --help").out, help.out);
  }
}

}  // namespace
}  // namespace scopefs::tools
