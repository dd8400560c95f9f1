#include "fs/daemon.h"

#include <malloc.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "fs/access_policy.h"
#include "fs/filesystem.h"
#include "fs/invalidator.h"
#include "fs/maintenance.h"
#include "fs/ops.h"
#include "fs/shared_link.h"
#include "store/log.h"
#include "store/s3/tier_config.h"
#include "store/store.h"

namespace scopefs::fs {
namespace {

using store::LogError;
using store::LogInfo;
using store::Status;

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) ? std::string(buf) : std::string();
}

std::string Absolute(const std::string& path) {
  if (path.starts_with("/")) return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

// A crashed daemon leaves a mount whose every access fails with ENOTCONN.
// Clearing it is the one thing the daemon does to its own mountpoint.
void ClearDeadMount(const std::string& mountpoint) {
  // statfs, not stat: the kernel may answer stat of a dead FUSE mount's root
  // from its attribute cache, but statfs always asks the (dead) daemon. Dead
  // mounts can be stacked (an earlier start that missed one mounted on top),
  // so clear until the mountpoint answers.
  for (int attempt = 0; attempt < 8; ++attempt) {
    struct statfs sf;
    if (::statfs(mountpoint.c_str(), &sf) == 0 || errno != ENOTCONN) return;
    LogInfo("clearing the dead mount left on " + mountpoint);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execlp("fusermount3", "fusermount3", "-u", "-z", mountpoint.c_str(), nullptr);
      ::_exit(127);
    }
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      LogError("could not unmount the dead mount on " + mountpoint);
      return;
    }
  }
}

Status CheckPaths(const Config& c) {
  struct stat st;
  if (::stat(c.mountpoint.c_str(), &st) != 0)
    return Status::FromErrno(errno, "mountpoint " + c.mountpoint);
  if (!S_ISDIR(st.st_mode))
    return Status::Invalid("mountpoint " + c.mountpoint + " is not a directory");
  std::string mnt = RealPath(c.mountpoint);
  std::string store = RealPath(c.store_dir);
  if (store.empty()) {
    // Not there yet: the store creates it; judge by its parent.
    size_t slash = c.store_dir.find_last_of('/');
    store =
        RealPath(slash == std::string::npos ? "." : c.store_dir.substr(0, slash == 0 ? 1 : slash));
  }
  if (!mnt.empty() && !store.empty() && (store == mnt || store.starts_with(mnt + "/"))) {
    return Status::Invalid("the store directory " + c.store_dir + " is inside the mountpoint " +
                           c.mountpoint + "; put it elsewhere");
  }
  return Status::Ok();
}

// The mount's device ("0:39"), from /proc/self/mountinfo: reading the
// mountpoint itself would wait on our own request loop.
std::string MountDevice(const std::string& mountpoint) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line, device;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point == mountpoint) device = dev;  // the last mount on it is ours
  }
  return device;
}

// Raises the mount's readahead through its BDI. The kernel resets it when it
// handles our INIT reply, so this waits for INIT, then writes until it sticks
// (bounded: about two seconds).
// Gives up when `stop` is requested: a daemon stopped before the kernel's INIT
// must not wait for it.
void SetReadAhead(std::stop_token stop, const Filesystem& fs, const std::string& mountpoint,
                  uint64_t kb) {
  const std::string path = "/sys/class/bdi/" + MountDevice(mountpoint) + "/read_ahead_kb";
  for (int i = 0; i < 100 && !stop.stop_requested(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!fs.initialized()) continue;
    { std::ofstream(path) << kb << "\n"; }
    uint64_t now = 0;
    std::ifstream(path) >> now;
    if (now == kb) return;
  }
  if (!stop.stop_requested()) {
    store::LogWarning("could not set read_ahead_kb=" + std::to_string(kb) + " via " + path);
  }
}

// systemd's readiness protocol (Type=notify), without linking libsystemd.
void NotifySystemd() {
  const char* path = ::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const char msg[] = "READY=1";
  ::sendto(fd, msg, sizeof(msg) - 1, 0, reinterpret_cast<sockaddr*>(&addr),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + std::strlen(path)));
  ::close(fd);
}

void NotifyReady(int fd) {
  NotifySystemd();
  if (fd < 0) return;
  const char byte = '1';
  if (::write(fd, &byte, 1) != 1)
    LogError("cannot write to the notify fd: " + std::string(std::strerror(errno)));
  ::close(fd);
}

struct SessionDeleter {
  void operator()(fuse_session* se) const { fuse_session_destroy(se); }
};
using Session = std::unique_ptr<fuse_session, SessionDeleter>;

// Mounted session: unmounts and removes the signal handlers when it goes.
class Mount {
 public:
  Mount(fuse_session* se) : se_(se) {}
  ~Mount() {
    fuse_session_unmount(se_);
    fuse_remove_signal_handlers(se_);
  }
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;

 private:
  fuse_session* const se_;
};

int Serve(const Config& c, Filesystem& fs) {
  std::vector<std::string> argv_storage = {
      "scopefs", "-o", "fsname=scopefs:" + RealPath(c.store_dir) + ",subtype=scopefs"};
  for (const std::string& opt : c.fuse_options) {
    argv_storage.push_back("-o");
    argv_storage.push_back(opt);
  }
  if (c.debug) argv_storage.push_back("-d");
  std::vector<char*> argv;
  for (std::string& s : argv_storage) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // libfuse may reallocate the arguments it parses; they are ours to free.
  std::unique_ptr<fuse_args, decltype(&fuse_opt_free_args)> free_args(&args, fuse_opt_free_args);

  const fuse_lowlevel_ops ops = MakeOperations();
  Session se(fuse_session_new(&args, &ops, sizeof(ops), &fs));
  if (!se) {
    LogError("cannot start a FUSE session (bad -o option?)");
    return 1;
  }
  if (fuse_set_signal_handlers(se.get()) != 0) {
    LogError("cannot install signal handlers");
    return 1;
  }
  if (fuse_session_mount(se.get(), c.mountpoint.c_str()) != 0) {
    fuse_remove_signal_handlers(se.get());
    LogError("cannot mount on " + c.mountpoint);
    return 1;
  }
  Mount mount(se.get());
  if (fuse_daemonize(c.foreground ? 1 : 0) != 0) return 1;
  // Evictions and expiries happen without a request: the kernel must hear of them.
  Invalidator invalidator(se.get(),
                          [&fs](const std::string& key) { return fs.KnownScopeDir(key); });
  fs.store().SetRemovalListener([&invalidator](const std::string& key) { invalidator.Queue(key); });
  // A file looked up in a race with its scope's invalidation stays cached (and
  // pins its directory): each pass asks again for the directories still held
  // whose scope is gone.
  Maintenance maintenance(&fs.store(), std::chrono::seconds(c.maintenance_interval_s), [&] {
    for (const auto& dir : fs.GoneScopeDirs()) invalidator.Queue(dir->name(), dir->ino());
    fs.drafts().Sweep(fs.clock().NowNanos());  // meta.json drafts nobody will rename
  });
  LogInfo("serving " + c.store_dir + " on " + c.mountpoint);
  NotifyReady(c.notify_fd);
  std::jthread read_ahead;
  if (c.read_ahead_kb != 0) {
    read_ahead = std::jthread(
        [&](std::stop_token stop) { SetReadAhead(stop, fs, c.mountpoint, c.read_ahead_kb); });
  }

  // The loop ends only when its workers finish their requests; one waiting
  // for another host's lease could hold an unmount or a SIGTERM for up to
  // --shared-wait, so waits end as soon as the session is told to exit.
  std::jthread end_shared_waits;
  if (fs.shared() != nullptr) {
    end_shared_waits = std::jthread([&fs, session = se.get()](std::stop_token stop) {
      while (!stop.stop_requested() && !fuse_session_exited(session)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      if (fuse_session_exited(session)) fs.shared()->CancelWaits();
    });
  }

  int rc;
  if (c.single_thread) {
    rc = fuse_session_loop(se.get());
  } else {
    fuse_loop_config* loop = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(loop, 16);
    rc = fuse_session_loop_mt(se.get(), loop);
    fuse_loop_cfg_destroy(loop);
  }
  // A positive result is the signal (SIGTERM, SIGINT, SIGHUP) that asked us to
  // stop: a clean unmount, like fusermount3 -u.
  LogInfo(rc > 0 ? "signal " + std::to_string(rc) + ": unmounting " + c.mountpoint
                 : "unmounting " + c.mountpoint);
  maintenance.Stop();
  fs.store().DropAllPending();  // no index feeder asks for room (and evicts) past here
  fs.store().SetRemovalListener(nullptr);
  invalidator.Stop();
  return rc >= 0 ? 0 : 1;
}

// The shared tier `c` names, started; null (and OK) when the mount runs
// local-only: no --shared, or a bucket that does not exist. A configuration
// that cannot work (a bad URL, no credentials, a credentials file others can
// read) is an error: the daemon refuses to start rather than silently not share.
store::Result<std::unique_ptr<SharedLink>> StartShared(const Config& c, store::Store* store) {
  if (c.shared.url.empty()) return std::unique_ptr<SharedLink>();
  ASSIGN_OR_RETURN(std::unique_ptr<s3::S3Tier> tier, s3::OpenSharedTier(c.shared));
  SharedLink::Options options;
  options.wait = std::chrono::seconds(c.shared_wait_s);
  options.lease_ttl = std::chrono::seconds(c.shared_lease_s);
  return SharedLink::Start(store, std::move(tier), options);
}

}  // namespace

int RunDaemon(const Config& config) {
  // One malloc arena per core, not glibc's eight: each of the 16 FUSE threads
  // would otherwise fragment an arena of its own (the churn's RSS: 24-35 MB
  // instead of 36-46 MB). MALLOC_ARENA_MAX, if set, still wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  }
  // libfuse may change the working directory: work with absolute paths.
  Config c = config;
  c.store_dir = Absolute(c.store_dir);
  c.mountpoint = Absolute(c.mountpoint);
  ClearDeadMount(c.mountpoint);
  if (Status st = CheckPaths(c); !st.ok()) {
    LogError(st.message());
    return 1;
  }
  std::optional<gid_t> write_group;
  if (!c.write_group.empty()) {
    store::Result<gid_t> gid = ResolveGroup(c.write_group);
    if (!gid.ok()) {
      LogError(gid.status().message());
      return 1;
    }
    write_group = *gid;
  }
  store::StoreOptions options;
  options.max_file_size = c.max_size;
  options.commit.max_mappings_size = c.max_size;
  options.limits.max_size = c.max_size;
  options.limits.max_entries = c.max_entries;
  options.limits.ttl_ns = c.ttl_s * 1'000'000'000;
  options.limits.pending_timeout_ns = c.pending_timeout_s * 1'000'000'000;
  options.commit.build_index = c.build_index;
  auto store = store::Store::Open(store::PosixEnv(), c.store_dir, options);
  if (!store.ok()) {
    LogError("cannot open the store: " + store.status().message());
    return 1;
  }
  store::Result<std::unique_ptr<SharedLink>> shared = StartShared(c, store->get());
  if (!shared.ok()) {
    LogError("shared tier " + c.shared.url + ": " + shared.status().message());
    return 1;
  }
  Filesystem fs(store->get(), AccessPolicy(getuid(), getgid(), write_group));
  fs.SetShared(shared->get());
  const int rc = Serve(c, fs);
  // The session has ended: no lookup waits on the tier any more, and no
  // commit will be announced. Queued publishes stay queued for the next start.
  if (*shared) (*shared)->Stop();
  return rc;
}

}  // namespace scopefs::fs
