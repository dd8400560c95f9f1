// Caller: who sent a request, as handlers and node kinds need it. Built from
// the FUSE request (request.h), or by hand in unit tests.
// Thread-safety: a value.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <functional>
#include <vector>

#include "store/pending_scope.h"

namespace scopefs::fs {

struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;     // 0: no process (tests); claims always pass
  mode_t umask = 0;  // applied to the modes of created files and directories
  // The supplementary gids; called only when they decide (it reads /proc).
  std::function<std::vector<gid_t>()> groups;
};

// True while process `pid` exists (EPERM: it exists, as another user's).
inline bool ProcessAlive(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Makes the caller's process the writer of `pending` (PendingScope::ClaimWriter):
// Busy (EBUSY) while another live process writes it.
inline store::Status ClaimPending(const Caller& caller, store::PendingScope& pending) {
  return pending.ClaimWriter(caller.pid, ProcessAlive);
}

}  // namespace scopefs::fs
