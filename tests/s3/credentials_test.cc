#include "store/s3/credentials.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include "store/s3/s3_error.h"
#include "tests/support/scoped_env.h"

namespace scopefs::s3 {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

class CredentialsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/scopefs-credentials-test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/credentials";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(path_, std::ios::trunc) << text;
    ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(CredentialsFileTest, ReadsTheNamedProfile) {
  Write(std::string(
            "# comment\n[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key=d\n\n"
            "[shared]\n  aws_access_key_id =  AKIAIOSFODNN7EXAMPLE \r\n; another comment\n"
            "aws_secret_access_key = ") +
            kSecret + "\naws_session_token = TOKEN\nregion = us-east-1\n",
        0600);
  store::Result<Credentials> shared = CredentialsFromFile(path_, "shared");
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->access_key_id(), "AKIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(shared->secret_access_key(), kSecret);
  EXPECT_EQ(shared->session_token(), "TOKEN");

  store::Result<Credentials> fallback = CredentialsFromFile(path_);
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_EQ(fallback->access_key_id(), "DEFAULTKEY");
  EXPECT_EQ(fallback->session_token(), "");
}

TEST_F(CredentialsFileTest, AcceptsProfilePrefixedSections) {
  Write("[profile tier]\naws_access_key_id = A\naws_secret_access_key = B\n", 0400);
  store::Result<Credentials> tier = CredentialsFromFile(path_, "tier");
  ASSERT_TRUE(tier.ok()) << tier.status().ToString();
  EXPECT_EQ(tier->access_key_id(), "A");
}

TEST_F(CredentialsFileTest, RefusesAFileOthersCanRead) {
  for (mode_t mode : {0640, 0604, 0660, 0602, 0610}) {
    Write(
        std::string("[default]\naws_access_key_id = A\naws_secret_access_key = ") + kSecret + "\n",
        mode);
    store::Result<Credentials> refused = CredentialsFromFile(path_);
    ASSERT_FALSE(refused.ok()) << std::oct << mode;
    EXPECT_EQ(refused.status().code(), store::Status::Code::kAccess);
    EXPECT_NE(refused.status().message().find(path_), std::string::npos)
        << refused.status().message();
    EXPECT_EQ(refused.status().ToString().find(kSecret), std::string::npos);
  }
}

TEST_F(CredentialsFileTest, MissingFileProfileOrKeyNamesWhatIsMissing) {
  store::Result<Credentials> no_file = CredentialsFromFile(dir_ + "/absent");
  EXPECT_EQ(no_file.status().code(), store::Status::Code::kNotFound);

  Write(std::string("[default]\naws_access_key_id = A\naws_secret_access_key = ") + kSecret + "\n",
        0600);
  store::Result<Credentials> no_profile = CredentialsFromFile(path_, "other");
  EXPECT_EQ(no_profile.status().code(), store::Status::Code::kNotFound);
  EXPECT_NE(no_profile.status().message().find("[other]"), std::string::npos);

  Write("[default]\naws_access_key_id = A\n", 0600);
  store::Result<Credentials> no_secret = CredentialsFromFile(path_);
  EXPECT_EQ(no_secret.status().code(), store::Status::Code::kInvalid);
  EXPECT_NE(no_secret.status().message().find("aws_secret_access_key"), std::string::npos);
}

TEST_F(CredentialsFileTest, AMalformedLineIsCitedByNumberNotContent) {
  Write(std::string("[default]\naws_access_key_id = A\n") + kSecret + "\n", 0600);
  store::Result<Credentials> bad = CredentialsFromFile(path_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), store::Status::Code::kInvalid);
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status().message();
  EXPECT_EQ(bad.status().ToString().find(kSecret), std::string::npos);
}

TEST(CredentialsTest, ToStringNamesTheKeyAndRedactsTheRest) {
  const Credentials credentials("AKIAIOSFODNN7EXAMPLE", kSecret, "SESSIONTOKEN");
  const std::string text = credentials.ToString();
  EXPECT_NE(text.find("AKIAIOSFODNN7EXAMPLE"), std::string::npos);
  EXPECT_EQ(text.find(kSecret), std::string::npos);
  EXPECT_EQ(text.find("SESSIONTOKEN"), std::string::npos);
  EXPECT_NE(text.find("redacted"), std::string::npos);
}

using testing::ScopedEnv;

TEST(CredentialsTest, FromEnvironment) {
  {
    ScopedEnv id("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
    ScopedEnv secret("AWS_SECRET_ACCESS_KEY", kSecret);
    ScopedEnv token("AWS_SESSION_TOKEN", std::nullopt);
    store::Result<Credentials> credentials = CredentialsFromEnvironment();
    ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
    EXPECT_EQ(credentials->access_key_id(), "AKIAIOSFODNN7EXAMPLE");
    EXPECT_EQ(credentials->secret_access_key(), kSecret);
    EXPECT_EQ(credentials->session_token(), "");
  }
  {
    ScopedEnv id("AWS_ACCESS_KEY_ID", std::nullopt);
    ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::nullopt);
    EXPECT_EQ(CredentialsFromEnvironment().status().code(), store::Status::Code::kNotFound);
  }
  {
    ScopedEnv id("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
    ScopedEnv secret("AWS_SECRET_ACCESS_KEY", std::nullopt);
    EXPECT_EQ(CredentialsFromEnvironment().status().code(), store::Status::Code::kInvalid);
  }
}

}  // namespace
}  // namespace scopefs::s3
