// S3Client against a real Ceph radosgw, the one the CTest fixture "radosgw"
// starts (tools/radosgw.sh; endpoint, keys and the script in the env file named
// by SCOPEFS_TEST_S3_ENV). Without that file every test says SKIPPED.
//
// Each test works under its own key prefix in one bucket, so the tests can run
// in any order and alone. The outage test stops radosgw and starts it again.
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "store/s3/s3_client.h"
#include "store/s3/s3_error.h"
#include "store/s3/sha256.h"
#include "tests/support/radosgw_env.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

constexpr char kBucket[] = "s3-client-tests";

class RadosgwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = testing::ReadRadosgwEnv();
    if (env_["SCOPEFS_TEST_S3_ENDPOINT"].empty()) {
      GTEST_SKIP() << testing::kNoRadosgw;
    }
    client_ = NewClient(kBucket, env_["AWS_SECRET_ACCESS_KEY"]);
    ASSERT_NE(client_, nullptr);
    const Status created = client_->CreateBucket();
    ASSERT_TRUE(created.ok()) << created.ToString();
    // A prefix of this test's own, so reruns and other tests never collide.
    prefix_ = testing::UniqueTestPrefix() + "/";
  }

  std::unique_ptr<S3Client> NewClient(const std::string& bucket, const std::string& secret) {
    S3ClientOptions options;
    options.endpoint = env_["SCOPEFS_TEST_S3_ENDPOINT"];
    options.region =
        env_["SCOPEFS_TEST_S3_REGION"].empty() ? "us-east-1" : env_["SCOPEFS_TEST_S3_REGION"];
    options.bucket = bucket;
    options.transport.request_timeout = std::chrono::seconds(20);
    Result<std::unique_ptr<S3Client>> client =
        S3Client::Create(options, Credentials(env_["AWS_ACCESS_KEY_ID"], secret));
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  std::map<std::string, std::string> env_;
  std::unique_ptr<S3Client> client_;
  std::string prefix_;
};

TEST_F(RadosgwTest, HeadBucketFindsOursAndNotAMissingOne) {
  EXPECT_TRUE(client_->HeadBucket().ok());
  auto missing =
      NewClient("no-such-bucket-" + std::to_string(::getpid()), env_["AWS_SECRET_ACCESS_KEY"]);
  const Status status = missing->HeadBucket();
  EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kNotFound) << status.ToString();
  // Creating it twice is fine for its owner.
  EXPECT_TRUE(client_->CreateBucket().ok());
}

TEST_F(RadosgwTest, PutIfAbsentTwiceKeepsTheFirst) {
  const std::string key = prefix_ + "manifest.json";
  ASSERT_TRUE(client_->PutObject(key, "first", PutMode::kIfAbsent).ok());
  const Status second = client_->PutObject(key, "second", PutMode::kIfAbsent);
  EXPECT_EQ(ErrorKindOf(second), S3ErrorKind::kPreconditionFailed) << second.ToString();
  EXPECT_NE(second.message().find("already exists"), std::string::npos) << second.ToString();
  Result<std::string> got = client_->GetObject(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "first");
  // Overwrite replaces.
  ASSERT_TRUE(client_->PutObject(key, "third", PutMode::kOverwrite).ok());
  EXPECT_EQ(client_->GetObject(key).value(), "third");
}

TEST_F(RadosgwTest, FileRangeUpAndRangedGetsDown) {
  std::string content(3 << 20, '\0');
  std::mt19937 random(7);
  for (char& c : content) c = static_cast<char>(random());
  FILE* file = tmpfile();
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(fwrite(content.data(), 1, content.size(), file), content.size());
  ASSERT_EQ(fflush(file), 0);
  const std::string key = prefix_ + "nodes.bits";
  const uint64_t offset = 12345;
  const uint64_t length = content.size() - offset - 1000;
  const Status put =
      client_->PutObjectFromFile(key, fileno(file), offset, length, PutMode::kIfAbsent);
  fclose(file);
  ASSERT_TRUE(put.ok()) << put.ToString();
  const std::string stored = content.substr(offset, length);

  Result<ObjectInfo> info = client_->HeadObject(key);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, length);
  EXPECT_FALSE(info->etag.empty());
  EXPECT_LT(std::chrono::system_clock::now() - info->last_modified, std::chrono::minutes(10));

  for (const ByteRange range :
       {ByteRange{0, 10}, ByteRange{1 << 20, 65536}, ByteRange{length - 7, 7}}) {
    Result<std::string> got = client_->GetObject(key, range);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, stored.substr(range.offset, range.length)) << range.offset;
  }
  // A range past the end is cut short, as S3 does.
  Result<std::string> tail = client_->GetObject(key, ByteRange{length - 3, 100});
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  EXPECT_EQ(*tail, stored.substr(length - 3));
  Result<std::string> whole = client_->GetObject(key);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_EQ(Sha256Hex(*whole), Sha256Hex(stored));
}

TEST_F(RadosgwTest, KeysThatNeedEncodingRoundTrip) {
  // Signed as encoded, sent as signed: radosgw checks both.
  const std::string key = prefix_ + "odd key/\xC3\xA4 $&+=,;:@!'()*~.bin";
  ASSERT_TRUE(client_->PutObject(key, "odd", PutMode::kIfAbsent).ok());
  EXPECT_EQ(client_->GetObject(key).value(), "odd");
  Result<ObjectListing> listing = client_->ListObjectsV2(prefix_ + "odd key/");
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  ASSERT_EQ(listing->objects.size(), 1u);
  EXPECT_EQ(listing->objects[0].key, key);
}

TEST_F(RadosgwTest, ListWithPrefixPagesThroughEveryKey) {
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) {
    const std::string key = prefix_ + "scopes/k" + std::to_string(i);
    ASSERT_TRUE(
        client_->PutObject(key, std::string(static_cast<size_t>(i), 'x'), PutMode::kIfAbsent).ok());
    want.push_back(key);
  }
  ASSERT_TRUE(client_->PutObject(prefix_ + "leases/k0", "l", PutMode::kIfAbsent).ok());
  ASSERT_TRUE(
      client_->PutObject(prefix_ + "scopesX", "not under scopes/", PutMode::kIfAbsent).ok());

  std::vector<std::string> got;
  std::string token;
  int pages = 0;
  do {
    Result<ObjectListing> page = client_->ListObjectsV2(prefix_ + "scopes/", token, 3);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->objects.size(), 3u);
    for (const ObjectSummary& object : page->objects) {
      got.push_back(object.key);
      EXPECT_EQ(object.size, static_cast<uint64_t>(object.key.back() - '0')) << object.key;
    }
    token = page->next_continuation_token;
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(got, want);
  EXPECT_GE(pages, 3);

  Result<ObjectListing> none = client_->ListObjectsV2(prefix_ + "nothing/");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->objects.empty());
}

TEST_F(RadosgwTest, DeletedKeysAreNotFound) {
  const std::string key = prefix_ + "gone";
  ASSERT_TRUE(client_->PutObject(key, "x", PutMode::kIfAbsent).ok());
  ASSERT_TRUE(client_->DeleteObject(key).ok());
  EXPECT_EQ(ErrorKindOf(client_->GetObject(key).status()), S3ErrorKind::kNotFound);
  EXPECT_EQ(ErrorKindOf(client_->HeadObject(key).status()), S3ErrorKind::kNotFound);
  EXPECT_TRUE(client_->DeleteObject(key).ok());  // deleting twice is not an error
  // And an absent key may then be created with If-None-Match again.
  EXPECT_TRUE(client_->PutObject(key, "y", PutMode::kIfAbsent).ok());
}

TEST_F(RadosgwTest, AWrongSecretIsDeniedAndNeverQuoted) {
  const std::string wrong = "WrongSecretWrongSecretWrongSecret0123456";
  auto impostor = NewClient(kBucket, wrong);
  for (const Status& status : {impostor->HeadBucket(), impostor->GetObject(prefix_ + "k").status(),
                               impostor->PutObject(prefix_ + "k", "v", PutMode::kIfAbsent)}) {
    EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kDenied) << status.ToString();
    EXPECT_EQ(status.ToString().find(wrong), std::string::npos) << status.ToString();
    EXPECT_EQ(status.ToString().find(env_["AWS_SECRET_ACCESS_KEY"]), std::string::npos);
  }
}

TEST_F(RadosgwTest, AnOutageIsUnavailableNeverAbsentAndPasses) {
  const std::string script = env_["RADOSGW_SH"];
  const std::string dir = env_["RADOSGW_DIR"];
  if (script.empty() || dir.empty()) GTEST_SKIP() << "the env file names no RADOSGW_SH/RADOSGW_DIR";
  const std::string key = prefix_ + "present";
  ASSERT_TRUE(client_->PutObject(key, "here", PutMode::kIfAbsent).ok());

  ASSERT_EQ(std::system(("'" + script + "' stop-rgw '" + dir + "'").c_str()), 0);
  const auto start = std::chrono::steady_clock::now();
  for (const Status& status : {client_->HeadObject(key).status(), client_->GetObject(key).status(),
                               client_->HeadObject(prefix_ + "absent").status(),
                               client_->PutObject(prefix_ + "new", "n", PutMode::kIfAbsent),
                               client_->ListObjectsV2(prefix_).status()}) {
    EXPECT_EQ(ErrorKindOf(status), S3ErrorKind::kUnavailable) << status.ToString();
  }
  // Refused connections fail at once, not after a timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  ASSERT_EQ(std::system(("'" + script + "' start-rgw '" + dir + "'").c_str()), 0);
  Result<std::string> back = client_->GetObject(key);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "here");
  EXPECT_EQ(ErrorKindOf(client_->HeadObject(prefix_ + "absent").status()), S3ErrorKind::kNotFound);
}

}  // namespace
}  // namespace scopefs::s3
