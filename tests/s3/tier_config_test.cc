#include "store/s3/tier_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/scoped_env.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::Status;

constexpr char kFileSecret[] = "fileSECRETfileSECRETfileSECRETfileSECRET";
constexpr char kEnvSecret[] = "envSECRETenvSECRETenvSECRETenvSECRETenv";

TEST(ParseSharedTierUrlTest, SplitsBucketAndPrefix) {
  Result<SharedTierUrl> bare = ParseSharedTierUrl("s3://scopes");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->bucket, "scopes");
  EXPECT_EQ(bare->prefix, "");

  Result<SharedTierUrl> nested = ParseSharedTierUrl("s3://my.bucket-1/team/scopes");
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(nested->bucket, "my.bucket-1");
  EXPECT_EQ(nested->prefix, "team/scopes");
}

TEST(ParseSharedTierUrlTest, TrimsTrailingSlashes) {
  for (const char* url : {"s3://scopes/", "s3://scopes//"}) {
    Result<SharedTierUrl> parsed = ParseSharedTierUrl(url);
    ASSERT_TRUE(parsed.ok()) << url << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->bucket, "scopes");
    EXPECT_EQ(parsed->prefix, "") << url;
  }
  Result<SharedTierUrl> parsed = ParseSharedTierUrl("s3://scopes/team/");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->prefix, "team");
}

// Each bad URL is Invalid, and the message names the option and says why.
TEST(ParseSharedTierUrlTest, RefusesWhatS3DoesNotAllow) {
  const std::map<std::string, std::string> bad = {
      {"", "no URL"},
      {"https://scopes/x", "expected s3://"},
      {"S3://scopes", "expected s3://"},
      {"scopes", "expected s3://"},
      {"s3://", "no bucket"},
      {"s3:///prefix", "no bucket"},
      {"s3://ab", "3 to 63"},
      {"s3://" + std::string(64, 'a'), "3 to 63"},
      {"s3://Scopes", "lowercase"},
      {"s3://my_bucket", "lowercase"},
      {"s3://-scopes", "starts and ends"},
      {"s3://scopes.", "starts and ends"},
      {"s3://my..bucket", "\"..\""},
      {"s3://192.168.5.4", "IP address"},
      {"s3://xn--scopes", "reserved"},
      {"s3://scopes-s3alias", "reserved"},
      {"s3://scopes/a//b", "empty segment"},
      {"s3://scopes/a/../b", "segment"},
      {"s3://scopes/a\nb", "control character"},
  };
  for (const auto& [url, why] : bad) {
    Result<SharedTierUrl> parsed = ParseSharedTierUrl(url);
    ASSERT_FALSE(parsed.ok()) << "accepted \"" << url << "\"";
    EXPECT_EQ(parsed.status().code(), Status::Code::kInvalid) << url;
    EXPECT_NE(parsed.status().message().find("--shared"), std::string::npos)
        << parsed.status().message();
    EXPECT_NE(parsed.status().message().find(why), std::string::npos)
        << url << ": " << parsed.status().message();
  }
}

TEST(ParseSharedTierUrlTest, AcceptsNamesAtTheLimits) {
  for (const std::string& bucket : {std::string("abc"), std::string(63, 'a'), std::string("1.2.3"),
                                    std::string("a-b.c-d"), std::string("192.168.5.4a")}) {
    Result<SharedTierUrl> parsed = ParseSharedTierUrl("s3://" + bucket);
    EXPECT_TRUE(parsed.ok()) << bucket << ": " << parsed.status().ToString();
  }
}

using testing::ScopedEnv;

class SharedTierCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/scopefs-tier-config-test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/credentials";
    std::ofstream(path_) << "[default]\naws_access_key_id = FILEDEFAULT\naws_secret_access_key = "
                         << kFileSecret << "\n[team]\naws_access_key_id = FILETEAM\n"
                         << "aws_secret_access_key = " << kFileSecret << "\n";
    ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  std::string dir_;
  std::string path_;
  ScopedEnv id_{"AWS_ACCESS_KEY_ID", "ENVKEY"};
  ScopedEnv secret_{"AWS_SECRET_ACCESS_KEY", kEnvSecret};
  ScopedEnv token_{"AWS_SESSION_TOKEN", std::nullopt};
  ScopedEnv profile_{"AWS_PROFILE", std::nullopt};
};

TEST_F(SharedTierCredentialsTest, TheEnvironmentWhenNoFileIsGiven) {
  Result<Credentials> credentials = SharedTierCredentials(SharedTierConfig{});
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id(), "ENVKEY");
}

TEST_F(SharedTierCredentialsTest, TheFileWinsOverTheEnvironment) {
  SharedTierConfig config;
  config.credentials_file = path_;
  Result<Credentials> credentials = SharedTierCredentials(config);
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id(), "FILEDEFAULT");
}

TEST_F(SharedTierCredentialsTest, ProfileFromTheOptionElseAwsProfileElseDefault) {
  SharedTierConfig config;
  config.credentials_file = path_;
  EXPECT_EQ(SharedTierProfile(config), "default");
  {
    ScopedEnv profile("AWS_PROFILE", "team");
    EXPECT_EQ(SharedTierProfile(config), "team");
    Result<Credentials> credentials = SharedTierCredentials(config);
    ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
    EXPECT_EQ(credentials->access_key_id(), "FILETEAM");

    config.profile = "default";  // the option wins over AWS_PROFILE
    credentials = SharedTierCredentials(config);
    ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
    EXPECT_EQ(credentials->access_key_id(), "FILEDEFAULT");
  }
  config.profile = "nobody";
  Result<Credentials> missing = SharedTierCredentials(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("--shared-credentials"), std::string::npos);
  EXPECT_NE(missing.status().message().find("nobody"), std::string::npos);
}

TEST_F(SharedTierCredentialsTest, AProfileWithoutAFileIsRefused) {
  SharedTierConfig config;
  config.profile = "team";
  Result<Credentials> credentials = SharedTierCredentials(config);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Status::Code::kInvalid);
  EXPECT_NE(credentials.status().message().find("--shared-profile"), std::string::npos);
}

TEST_F(SharedTierCredentialsTest, AFileOthersCanReadIsRefusedWithoutItsSecret) {
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  SharedTierConfig config;
  config.credentials_file = path_;
  Result<Credentials> credentials = SharedTierCredentials(config);
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Status::Code::kAccess);
  const std::string message = credentials.status().message();
  EXPECT_NE(message.find("--shared-credentials"), std::string::npos) << message;
  EXPECT_NE(message.find("chmod 600"), std::string::npos) << message;
  EXPECT_EQ(message.find(kFileSecret), std::string::npos) << message;
  // The environment is not a fallback for a file that was given.
  EXPECT_EQ(message.find("ENVKEY"), std::string::npos) << message;
}

TEST_F(SharedTierCredentialsTest, NoCredentialsAnywhereIsInvalidAndSaysWhereToPutThem) {
  ScopedEnv id("AWS_ACCESS_KEY_ID", std::nullopt);
  ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::nullopt);
  Result<Credentials> credentials = SharedTierCredentials(SharedTierConfig{});
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Status::Code::kInvalid);
  EXPECT_NE(credentials.status().message().find("--shared-credentials"), std::string::npos);
  EXPECT_NE(credentials.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST_F(SharedTierCredentialsTest, HalfTheEnvironmentIsInvalidWithoutTheSecret) {
  ScopedEnv id("AWS_ACCESS_KEY_ID", std::nullopt);
  Result<Credentials> credentials = SharedTierCredentials(SharedTierConfig{});
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.status().code(), Status::Code::kInvalid);
  EXPECT_EQ(credentials.status().message().find(kEnvSecret), std::string::npos);
}

TEST_F(SharedTierCredentialsTest, OpenSharedTierBuildsTheTierTheConfigNames) {
  SharedTierConfig config;
  config.url = "s3://scopes/team/";
  config.endpoint = "http://127.0.0.1:7480";
  config.region = "eu-west-1";
  Result<std::unique_ptr<S3Tier>> tier = OpenSharedTier(config);
  ASSERT_TRUE(tier.ok()) << tier.status().ToString();
  EXPECT_EQ((*tier)->url(), "s3://scopes/team");
  EXPECT_EQ((*tier)->client().bucket(), "scopes");
  EXPECT_EQ((*tier)->layout().Manifest("k"), "team/scopes/k.json");
}

TEST_F(SharedTierCredentialsTest, OpenSharedTierNamesTheOptionThatIsWrong) {
  const std::vector<std::pair<std::string, SharedTierConfig>> bad = {
      {"--shared \"s3://A\"", {"s3://A", "", "us-east-1", "", ""}},
      {"--shared-endpoint", {"s3://scopes", "ftp://host", "us-east-1", "", ""}},
      {"--shared-region", {"s3://scopes", "", "", "", ""}},
      {"--shared-region", {"s3://scopes", "", "us east", "", ""}},
  };
  for (const auto& [option, config] : bad) {
    Result<std::unique_ptr<S3Tier>> tier = OpenSharedTier(config);
    ASSERT_FALSE(tier.ok()) << option;
    EXPECT_EQ(tier.status().code(), Status::Code::kInvalid) << tier.status().ToString();
    EXPECT_NE(tier.status().message().find(option), std::string::npos) << tier.status().message();
  }
}

TEST_F(SharedTierCredentialsTest, AnEndpointWithAPasswordIsRefusedWithoutEchoingIt) {
  SharedTierConfig config;
  config.url = "s3://scopes";
  config.endpoint = "http://user:hunter2@127.0.0.1:7480";
  Result<std::unique_ptr<S3Tier>> tier = OpenSharedTier(config);
  ASSERT_FALSE(tier.ok());
  EXPECT_EQ(tier.status().code(), Status::Code::kInvalid);
  EXPECT_NE(tier.status().message().find("--shared-endpoint"), std::string::npos);
  EXPECT_EQ(tier.status().message().find("hunter2"), std::string::npos) << tier.status().message();
}

}  // namespace
}  // namespace scopefs::s3
