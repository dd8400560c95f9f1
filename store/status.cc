#include "store/status.h"

#include <cstring>

namespace scopefs::store {
namespace {

const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk: return "OK";
    case Status::Code::kNotFound: return "not found";
    case Status::Code::kExists: return "exists";
    case Status::Code::kInvalid: return "invalid";
    case Status::Code::kCorruption: return "corruption";
    case Status::Code::kNoSpace: return "no space";
    case Status::Code::kTooBig: return "too big";
    case Status::Code::kBusy: return "busy";
    case Status::Code::kPermission: return "not permitted";
    case Status::Code::kAccess: return "access denied";
    case Status::Code::kStale: return "stale";
    case Status::Code::kNotDir: return "not a directory";
    case Status::Code::kIsDir: return "is a directory";
    case Status::Code::kNotEmpty: return "not empty";
    case Status::Code::kCrossDevice: return "cross-scope move";
    case Status::Code::kBadHandle: return "bad handle";
    case Status::Code::kNotSupported: return "not supported";
    case Status::Code::kIOError: return "I/O error";
  }
  return "unknown";
}

}  // namespace

Status Status::FromErrno(int err, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOENT: return {Code::kNotFound, err, std::move(msg)};
    case EEXIST: return {Code::kExists, err, std::move(msg)};
    case ENOSPC:
    case EDQUOT: return {Code::kNoSpace, err, std::move(msg)};
    case EFBIG: return {Code::kTooBig, err, std::move(msg)};
    case ESTALE: return {Code::kStale, err, std::move(msg)};
    case ENOTDIR: return {Code::kNotDir, err, std::move(msg)};
    case EISDIR: return {Code::kIsDir, err, std::move(msg)};
    case ENOTEMPTY: return {Code::kNotEmpty, err, std::move(msg)};
    case EXDEV: return {Code::kCrossDevice, err, std::move(msg)};
    case EBADF: return {Code::kBadHandle, err, std::move(msg)};
    case EOPNOTSUPP: return {Code::kNotSupported, err, std::move(msg)};
    default: return {Code::kIOError, err == 0 ? EIO : err, std::move(msg)};
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, err_, std::string(context) + ": " + message_);
}

}  // namespace scopefs::store
