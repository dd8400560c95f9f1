// A tmpfs for one test, gone even if the test process is killed.
//
// The constructor moves this process into its private mount namespace
// (tests/support/mount_namespace.h; its children, the daemon included, share
// it) and mounts a tmpfs of `size` at `path`, which it creates. The destructor
// unmounts it. A killed test cannot run its destructor, but the kernel drops
// the namespace and its mounts when the last process in it exits. Not
// thread-safe; for the test's main thread.
#pragma once

#include <string>

namespace scopefs::testing {

class ScratchTmpfs {
 public:
  ScratchTmpfs(std::string path, const std::string& size);
  ~ScratchTmpfs();
  ScratchTmpfs(const ScratchTmpfs&) = delete;
  ScratchTmpfs& operator=(const ScratchTmpfs&) = delete;

  // Empty when mounted; otherwise what failed (tests skip: not every machine
  // lets them mount).
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_, error_;
  bool mounted_ = false;
};

}  // namespace scopefs::testing
