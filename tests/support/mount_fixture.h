// A real scopefs mount for tests, the shell around it, and REQUIRE_FUSE().
//
// ScopefsMount starts the built daemon in the foreground on a temp store and
// mountpoint with `-o auto_unmount`, waits for its readiness byte on a pipe
// (bounded; fails at once if the daemon dies first, with its log), and on
// Stop() or destruction unmounts and checks the daemon exited 0. Only if that
// fails does it kill the daemon and unmount lazily. The daemon gets SIGTERM
// if the test process dies before its teardown, and every mount lives in the
// test process's private mount namespace (tests/support/mount_namespace.h),
// so no mount outlives a test, even one killed with its daemon by SIGKILL.
// Not thread-safe; for the test's main thread.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/scope_files.h"
#include "tests/support/shell.h"

namespace scopefs::testing {

class ScopefsMount {
 public:
  // `root` holds store/, mnt/ and daemon.log; `extra_args` go to scopefs.
  // Without `auto_unmount`, a killed daemon leaves a dead mount behind.
  ScopefsMount(const std::string& root, std::vector<std::string> extra_args = {},
               bool auto_unmount = true);
  ~ScopefsMount();
  ScopefsMount(const ScopefsMount&) = delete;
  ScopefsMount& operator=(const ScopefsMount&) = delete;

  const std::string& mnt() const { return mnt_; }
  const std::string& store() const { return store_; }
  std::string log() const;  // what the daemon wrote to stderr
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }  // the daemon's, while running

  // Starts the daemon; false (with the log in `error`) if it is not ready in time.
  bool Start(std::string* error);
  // Unmounts and waits; returns the daemon's exit status (-1 if it had to be killed).
  int Stop();
  // SIGKILL, then clears the dead mount, as a crash would leave it.
  void Kill();
  // Sends `signal` and waits (bounded); the exit status, or -1 if it had to be killed.
  int Terminate(int signal);
  // SIGKILL and nothing else: without auto_unmount the dead mount stays.
  void KillLeavingDeadMount();

 private:
  // Waits for the daemon to exit (bounded); kills it if it does not.
  int WaitOrKill();

  std::string root_, store_, mnt_, log_path_;
  std::vector<std::string> extra_args_;
  bool auto_unmount_;
  pid_t pid_ = -1;
};

// Path of the built binaries (compile definitions from tests/CMakeLists.txt).
std::string ScopefsPath();
std::string ScopectlPath();

// Why this process cannot mount scopefs, or "" if it can: /dev/fuse usable,
// fusermount3 on PATH (auto_unmount and Stop() use it), and a private mount
// namespace entered (root), so that no mount outlives the test. Enters it.
std::string WhyFuseIsUnavailable();

}  // namespace scopefs::testing

// The one check that a test may mount: in a TEST body or a fixture's SetUp,
// skips the test (SKIPPED, with the reason) unless WhyFuseIsUnavailable() is
// empty. A macro because GTEST_SKIP() must return from the test itself.
#define REQUIRE_FUSE()                                                                    \
  if (const std::string scopefs_why_no_fuse = ::scopefs::testing::WhyFuseIsUnavailable(); \
      scopefs_why_no_fuse.empty()) {                                                      \
  } else                                                                                  \
    GTEST_SKIP() << scopefs_why_no_fuse
