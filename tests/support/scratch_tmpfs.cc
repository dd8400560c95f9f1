#include "tests/support/scratch_tmpfs.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "tests/support/mount_namespace.h"

namespace scopefs::testing {

ScratchTmpfs::ScratchTmpfs(std::string path, const std::string& size) : path_(std::move(path)) {
  error_ = EnterPrivateMountNamespace();
  if (!error_.empty()) return;
  if (::mkdir(path_.c_str(), 0755) != 0) {
    error_ = "mkdir " + path_ + ": " + std::strerror(errno);
    return;
  }
  const std::string options = "size=" + size;
  if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    error_ = "mount tmpfs on " + path_ + ": " + std::strerror(errno);
    return;
  }
  mounted_ = true;
}

ScratchTmpfs::~ScratchTmpfs() {
  if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
}

}  // namespace scopefs::testing
