// The one place where a store Status becomes the errno a FUSE reply carries.
//
// Every code maps to its errno (store/status.h lists them); kIOError keeps the
// errno of the syscall that failed. OK is 0. Thread-safety: a pure function.
#pragma once

#include "store/status.h"

namespace scopefs::fs {

int ToErrno(const store::Status& status);

}  // namespace scopefs::fs
