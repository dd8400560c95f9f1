#include "fs/errno_map.h"

#include <gtest/gtest.h>

namespace scopefs::fs {
namespace {

using store::Status;

TEST(ErrnoMapTest, EveryStatusCodeHasItsErrno) {
  const struct {
    Status status;
    int err;
  } table[] = {
      {Status::Ok(), 0},
      {Status::NotFound("x"), ENOENT},
      {Status::Exists("x"), EEXIST},
      {Status::Invalid("x"), EINVAL},
      {Status::Corruption("x"), EIO},
      {Status::NoSpace("x"), ENOSPC},
      {Status::TooBig("x"), EFBIG},
      {Status::Busy("x"), EBUSY},
      {Status::Permission("x"), EPERM},
      {Status::Access("x"), EACCES},
      {Status::Stale("x"), ESTALE},
      {Status::NotDir("x"), ENOTDIR},
      {Status::IsDir("x"), EISDIR},
      {Status::NotEmpty("x"), ENOTEMPTY},
      {Status::CrossDevice("x"), EXDEV},
      {Status::BadHandle("x"), EBADF},
      {Status::NotSupported("x"), EOPNOTSUPP},
      // A failed syscall keeps its own errno, whatever it is.
      {Status::FromErrno(EROFS, "x"), EROFS},
      {Status::FromErrno(ESTALE, "x"), ESTALE},
      {Status::FromErrno(ENOTEMPTY, "x"), ENOTEMPTY},
      {Status::FromErrno(EXDEV, "x"), EXDEV},
      {Status::FromErrno(ENOSPC, "x"), ENOSPC},
      {Status::FromErrno(EDQUOT, "x"), ENOSPC},
      {Status::FromErrno(0, "x"), EIO},  // never lose an error as "success"
  };
  for (const auto& row : table) EXPECT_EQ(ToErrno(row.status), row.err) << row.status.ToString();
}

// A refusal names what it is, not "I/O error": the code is the errno's own.
TEST(ErrnoMapTest, RefusalsFromSyscallsKeepTheirCode) {
  EXPECT_EQ(Status::FromErrno(ESTALE, "x").code(), Status::Code::kStale);
  EXPECT_EQ(Status::FromErrno(EXDEV, "x").code(), Status::Code::kCrossDevice);
  EXPECT_EQ(Status::FromErrno(EIO, "x").code(), Status::Code::kIOError);
  EXPECT_EQ(Status::Stale("inode 7 is gone").ToString(), "stale: inode 7 is gone");
}

}  // namespace
}  // namespace scopefs::fs
