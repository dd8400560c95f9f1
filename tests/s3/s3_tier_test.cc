// S3Tier against the real radosgw of the CTest fixture "radosgw"
// (tools/radosgw.sh; endpoint and keys in the env file named by
// SCOPEFS_TEST_S3_ENV). Without that file every test says SKIPPED.
//
// The scopes are real: committed by a store::Store in a temporary directory.
// Each test works under a key prefix of its own in one bucket.
#include "store/s3/s3_tier.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/layout.h"
#include "store/s3/s3_error.h"
#include "store/store.h"
#include "tests/support/radosgw_env.h"
#include "tests/support/scope_files.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::SharedLease;
using store::SharedListing;
using store::SharedScope;
using store::Status;

constexpr char kBucket[] = "s3-tier-tests";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> FilesIn(const std::string& dir) {
  Result<std::vector<std::string>> names = store::PosixEnv()->ListDir(dir);
  EXPECT_TRUE(names.ok()) << names.status().ToString();
  std::vector<std::string> sorted = names.ok() ? *names : std::vector<std::string>{};
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

class S3TierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::ReadRadosgwEnv();
    if (env_["SCOPEFS_TEST_S3_ENDPOINT"].empty()) {
      GTEST_SKIP() << testing::kNoRadosgw;
    }
    prefix_ = "tier/" + testing::UniqueTestPrefix();
    tier_ = NewTier("host-a");
    ASSERT_NE(tier_, nullptr);
    const Status created = tier_->client().CreateBucket();
    ASSERT_TRUE(created.ok()) << created.ToString();

    store::StoreOptions options;
    options.commit.codec.chunk_size = 4096;  // many gzip members even in a small scope
    Result<std::unique_ptr<store::Store>> opened =
        store::Store::Open(store::PosixEnv(), store_dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  S3TierOptions Options(const std::string& host) {
    S3TierOptions options;
    options.endpoint = env_["SCOPEFS_TEST_S3_ENDPOINT"];
    options.region =
        env_["SCOPEFS_TEST_S3_REGION"].empty() ? "us-east-1" : env_["SCOPEFS_TEST_S3_REGION"];
    options.bucket = kBucket;
    options.prefix = prefix_;
    options.host = host;
    options.transport.request_timeout = std::chrono::seconds(30);
    return options;
  }

  std::unique_ptr<S3Tier> NewTier(const std::string& host) { return NewTier(Options(host)); }
  std::unique_ptr<S3Tier> NewTier(S3TierOptions options) {
    Result<std::unique_ptr<S3Tier>> tier = S3Tier::Create(
        std::move(options), Credentials(env_["AWS_ACCESS_KEY_ID"], env_["AWS_SECRET_ACCESS_KEY"]));
    EXPECT_TRUE(tier.ok()) << tier.status().ToString();
    return tier.ok() ? std::move(tier).value() : nullptr;
  }

  // Commits `key` in the store (with its index files) and returns its directory.
  std::string CommitScope(const std::string& key, uint64_t nodes = 3000, uint32_t seed = 1) {
    const testing::ScopeFiles files = testing::MakeScopeFiles(nodes, nodes * 2, seed);
    std::shared_ptr<store::PendingScope> pending = testing::PendTestScope(*store_, key, files);
    EXPECT_NE(pending, nullptr);
    if (pending == nullptr) return "";
    Result<std::shared_ptr<store::Scope>> scope = store_->Commit(pending);
    EXPECT_TRUE(scope.ok()) << scope.status().ToString();
    return store_->layout().scope_dir(key);
  }

  // Every object key under the tier's objects/KEY/.
  std::vector<std::string> ObjectKeys(const S3Tier& tier, const std::string& key) {
    Result<ObjectListing> listing = tier.client().ListObjectsV2(tier.layout().ObjectsPrefix(key));
    EXPECT_TRUE(listing.ok()) << listing.status().ToString();
    std::vector<std::string> keys;
    if (listing.ok()) {
      for (const ObjectSummary& object : listing->objects) keys.push_back(object.key);
    }
    return keys;
  }

  std::map<std::string, std::string> env_;
  std::string prefix_;
  std::unique_ptr<S3Tier> tier_;
  testing::TempDir store_dir_;
  std::unique_ptr<store::Store> store_;
  testing::TempDir fetch_dir_;
};

TEST_F(S3TierTest, ProbeFindsTheBucketAndNotAMissingOne) {
  EXPECT_EQ(tier_->url(), std::string("s3://") + kBucket + "/" + prefix_);
  const Status ok = tier_->Probe();
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  S3TierOptions options = Options("host-a");
  options.bucket = "no-such-bucket-" + std::to_string(getpid());
  const Status missing = NewTier(options)->Probe();
  EXPECT_EQ(missing.code(), Status::Code::kNotFound) << missing.ToString();
}

TEST_F(S3TierTest, PublishFindFetchRoundTripsEveryByte) {
  const std::string dir = CommitScope("round-trip");
  const std::vector<std::string> stored = FilesIn(dir);
  ASSERT_EQ(stored.size(), 6u);  // the four files and the two index files
  uint64_t stored_bytes = 0;
  for (const std::string& name : stored) stored_bytes += ReadFile(dir + "/" + name).size();

  Result<uint64_t> published = tier_->Publish("round-trip", dir);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(*published, stored_bytes);

  Result<SharedScope> found = tier_->Find("round-trip");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->key, "round-trip");
  EXPECT_EQ(found->publisher, "host-a");
  EXPECT_EQ(found->bytes, stored_bytes);
  ASSERT_EQ(found->objects.size(), 6u);
  EXPECT_EQ(found->objects[0].name, store::kNodesFile);  // in the order of the upload
  EXPECT_EQ(found->objects[3].name, store::kMetaFile);

  // Small ranges, so that objects come down in many pieces.
  S3TierOptions options = Options("host-b");
  options.range_bytes = 4096;
  std::unique_ptr<S3Tier> reader = NewTier(options);
  Result<uint64_t> fetched = reader->Fetch(*found, fetch_dir_.path());
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, stored_bytes);
  ASSERT_EQ(FilesIn(fetch_dir_.path()), stored);
  for (const std::string& name : stored) {
    EXPECT_EQ(ReadFile(fetch_dir_.path() + "/" + name), ReadFile(dir + "/" + name)) << name;
  }
  // A second fetch into the same directory refuses to overwrite.
  Result<uint64_t> again = reader->Fetch(*found, fetch_dir_.path());
  EXPECT_EQ(again.status().code(), Status::Code::kExists) << again.status().ToString();
  EXPECT_EQ(FilesIn(fetch_dir_.path()), stored);
}

// Objects of several default ranges (8 MiB) each, with one thread and with
// four. The timings go to the test's output (rough: the first publish to a
// fresh radosgw also pays its warm-up). SCOPEFS_S3_TIER_TEST_MB sets the
// scope's size (default 24).
TEST_F(S3TierTest, LargeObjectsGoUpAndComeDownInRanges) {
  const char* mb = std::getenv("SCOPEFS_S3_TIER_TEST_MB");
  const uint64_t total = (mb != nullptr ? std::strtoull(mb, nullptr, 10) : 24) << 20;
  // Not a valid scope (the tier does not look inside), only its file names.
  const std::string dir = store_dir_.path() + "/large";
  ASSERT_TRUE(store::PosixEnv()->MakeDir(dir).ok());
  std::mt19937_64 random(3);
  const std::pair<std::string_view, uint64_t> files[] = {{store::kNodesFile, total / 2 + 1},
                                                         {store::kLinksFile, total / 4},
                                                         {store::kMappingsGzFile, total / 4 - 1},
                                                         {store::kMetaFile, 100}};
  for (const auto& [name, size] : files) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    std::ofstream(dir + "/" + std::string(name), std::ios::binary) << bytes;
  }
  for (size_t threads : {1, 4}) {
    const std::string key = "large-" + std::to_string(threads);
    S3TierOptions options = Options("host-a");
    options.threads = threads;
    std::unique_ptr<S3Tier> tier = NewTier(options);
    const auto t0 = std::chrono::steady_clock::now();
    Result<uint64_t> published = tier->Publish(key, dir);
    ASSERT_TRUE(published.ok()) << published.status().ToString();
    const auto t1 = std::chrono::steady_clock::now();
    Result<SharedScope> found = tier->Find(key);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    const std::string into = fetch_dir_.path() + "/" + key;
    ASSERT_TRUE(store::PosixEnv()->MakeDir(into).ok());
    Result<uint64_t> fetched = tier->Fetch(*found, into);
    ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
    const auto t2 = std::chrono::steady_clock::now();
    EXPECT_EQ(*published, *fetched);
    for (const auto& [name, size] : files) {
      EXPECT_EQ(ReadFile(into + "/" + std::string(name)), ReadFile(dir + "/" + std::string(name)))
          << name;
    }
    using Ms = std::chrono::milliseconds;
    std::cout << *published / 1000000 << " MB with " << threads << " thread(s): publish "
              << std::chrono::duration_cast<Ms>(t1 - t0).count() << " ms, find + fetch "
              << std::chrono::duration_cast<Ms>(t2 - t1).count() << " ms\n";
  }
}

TEST_F(S3TierTest, SecondPublisherGetsExistsAndItsObjectsAreGone) {
  const std::string dir = CommitScope("contested");
  ASSERT_TRUE(tier_->Publish("contested", dir).ok());
  const std::string winner = tier_->Find("contested")->publish_id;

  std::unique_ptr<S3Tier> other = NewTier("host-b");
  Result<uint64_t> second = other->Publish("contested", dir);
  EXPECT_EQ(second.status().code(), Status::Code::kExists) << second.status().ToString();

  const std::vector<std::string> keys = ObjectKeys(*tier_, "contested");
  EXPECT_EQ(keys.size(), 6u);
  for (const std::string& key : keys) {
    EXPECT_NE(key.find("/" + winner + "/"), std::string::npos) << key << " is a loser's";
  }
  EXPECT_EQ(tier_->Find("contested")->publish_id, winner);
  EXPECT_EQ(tier_->Find("contested")->publisher, "host-a");
}

TEST_F(S3TierTest, DamagedObjectFailsFetchWithCorruptionAndLeavesNoFiles) {
  const std::string dir = CommitScope("damaged");
  ASSERT_TRUE(tier_->Publish("damaged", dir).ok());
  Result<SharedScope> found = tier_->Find("damaged");
  ASSERT_TRUE(found.ok()) << found.status().ToString();

  // The same size, one byte changed: only the SHA-256 tells.
  const std::string links_key = tier_->layout().Object("damaged", found->publish_id, "links.bits");
  std::string links = ReadFile(dir + "/links.bits");
  ASSERT_FALSE(links.empty());
  links[links.size() / 2] = static_cast<char>(links[links.size() / 2] ^ 0x10);
  ASSERT_TRUE(tier_->client().PutObject(links_key, links, PutMode::kOverwrite).ok());
  Result<uint64_t> fetched = tier_->Fetch(*found, fetch_dir_.path());
  EXPECT_EQ(fetched.status().code(), Status::Code::kCorruption) << fetched.status().ToString();
  EXPECT_NE(fetched.status().message().find("links.bits"), std::string::npos)
      << fetched.status().ToString();
  EXPECT_TRUE(FilesIn(fetch_dir_.path()).empty());

  // A different size: the HEAD before the download tells.
  const std::string meta_key = tier_->layout().Object("damaged", found->publish_id, "meta.json");
  ASSERT_TRUE(tier_->client().PutObject(meta_key, "{}", PutMode::kOverwrite).ok());
  ASSERT_TRUE(tier_->client()
                  .PutObject(links_key, ReadFile(dir + "/links.bits"), PutMode::kOverwrite)
                  .ok());
  fetched = tier_->Fetch(*found, fetch_dir_.path());
  EXPECT_EQ(fetched.status().code(), Status::Code::kCorruption) << fetched.status().ToString();
  EXPECT_NE(fetched.status().message().find("meta.json"), std::string::npos)
      << fetched.status().ToString();
  EXPECT_TRUE(FilesIn(fetch_dir_.path()).empty());
}

TEST_F(S3TierTest, FindOfAnAbsentKeyIsNotFound) {
  Result<SharedScope> found = tier_->Find("never-published");
  EXPECT_EQ(found.status().code(), Status::Code::kNotFound) << found.status().ToString();
  EXPECT_EQ(tier_->Find("../escape").status().code(), Status::Code::kInvalid);
}

TEST_F(S3TierTest, ManifestNamingAnotherKeyIsCorruption) {
  ASSERT_TRUE(tier_->Publish("real", CommitScope("real")).ok());
  Result<std::string> manifest = tier_->client().GetObject(tier_->layout().Manifest("real"));
  ASSERT_TRUE(manifest.ok());
  ASSERT_TRUE(tier_->client()
                  .PutObject(tier_->layout().Manifest("copy"), *manifest, PutMode::kIfAbsent)
                  .ok());
  EXPECT_EQ(tier_->Find("copy").status().code(), Status::Code::kCorruption);
  ASSERT_TRUE(
      tier_->client().PutObject(tier_->layout().Manifest("junk"), "{", PutMode::kIfAbsent).ok());
  EXPECT_EQ(tier_->Find("junk").status().code(), Status::Code::kCorruption);
}

TEST_F(S3TierTest, ListGivesEveryScopeInKeyOrder) {
  Result<SharedListing> empty = tier_->List();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->scopes.empty());
  EXPECT_TRUE(empty->unreadable.empty());
  // S3 lists "a-b.json" before "a.json" ('-' < '.'), the reverse of key order.
  for (const std::string key : {"b", "a-b", "a"}) {
    ASSERT_TRUE(tier_->Publish(key, CommitScope(key, 100)).ok()) << key;
  }
  Result<SharedListing> listing = tier_->List();
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  EXPECT_TRUE(listing->unreadable.empty());
  const std::vector<SharedScope>& listed = listing->scopes;
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].key, "a");
  EXPECT_EQ(listed[1].key, "a-b");
  EXPECT_EQ(listed[2].key, "b");
  for (const SharedScope& scope : listed) {
    EXPECT_EQ(scope.publisher, "host-a");
    EXPECT_GT(scope.bytes, 0u);
    EXPECT_EQ(scope.objects.size(), 6u);
  }
}

// One damaged manifest (not JSON, or naming another key) is skipped and
// reported; the rest are listed.
TEST_F(S3TierTest, ListSkipsAManifestThatDoesNotParseAndListsTheRest) {
  for (const std::string key : {"a", "c"}) {
    ASSERT_TRUE(tier_->Publish(key, CommitScope(key, 100)).ok()) << key;
  }
  ASSERT_TRUE(
      tier_->client().PutObject(tier_->layout().Manifest("b"), "{", PutMode::kIfAbsent).ok());
  Result<std::string> manifest = tier_->client().GetObject(tier_->layout().Manifest("a"));
  ASSERT_TRUE(manifest.ok());
  ASSERT_TRUE(tier_->client()
                  .PutObject(tier_->layout().Manifest("copy"), *manifest, PutMode::kIfAbsent)
                  .ok());
  Result<SharedListing> listing = tier_->List();
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(listing->scopes.size(), 2u);
  EXPECT_EQ(listing->scopes[0].key, "a");
  EXPECT_EQ(listing->scopes[1].key, "c");
  ASSERT_EQ(listing->unreadable.size(), 2u);
  for (const Status& skipped : listing->unreadable) {
    EXPECT_EQ(skipped.code(), Status::Code::kCorruption) << skipped.ToString();
  }
  EXPECT_NE(listing->unreadable[0].message().find(tier_->layout().Manifest("b")), std::string::npos)
      << listing->unreadable[0].ToString();
  EXPECT_NE(listing->unreadable[1].message().find(tier_->layout().Manifest("copy")),
            std::string::npos)
      << listing->unreadable[1].ToString();
}

TEST_F(S3TierTest, RemoveDeletesTheManifestAndEveryObject) {
  ASSERT_TRUE(tier_->Publish("gone", CommitScope("gone")).ok());
  // A loser's leftover that a crash kept from being deleted.
  const std::string leftover = tier_->layout().Object("gone", NewPublishId(), "nodes.bits");
  ASSERT_TRUE(tier_->client().PutObject(leftover, "x", PutMode::kIfAbsent).ok());
  ASSERT_EQ(ObjectKeys(*tier_, "gone").size(), 7u);

  const Status removed = tier_->Remove("gone");
  ASSERT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_EQ(tier_->Find("gone").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(ObjectKeys(*tier_, "gone").empty());
  EXPECT_EQ(tier_->Remove("gone").code(), Status::Code::kNotFound);
  // The key can be published again.
  EXPECT_TRUE(tier_->Publish("gone", store_->layout().scope_dir("gone")).ok());
}

TEST_F(S3TierTest, LeaseIsExclusiveUntilReleased) {
  Result<SharedLease> lease = tier_->AcquireLease("busy", std::chrono::seconds(60));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ(lease->holder, "host-a:" + std::to_string(getpid()));

  std::unique_ptr<S3Tier> other = NewTier("host-b");
  Result<SharedLease> second = other->AcquireLease("busy", std::chrono::seconds(60));
  EXPECT_EQ(second.status().code(), Status::Code::kExists) << second.status().ToString();
  EXPECT_NE(second.status().message().find("held by host-a:"), std::string::npos)
      << second.status().ToString();

  Result<SharedLease> found = other->FindLease("busy");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, lease->id);
  EXPECT_EQ(found->holder, lease->holder);

  // Renewal proves ownership with the id.
  SharedLease forged = *lease;
  forged.id = NewPublishId();
  EXPECT_EQ(other->RenewLease(forged, std::chrono::seconds(60)).code(), Status::Code::kExists);
  const int64_t before = lease->expires_ns;
  const Status renewed = tier_->RenewLease(*lease, std::chrono::seconds(120));
  ASSERT_TRUE(renewed.ok()) << renewed.ToString();
  EXPECT_GT(lease->expires_ns, before);
  EXPECT_EQ(tier_->FindLease("busy")->expires_ns, lease->expires_ns);

  // Releasing someone else's lease leaves it; the owner's release frees it.
  EXPECT_TRUE(other->ReleaseLease(forged).ok());
  EXPECT_TRUE(tier_->FindLease("busy").ok());
  EXPECT_TRUE(tier_->ReleaseLease(*lease).ok());
  EXPECT_EQ(tier_->FindLease("busy").status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(tier_->ReleaseLease(*lease).ok());  // already gone
  EXPECT_TRUE(other->AcquireLease("busy", std::chrono::seconds(60)).ok());
}

TEST_F(S3TierTest, ExpiredLeaseIsTakenOver) {
  Result<SharedLease> lease = tier_->AcquireLease("slow", std::chrono::seconds(1));
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  // Leases expire by the wall clock: wait until this one has.
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(lease->expires_ns + 50'000'000))));
  EXPECT_EQ(tier_->FindLease("slow").status().code(), Status::Code::kNotFound);

  std::unique_ptr<S3Tier> other = NewTier("host-b");
  Result<SharedLease> taken = other->AcquireLease("slow", std::chrono::seconds(60));
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->holder, "host-b:" + std::to_string(getpid()));
  EXPECT_NE(taken->id, lease->id);
  // The old holder has lost it: its renewal says who has it now.
  const Status renewed = tier_->RenewLease(*lease, std::chrono::seconds(60));
  EXPECT_EQ(renewed.code(), Status::Code::kExists) << renewed.ToString();
  EXPECT_NE(renewed.message().find("host-b:"), std::string::npos) << renewed.ToString();
  EXPECT_TRUE(tier_->ReleaseLease(*lease).ok());
  EXPECT_EQ(tier_->FindLease("slow")->id, taken->id);
}

TEST_F(S3TierTest, DamagedLeaseIsCorruption) {
  ASSERT_TRUE(tier_->client()
                  .PutObject(tier_->layout().Lease("odd"), "{\"format\":1}", PutMode::kIfAbsent)
                  .ok());
  EXPECT_EQ(tier_->FindLease("odd").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(tier_->AcquireLease("odd", std::chrono::seconds(5)).status().code(),
            Status::Code::kCorruption);
}

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(S3TierTest, UnreachableTierIsUnavailableNotAbsent) {
  S3TierOptions options = Options("host-a");
  options.endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort());
  std::unique_ptr<S3Tier> down = NewTier(options);
  ASSERT_NE(down, nullptr);
  const auto start = std::chrono::steady_clock::now();
  auto expect_unavailable = [](const Status& status) {
    EXPECT_EQ(status.code(), Status::Code::kIOError) << status.ToString();
    EXPECT_EQ(status.err(), EAGAIN) << status.ToString();
  };
  expect_unavailable(down->Probe());
  expect_unavailable(down->Find("k").status());
  expect_unavailable(down->List().status());
  expect_unavailable(down->Remove("k"));
  expect_unavailable(down->Publish("k", CommitScope("k", 100)).status());
  expect_unavailable(down->AcquireLease("k", std::chrono::seconds(5)).status());
  expect_unavailable(down->FindLease("k").status());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace scopefs::s3
