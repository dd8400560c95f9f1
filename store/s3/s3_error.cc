#include "store/s3/s3_error.h"

#include <cerrno>

namespace scopefs::s3 {

using store::Status;

S3ErrorKind ErrorKindOf(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return S3ErrorKind::kOk;
    case Status::Code::kNotFound: return S3ErrorKind::kNotFound;
    case Status::Code::kExists: return S3ErrorKind::kPreconditionFailed;
    case Status::Code::kAccess: return S3ErrorKind::kDenied;
    case Status::Code::kIOError:
      return status.err() == EAGAIN ? S3ErrorKind::kUnavailable : S3ErrorKind::kOther;
    default: return S3ErrorKind::kOther;
  }
}

Status UnavailableError(const std::string& message) {
  return Status::FromErrno(EAGAIN, "service unavailable: " + message);
}

Status StatusForHttpError(long http_status, const std::string& message) {
  const std::string text = "HTTP " + std::to_string(http_status) + ": " + message;
  if (http_status == 404) return Status::NotFound(text);
  if (http_status == 412) return Status::Exists(text);
  if (http_status == 401 || http_status == 403) return Status::Access(text);
  if (http_status == 408 || http_status == 429 || http_status >= 500) {
    return UnavailableError(text);
  }
  // EPROTO: the server answered, but not with anything this client expects.
  return Status::FromErrno(EPROTO, text);
}

}  // namespace scopefs::s3
