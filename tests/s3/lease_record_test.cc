#include "store/s3/lease_record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace scopefs::s3 {
namespace {

using store::SharedLease;
using store::Status;

const SharedLease kLease{"key-1", "0123456789abcdef0123456789abcdef", "host:42",
                         1'800'000'000'000'000'000};

TEST(LeaseRecordTest, RoundTrips) {
  store::Result<SharedLease> parsed = ParseLeaseRecord(SerializeLeaseRecord(kLease), "key-1");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->key, kLease.key);
  EXPECT_EQ(parsed->id, kLease.id);
  EXPECT_EQ(parsed->holder, kLease.holder);
  EXPECT_EQ(parsed->expires_ns, kLease.expires_ns);
}

TEST(LeaseRecordTest, RefusesAnythingElse) {
  const std::string good = SerializeLeaseRecord(kLease);
  auto refused = [](std::string_view text, std::string_view key = "key-1") {
    store::Result<SharedLease> parsed = ParseLeaseRecord(text, key);
    return !parsed.ok() && parsed.status().code() == Status::Code::kCorruption;
  };
  EXPECT_TRUE(refused(good, "key-2"));  // another key's lease
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused("[]"));
  EXPECT_TRUE(refused(good.substr(0, good.size() / 2)));
  auto with = [&](const std::string& field, const std::string& value) {
    nlohmann::json j = nlohmann::json::parse(good);
    j[field] = nlohmann::json::parse(value);
    return j.dump();
  };
  EXPECT_TRUE(refused(with("format", "2")));
  EXPECT_TRUE(refused(with("id", "\"XYZ\"")));
  EXPECT_TRUE(refused(with("id", "\"0123\"")));
  EXPECT_TRUE(refused(with("holder", "\"\"")));
  EXPECT_TRUE(refused(with("holder", "\"bad\\nline\"")));
  EXPECT_TRUE(refused(with("holder", "7")));
  EXPECT_TRUE(refused(with("expires_ns", "\"soon\"")));
  EXPECT_TRUE(refused(with("expires_ns", "1.5")));
  EXPECT_FALSE(refused(with("expires_ns", "0")));
}

}  // namespace
}  // namespace scopefs::s3
