// MountClient: a cache reached through a live scopefs mount, with the tools a
// user would use: its files, and the control files under .scopefs/.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "store/key.h"
#include "store/layout.h"
#include "store/mount_names.h"
#include "tools/scopectl/cache_client.h"

namespace scopefs::tools {
namespace {

using store::Result;
using store::Status;

// The Status an errno from the mount means (the daemon's errno table, reversed).
Status FromMountErrno(int err, const std::string& context) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case EINVAL: return Status::Invalid(std::move(msg));
    case EIO: return Status::Corruption(std::move(msg));
    case EACCES: return Status::Access(std::move(msg));
    case EPERM: return Status::Permission(std::move(msg));
    case EBUSY: return Status::Busy(std::move(msg));
    default: return Status::FromErrno(err, context);
  }
}

// A file descriptor closed on scope exit (errors of a close that matters are checked by hand).
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  // Closes now; the error of close() is the commit's, for a scope file.
  Status Close(const std::string& path) {
    const int f = fd;
    fd = -1;
    return ::close(f) == 0 ? Status::Ok() : FromMountErrno(errno, "close " + path);
  }
};

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FromMountErrno(errno, "write " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<std::string> ReadFd(int fd, const std::string& path) {
  std::string out;
  char buf[1 << 16];
  for (off_t offset = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FromMountErrno(errno, "read " + path);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    offset += n;
  }
}

Result<std::string> ReadPath(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) return FromMountErrno(errno, "open " + path);
  return ReadFd(fd.fd, path);
}

Result<nlohmann::json> ReadJson(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadPath(path));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid(path + ": not JSON");
  return doc;
}

Status CopyFile(const std::string& from, const std::string& to) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return Status::FromErrno(errno, "open " + from);
  Fd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (out.fd < 0) return FromMountErrno(errno, "create " + to);
  std::string buf(size_t{1} << 20, '\0');
  for (;;) {
    ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "read " + from);
    if (n == 0) break;
    RETURN_IF_ERROR(WriteAll(out.fd, std::string_view(buf.data(), static_cast<size_t>(n)), to));
  }
  return out.Close(to);
}

class MountClient final : public CacheClient {
 public:
  explicit MountClient(std::string mountpoint) : mnt_(std::move(mountpoint)) {}

  std::string where() const override { return "mount " + mnt_; }

  Result<nlohmann::json> Stats() override { return ReadJson(Control(store::kStatsFile)); }
  Result<nlohmann::json> Scopes() override { return ReadJson(Control(store::kScopesFile)); }

  Result<nlohmann::json> Info(const std::string& key) override {
    RETURN_IF_ERROR(store::ValidateKey(key));
    Result<nlohmann::json> meta = ReadJson(ScopePath(key) + "/meta.json");
    if (meta.status().code() == Status::Code::kBusy)
      return Status::NotFound("scope " + key + " is pending");
    return meta;
  }

  Status Remove(const std::string& key) override {
    RETURN_IF_ERROR(store::ValidateKey(key));
    struct stat st;
    if (::lstat(ScopePath(key).c_str(), &st) != 0) {
      return errno == ENOENT ? Status::NotFound("no scope " + key)
                             : FromMountErrno(errno, ScopePath(key));
    }
    std::error_code ec;
    std::filesystem::remove_all(ScopePath(key), ec);
    if (ec) return FromMountErrno(ec.value(), "remove " + ScopePath(key));
    return Status::Ok();
  }

  Result<store::GarbageReport> CollectGarbage() override {
    auto [answer, written] = RunAction(store::kGcAction, "gc\n");
    RETURN_IF_ERROR(written);
    ASSIGN_OR_RETURN(std::string out, std::move(answer));
    nlohmann::json doc = nlohmann::json::parse(out, nullptr, false);
    if (!doc.is_object())
      return Status::Invalid(Control(store::kGcAction) + ": unexpected answer: " + out);
    return store::GarbageReport{doc.value("expired", uint64_t{0}),
                                doc.value("pending_dropped", uint64_t{0}),
                                doc.value("orphans", uint64_t{0})};
  }

  Status Verify(const std::string& key) override {
    RETURN_IF_ERROR(store::ValidateKey(key));
    auto [out, status] = RunAction(store::kVerifyAction, key + "\n");
    if (status.ok()) return Status::Ok();
    // The daemon's own words are better than an errno; they are in the answer.
    nlohmann::json line = nlohmann::json::parse(out.ok() ? *out : "", nullptr, false);
    if (line.is_object() && line.contains("error")) {
      const std::string error = line["error"].get<std::string>();
      if (status.code() == Status::Code::kCorruption) return Status::Corruption(error);
      if (status.code() == Status::Code::kNotFound) return Status::NotFound(error);
    }
    return status;
  }

  Status Add(const ScopeSource& source) override {
    RETURN_IF_ERROR(store::ValidateKey(source.key));
    const std::string dir = ScopePath(source.key);
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno != EEXIST) return FromMountErrno(errno, "mkdir " + dir);
      struct stat st;
      if (::stat((dir + "/.status").c_str(), &st) != 0) {
        return Status::Exists("scope " + source.key + " is already in the cache");
      }
      // A pending scope: an earlier run stopped half-way. Start it afresh.
      RETURN_IF_ERROR(Remove(source.key));
      if (::mkdir(dir.c_str(), 0755) != 0) return FromMountErrno(errno, "mkdir " + dir);
    }
    Status st = Fill(source, dir);
    if (!st.ok()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);  // still pending: nothing committed is touched
    }
    return st;
  }

 private:
  std::string Control(std::string_view name) const {
    return mnt_ + "/" + std::string(store::kControlDirName) + "/" + std::string(name);
  }
  std::string ScopePath(const std::string& key) const { return mnt_ + "/" + key; }

  // Writes `request` to action file `name` and reads its answer back.
  std::pair<Result<std::string>, Status> RunAction(std::string_view name,
                                                   const std::string& request) {
    const std::string path = Control(name);
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.fd < 0) {
      Status st = FromMountErrno(errno, "open " + path);
      return {st, st};
    }
    Status written = WriteAll(fd.fd, request, path);
    return {ReadFd(fd.fd, path), written};
  }

  Status Fill(const ScopeSource& source, const std::string& dir) {
    RETURN_IF_ERROR(CopyFile(source.nodes_path, dir + "/" + std::string(store::kNodesFile)));
    RETURN_IF_ERROR(CopyFile(source.links_path, dir + "/" + std::string(store::kLinksFile)));
    RETURN_IF_ERROR(
        CopyFile(source.mappings_gz_path, dir + "/" + std::string(store::kMappingsGzFile)));
    // Times set on the pending directory become created_at and last_accessed.
    const timespec times[2] = {
        {source.accessed_ns / 1'000'000'000, source.accessed_ns % 1'000'000'000},
        {source.created_ns / 1'000'000'000, source.created_ns % 1'000'000'000}};
    if (::utimensat(AT_FDCWD, dir.c_str(), times, 0) != 0)
      return FromMountErrno(errno, "set times of " + dir);
    // meta.json last: closing it commits the scope, and close() reports the verdict.
    const std::string meta_path = dir + "/" + std::string(store::kMetaFile);
    Fd meta(::open(meta_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (meta.fd < 0) return FromMountErrno(errno, "create " + meta_path);
    RETURN_IF_ERROR(WriteAll(meta.fd, source.meta.dump(), meta_path));
    Status closed = meta.Close(meta_path);
    if (closed.code() == Status::Code::kInvalid) {
      Result<std::string> why = ReadPath(dir + "/" + std::string(store::kStatusFile));
      if (why.ok()) {
        std::string line = *why;
        while (!line.empty() && line.back() == '\n') line.pop_back();
        if (line.starts_with("invalid: ")) line.erase(0, 9);
        return Status::Invalid(line);
      }
    }
    return closed;
  }

  const std::string mnt_;
};

}  // namespace

std::unique_ptr<CacheClient> NewMountClient(std::string mountpoint) {
  return std::make_unique<MountClient>(std::move(mountpoint));
}

}  // namespace scopefs::tools
