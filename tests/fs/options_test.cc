#include "fs/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace scopefs::fs {
namespace {

store::Result<Invocation> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "scopefs");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(OptionsTest, DefaultsMatchTheSpec) {
  auto inv = Parse({"/store", "/mnt"});
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  const Config& c = inv->config;
  EXPECT_EQ(c.store_dir, "/store");
  EXPECT_EQ(c.mountpoint, "/mnt");
  EXPECT_EQ(c.max_size, uint64_t{10} << 30);
  EXPECT_EQ(c.max_entries, 100u);
  EXPECT_EQ(c.ttl_s, 24 * 3600);
  EXPECT_EQ(c.maintenance_interval_s, 60);
  EXPECT_EQ(c.pending_timeout_s, 3600);
  EXPECT_TRUE(c.build_index);
  EXPECT_FALSE(c.foreground);
}

TEST(OptionsTest, IndexIsCommitOrOff) {
  EXPECT_FALSE(Parse({"-o", "index=off", "s", "m"})->config.build_index);
  EXPECT_FALSE(Parse({"--index", "off", "s", "m"})->config.build_index);
  EXPECT_TRUE(Parse({"--index=commit", "s", "m"})->config.build_index);
}

TEST(OptionsTest, LongOptionsAndMountOptionsAreTheSame) {
  auto a = Parse({"--max-size", "512M", "--max-entries=7", "--ttl", "90s", "-f", "s", "m"});
  auto b = Parse({"-o", "max_size=512M,max_entries=7,ttl=90s,allow_other", "-f", "s", "m"});
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
  for (const Config* c : {&a->config, &b->config}) {
    EXPECT_EQ(c->max_size, uint64_t{512} << 20);
    EXPECT_EQ(c->max_entries, 7u);
    EXPECT_EQ(c->ttl_s, 90);
    EXPECT_TRUE(c->foreground);
  }
  EXPECT_EQ(b->config.fuse_options, std::vector<std::string>{"allow_other"});
}

TEST(OptionsTest, FstabStyleOptionsPassThroughToFuse) {
  auto inv = Parse({"s", "m", "-o", "defaults,rw,allow_other,max_size=1G,ttl=0,auto_unmount"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->config.fuse_options,
            (std::vector<std::string>{"rw", "allow_other", "auto_unmount"}));
  EXPECT_EQ(inv->config.ttl_s, 0);
}

TEST(OptionsTest, BadInputIsRefusedWithAReason) {
  for (std::vector<const char*> args : std::vector<std::vector<const char*>>{
           {"--max-size", "10X", "s", "m"},
           {"--max-size", "", "s", "m"},
           {"--max-size", "99999999999T", "s", "m"},
           {"--ttl", "5w", "s", "m"},
           {"--ttl", "-5s", "s", "m"},
           {"-o", "maintenance_interval=0", "s", "m"},
           {"-o", "max_entries", "s", "m"},
           {"-o", "index=lazy", "s", "m"},
           {"--bogus", "1", "s", "m"},
           {"-x", "s", "m"},
           {"s"},
           {"s", "m", "extra"},
           {"--max-size"},
       }) {
    auto inv = Parse(args);
    EXPECT_FALSE(inv.ok()) << args.front();
    EXPECT_EQ(inv.status().code(), store::Status::Code::kInvalid);
    EXPECT_FALSE(inv.status().message().empty());
  }
}

TEST(OptionsTest, SharedTierOptionsAsFlagsAndAsMountOptions) {
  auto none = Parse({"s", "m"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->config.shared.url, "");  // local-only
  EXPECT_EQ(none->config.shared_wait_s, 600);
  EXPECT_EQ(none->config.shared_lease_s, 120);
  EXPECT_EQ(none->config.shared.region, "us-east-1");

  auto a = Parse({"--shared", "s3://bucket/team/scopes", "--shared-endpoint",
                  "http://127.0.0.1:7480", "--shared-region=eu-west-1", "--shared-credentials",
                  "/etc/scopefs/s3.ini", "--shared-profile", "fleet", "--shared-wait", "90s",
                  "--shared-lease", "6s", "s", "m"});
  auto b = Parse({"-o",
                  "shared=s3://bucket/team/scopes,shared_endpoint=http://127.0.0.1:7480,"
                  "shared_region=eu-west-1,shared_credentials=/etc/scopefs/s3.ini,"
                  "shared_profile=fleet,shared_wait=90s,shared_lease=6s,allow_other",
                  "s", "m"});
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << b.status().ToString();
  for (const Config* c : {&a->config, &b->config}) {
    EXPECT_EQ(c->shared.url, "s3://bucket/team/scopes");
    EXPECT_EQ(c->shared.endpoint, "http://127.0.0.1:7480");
    EXPECT_EQ(c->shared.region, "eu-west-1");
    EXPECT_EQ(c->shared.credentials_file, "/etc/scopefs/s3.ini");
    EXPECT_EQ(c->shared.profile, "fleet");
    EXPECT_EQ(c->shared_wait_s, 90);
    EXPECT_EQ(c->shared_lease_s, 6);
  }
  EXPECT_EQ(b->config.fuse_options, std::vector<std::string>{"allow_other"});
  EXPECT_EQ(Parse({"--shared-wait", "10m", "s", "m"})->config.shared_wait_s, 600);
  EXPECT_EQ(Parse({"--shared-lease", "3s", "s", "m"})->config.shared_lease_s, 3);

  for (std::vector<const char*> args : std::vector<std::vector<const char*>>{
           {"--shared", "", "s", "m"},
           {"--shared", "http://bucket/p", "s", "m"},
           {"-o", "shared=s3://", "s", "m"},
           {"-o", "shared", "s", "m"},
           {"--shared-wait", "soon", "s", "m"},
           {"--shared-lease", "2s", "s", "m"},
           {"--shared-lease", "0", "s", "m"},
           {"-o", "shared_lease=later", "s", "m"},
           {"--shared-endpoint"},
       }) {
    auto inv = Parse(args);
    EXPECT_EQ(inv.status().code(), store::Status::Code::kInvalid) << args.front();
  }
}

TEST(OptionsTest, HelpAndVersionWinOverEverythingElse) {
  EXPECT_EQ(Parse({"--help"})->action, Action::kHelp);
  EXPECT_EQ(Parse({"s", "-V"})->action, Action::kVersion);
}

}  // namespace
}  // namespace scopefs::fs
