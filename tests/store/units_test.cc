// Sizes and durations as people write them on command lines and in fstab.
#include "store/units.h"

#include <gtest/gtest.h>

namespace scopefs::store {
namespace {

TEST(UnitsTest, SizesTakeBinarySuffixesInEitherCase) {
  EXPECT_EQ(ParseSize("123").value(), 123u);
  EXPECT_EQ(ParseSize("3k").value(), 3072u);
  EXPECT_EQ(ParseSize("3K").value(), 3072u);
  EXPECT_EQ(ParseSize("5m").value(), uint64_t{5} << 20);
  EXPECT_EQ(ParseSize("10G").value(), uint64_t{10} << 30);
  EXPECT_EQ(ParseSize("2T").value(), uint64_t{2} << 40);
  EXPECT_EQ(ParseSize("0").value(), 0u);
}

TEST(UnitsTest, DurationsTakeSecondsMinutesHoursAndDays) {
  EXPECT_EQ(ParseDuration("45").value(), 45);
  EXPECT_EQ(ParseDuration("45s").value(), 45);
  EXPECT_EQ(ParseDuration("30m").value(), 1800);
  EXPECT_EQ(ParseDuration("2h").value(), 7200);
  EXPECT_EQ(ParseDuration("7d").value(), 7 * 86400);
  EXPECT_EQ(ParseDuration("0").value(), 0);
}

TEST(UnitsTest, BadInputIsInvalidWithTheTextInTheMessage) {
  for (const char* bad :
       {"", "K", "10X", "-5", "1.5G", " 1", "99999999999T", "18446744073709551616"}) {
    Result<uint64_t> r = ParseSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalid) << bad;
  }
  EXPECT_NE(ParseSize("10X").status().message().find("10X"), std::string::npos);
  EXPECT_NE(ParseSize("99999999999T").status().message().find("too large"), std::string::npos);
  for (const char* bad : {"", "s", "5w", "-5s", "1.5h", "9223372036854775807d"}) {
    Result<int64_t> r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalid) << bad;
  }
  EXPECT_NE(ParseDuration("9223372036854775807d").status().message().find("too long"),
            std::string::npos);
}

TEST(UnitsTest, NumbersNameWhatWasBeingParsed) {
  EXPECT_EQ(ParseNumber("42", "count").value(), 42u);
  Result<uint64_t> r = ParseNumber("4x", "max_entries");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "bad max_entries \"4x\"");
}

}  // namespace
}  // namespace scopefs::store
