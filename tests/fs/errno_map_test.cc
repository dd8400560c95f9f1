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

}  // namespace
}  // namespace scopefs::fs
