#include "tests/support/mount_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/env.h"
#include "tests/support/mount_namespace.h"

namespace scopefs::testing {
namespace {

// Waits up to `timeout` for the child; its exit status, or -1 if still running.
int WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

std::string ScopefsPath() { return SCOPEFS_PATH; }
std::string ScopectlPath() { return SCOPECTL_PATH; }

std::string WhyFuseIsUnavailable() {
  static const std::string why = []() -> std::string {
    if (::access("/dev/fuse", R_OK | W_OK) != 0) {
      return std::string("no usable /dev/fuse: ") + std::strerror(errno);
    }
    if (Shell("command -v fusermount3").exit_code != 0) return "no fusermount3 on PATH";
    if (std::string error = EnterPrivateMountNamespace(); !error.empty()) {
      return "no private mount namespace for the test's mounts (needs root): " + error;
    }
    return "";
  }();
  return why;
}

ScopefsMount::ScopefsMount(const std::string& root, std::vector<std::string> extra_args,
                           bool auto_unmount)
    : root_(root),
      store_(root + "/store"),
      mnt_(root + "/mnt"),
      log_path_(root + "/daemon.log"),
      extra_args_(std::move(extra_args)),
      auto_unmount_(auto_unmount) {
  ::mkdir(mnt_.c_str(), 0755);
}

ScopefsMount::~ScopefsMount() {
  if (running()) Stop();
}

std::string ScopefsMount::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ScopefsMount::Start(std::string* error) {
  // The daemon and its fusermount3 are forked from here: they mount in the
  // test's namespace, which the kernel tears down with the test.
  if (std::string why = EnterPrivateMountNamespace(); !why.empty()) {
    *error = "no private mount namespace: " + why;
    return false;
  }
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    *error = "pipe failed";
    return false;
  }
  // SCOPEFS_DAEMON_WRAPPER runs the daemon under a tool, e.g. valgrind (the soak tier).
  std::vector<std::string> args;
  if (const char* wrapper = std::getenv("SCOPEFS_DAEMON_WRAPPER"); wrapper != nullptr) {
    std::istringstream words(wrapper);
    for (std::string word; words >> word;) args.push_back(word);
  }
  args.insert(args.end(), {ScopefsPath(), "-f", "--notify-fd", "3"});
  if (auto_unmount_) args.insert(args.end(), {"-o", "auto_unmount"});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  args.push_back(store_);
  args.push_back(mnt_);
  const pid_t test_process = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // If the test process dies without its teardown (killed, or a timeout), the
    // daemon gets SIGTERM and unmounts: no mount outlives the test.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != test_process) ::_exit(127);  // it died before prctl
    // The readiness pipe becomes fd 3 (without O_CLOEXEC); stderr goes to the log.
    ::dup2(ready[1], 3);
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(log, 2);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(ready[1]);
  pollfd pfd{ready[0], POLLIN, 0};
  char byte = 0;
  bool ok = ::poll(&pfd, 1, 60'000) == 1 && ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (!ok) {
    *error = "scopefs did not become ready; its log:\n" + log();
    Kill();
  }
  return ok;
}

int ScopefsMount::Stop() {
  if (!running()) return -1;
  Shell("fusermount3 -u " + Quote(mnt_), 20);
  return WaitOrKill();
}

int ScopefsMount::Terminate(int signal) {
  if (!running()) return -1;
  ::kill(pid_, signal);
  return WaitOrKill();
}

int ScopefsMount::WaitOrKill() {
  int status = WaitExit(pid_, std::chrono::seconds(15));
  if (status < 0) {
    Kill();
    return -1;
  }
  pid_ = -1;
  return status;
}

void ScopefsMount::KillLeavingDeadMount() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  WaitExit(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

void ScopefsMount::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    WaitExit(pid_, std::chrono::seconds(10));
    pid_ = -1;
  }
  // auto_unmount normally clears it; this is the last resort.
  Shell("grep -q " + Quote(" " + mnt_ + " ") + " /proc/mounts && fusermount3 -u -z " + Quote(mnt_),
        20);
}

}  // namespace scopefs::testing
