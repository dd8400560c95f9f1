#include "fs/errno_map.h"

#include <cerrno>

namespace scopefs::fs {

int ToErrno(const store::Status& status) {
  using Code = store::Status::Code;
  switch (status.code()) {
    case Code::kOk: return 0;
    case Code::kNotFound: return ENOENT;
    case Code::kExists: return EEXIST;
    case Code::kInvalid: return EINVAL;
    case Code::kCorruption: return EIO;
    case Code::kNoSpace: return ENOSPC;
    case Code::kTooBig: return EFBIG;
    case Code::kBusy: return EBUSY;
    case Code::kPermission: return EPERM;
    case Code::kAccess: return EACCES;
    case Code::kStale: return ESTALE;
    case Code::kNotDir: return ENOTDIR;
    case Code::kIsDir: return EISDIR;
    case Code::kNotEmpty: return ENOTEMPTY;
    case Code::kCrossDevice: return EXDEV;
    case Code::kBadHandle: return EBADF;
    case Code::kNotSupported: return EOPNOTSUPP;
    case Code::kIOError: return status.err() != 0 ? status.err() : EIO;
  }
  return EIO;
}

}  // namespace scopefs::fs
