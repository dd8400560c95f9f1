// How the S3 client reports failure in the store's Status, and how a caller
// tells the kinds apart.
//
// store::Status has no codes for a network, so each kind takes one code (and
// for the two kIOError kinds, one errno) that nothing else in this module
// returns:
//
//   kNotFound            404: no such key or bucket        Status::NotFound (ENOENT)
//   kPreconditionFailed  412: If-None-Match: * on a key
//                        that exists ("already exists")    Status::Exists (EEXIST)
//   kDenied              401, 403: wrong key, signature,
//                        clock skew or no right            Status::Access (EACCES)
//   kUnavailable         no connection, a timeout, a reset,
//                        408, 429, 5xx: try again later    kIOError, errno EAGAIN
//   kOther               anything else (400, 409, 416, an
//                        unparsable answer, a local read
//                        error)                            any other Status
//
// Unavailable never means absent: a caller that remembers misses must only
// remember kNotFound.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "store/status.h"

namespace scopefs::s3 {

enum class S3ErrorKind { kOk, kNotFound, kPreconditionFailed, kDenied, kUnavailable, kOther };

S3ErrorKind ErrorKindOf(const store::Status& status);

// "service unavailable: <message>": the Status for kUnavailable.
store::Status UnavailableError(const std::string& message);

// The Status for an HTTP error status, with `message` (the request, and the
// server's error code and message) for the log.
store::Status StatusForHttpError(long http_status, const std::string& message);

}  // namespace scopefs::s3
