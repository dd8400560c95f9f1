#include "fs/access_policy.h"

#include <gtest/gtest.h>

#include "fs/options.h"

namespace scopefs::fs {
namespace {

constexpr uid_t kDaemonUid = 0;
constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;
constexpr gid_t kTeam = 4242;

Caller Of(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  return Caller{uid, gid, 0, 0, [groups] { return groups; }};
}

TEST(AccessPolicyTest, WithoutAWriteGroupOnlyRootWrites) {
  AccessPolicy policy(kDaemonUid, 0, std::nullopt);
  EXPECT_TRUE(policy.MayWrite(Of(0, 0), "mkdir k").ok());
  store::Status refused = policy.MayWrite(Of(kNobody, kNogroup, {kTeam}), "mkdir k");
  EXPECT_EQ(refused.code(), store::Status::Code::kAccess);
  EXPECT_NE(refused.message().find("uid 65534"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("mkdir k"), std::string::npos) << refused.message();
  EXPECT_EQ(policy.root_mode(), 0755u);
  EXPECT_EQ(policy.root_gid(), 0u);
}

TEST(AccessPolicyTest, TheWriteGroupCountsByPrimaryOrSupplementaryGid) {
  AccessPolicy policy(kDaemonUid, 0, kTeam);
  EXPECT_TRUE(policy.MayWrite(Of(kNobody, kTeam), "rm").ok());
  EXPECT_TRUE(policy.MayWrite(Of(kNobody, kNogroup, {10, kTeam}), "rm").ok());
  EXPECT_EQ(policy.MayWrite(Of(kNobody, kNogroup, {10}), "rm").code(),
            store::Status::Code::kAccess);
  EXPECT_EQ(policy.root_mode(), 0775u);
  EXPECT_EQ(policy.root_gid(), kTeam);
}

TEST(AccessPolicyTest, SupplementaryGroupsAreReadOnlyWhenTheyDecide) {
  AccessPolicy policy(kDaemonUid, 0, kTeam);
  int asked = 0;
  Caller root{0, 0, 0, 0, [&] {
                ++asked;
                return std::vector<gid_t>{};
              }};
  Caller member{kNobody, kTeam, 0, 0, [&] {
                  ++asked;
                  return std::vector<gid_t>{};
                }};
  EXPECT_TRUE(policy.MayWrite(root, "x").ok());
  EXPECT_TRUE(policy.MayWrite(member, "x").ok());
  EXPECT_EQ(asked, 0);  // reading /proc costs a syscall per request
}

TEST(AccessPolicyTest, ControlActionsAreForRootAndTheDaemonsUserOnly) {
  AccessPolicy policy(1000, 1000, kTeam);
  EXPECT_TRUE(policy.MayAct(Of(0, 0), "verify").ok());
  EXPECT_TRUE(policy.MayAct(Of(1000, 1000), "verify").ok());
  EXPECT_EQ(policy.MayAct(Of(kNobody, kTeam), "verify").code(), store::Status::Code::kAccess);
  EXPECT_TRUE(policy.MayWrite(Of(1000, 1000), "mkdir").ok());  // the daemon's user owns the mount
}

TEST(AccessPolicyTest, GroupsResolveByNameOrNumber) {
  EXPECT_EQ(ResolveGroup("root").value(), 0u);
  EXPECT_EQ(ResolveGroup("4242").value(), 4242u);
  store::Result<gid_t> missing = ResolveGroup("no-such-group-scopefs");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), store::Status::Code::kInvalid);
  EXPECT_NE(missing.status().message().find("no-such-group-scopefs"), std::string::npos);
}

TEST(AccessPolicyTest, WriteGroupIsAnOptionInBothSpellings) {
  const char* fstab[] = {"scopefs", "-o", "allow_other,write_group=team", "s", "m"};
  EXPECT_EQ(ParseCommandLine(5, fstab)->config.write_group, "team");
  const char* cli[] = {"scopefs", "--write-group", "team", "s", "m"};
  EXPECT_EQ(ParseCommandLine(5, cli)->config.write_group, "team");
}

}  // namespace
}  // namespace scopefs::fs
