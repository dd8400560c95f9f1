#include "store/status.h"

#include <gtest/gtest.h>

namespace scopefs::store {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.err(), 0);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, FactoriesKeepErrnoAndMessage) {
  EXPECT_EQ(Status::NotFound("x").err(), ENOENT);
  EXPECT_EQ(Status::Invalid("x").err(), EINVAL);
  EXPECT_EQ(Status::Corruption("x").err(), EIO);
  EXPECT_EQ(Status::NoSpace("x").err(), ENOSPC);
  EXPECT_EQ(Status::TooBig("x").err(), EFBIG);
  EXPECT_EQ(Status::Access("x").err(), EACCES);
  EXPECT_EQ(Status::Permission("x").err(), EPERM);
  EXPECT_EQ(Status::Busy("x").err(), EBUSY);
  EXPECT_EQ(Status::Invalid("bad key").ToString(), "invalid: bad key");
}

TEST(StatusTest, FromErrnoMapsKnownCodesAndKeepsOthers) {
  EXPECT_EQ(Status::FromErrno(ENOENT, "open a").code(), Status::Code::kNotFound);
  EXPECT_EQ(Status::FromErrno(ENOSPC, "write a").code(), Status::Code::kNoSpace);
  Status io = Status::FromErrno(EROFS, "write a");
  EXPECT_EQ(io.code(), Status::Code::kIOError);
  EXPECT_EQ(io.err(), EROFS);
  EXPECT_NE(io.message().find("write a: "), std::string::npos);
}

TEST(StatusTest, AnnotatePrefixesContext) {
  Status s = Status::Corruption("crc mismatch").Annotate("scope k");
  EXPECT_EQ(s.message(), "scope k: crc mismatch");
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::Invalid("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(ResultTest, PropagatesErrorsAndValues) {
  EXPECT_EQ(Quarter(8).value(), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd");
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> r = Status::Ok();
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace scopefs::store
