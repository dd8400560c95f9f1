#include "tests/support/mount_namespace.h"

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

namespace scopefs::testing {

std::string EnterPrivateMountNamespace() {
  static const std::string error = []() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0)
      return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return std::string("making / private: ") + std::strerror(errno);
    return "";
  }();
  return error;
}

}  // namespace scopefs::testing
