#include "tests/support/fault_env.h"

#include <cerrno>
#include <utility>

namespace scopefs::testing {

using store::Result;
using store::Status;

class FaultEnv::FaultFile final : public store::File {
 public:
  FaultFile(FaultEnv* env, std::unique_ptr<store::File> base, std::string path)
      : env_(env), base_(std::move(base)), path_(std::move(path)) {
    ++env_->open_files_;
  }
  ~FaultFile() override { --env_->open_files_; }

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    RETURN_IF_ERROR(env_->Check("read " + path_, false));
    return base_->ReadAt(offset, buf, n);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    RETURN_IF_ERROR(env_->Check("write " + path_, true));
    return base_->WriteAt(offset, data, n);
  }
  Status Truncate(uint64_t size) override {
    RETURN_IF_ERROR(env_->Check("truncate " + path_, true));
    return base_->Truncate(size);
  }
  Status Sync() override {
    RETURN_IF_ERROR(env_->Check("fsync " + path_, true));
    return base_->Sync();
  }
  Result<uint64_t> Size() const override {
    RETURN_IF_ERROR(env_->Check("stat " + path_, false));
    return base_->Size();
  }
  int fd() const override { return base_->fd(); }

 private:
  FaultEnv* const env_;
  const std::unique_ptr<store::File> base_;
  const std::string path_;
};

void FaultEnv::FailAt(uint64_t n, int err, bool persistent) {
  fail_errno_ = err;
  fail_persistent_ = persistent;
  fail_at_ = calls_.load() + n;
}

void FaultEnv::FailNextMatching(std::string prefix, int err) {
  std::lock_guard<std::mutex> lock(match_mu_);
  match_prefix_ = std::move(prefix);
  match_errno_ = err;
  match_armed_ = true;
}

void FaultEnv::CrashAfter(uint64_t mutations) { crash_after_ = mutations_.load() + mutations + 1; }

void FaultEnv::Reset() {
  fail_at_ = 0;
  crash_after_ = 0;
  crashed_ = false;
}

Status FaultEnv::Check(const std::string& what, bool mutating) {
  if (hook_) hook_(what);
  uint64_t call = ++calls_;
  if (mutating) {
    uint64_t mutation = ++mutations_;
    uint64_t crash_at = crash_after_.load();
    if (crash_at != 0 && mutation >= crash_at) crashed_ = true;
  }
  if (crashed_) return Status::FromErrno(EIO, what + " (process crashed)");
  if (match_armed_) {
    std::lock_guard<std::mutex> lock(match_mu_);
    if (match_armed_ && what.rfind(match_prefix_, 0) == 0) {
      match_armed_ = false;
      return Status::FromErrno(match_errno_, what + " (injected)");
    }
  }
  uint64_t fail_at = fail_at_.load();
  if (fail_at != 0 && (call == fail_at || (fail_persistent_ && call > fail_at))) {
    return Status::FromErrno(fail_errno_, what + " (injected)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<store::File>> FaultEnv::Open(const std::string& path, store::OpenMode mode) {
  bool creates = mode == store::OpenMode::kCreate || mode == store::OpenMode::kCreateExclusive;
  RETURN_IF_ERROR(Check("open " + path, creates));
  ASSIGN_OR_RETURN(std::unique_ptr<store::File> file, base_->Open(path, mode));
  return std::unique_ptr<store::File>(new FaultFile(this, std::move(file), path));
}

Result<store::FileInfo> FaultEnv::Stat(const std::string& path) {
  RETURN_IF_ERROR(Check("stat " + path, false));
  return base_->Stat(path);
}

Result<std::vector<std::string>> FaultEnv::ListDir(const std::string& path) {
  RETURN_IF_ERROR(Check("opendir " + path, false));
  return base_->ListDir(path);
}

Status FaultEnv::MakeDir(const std::string& path) {
  RETURN_IF_ERROR(Check("mkdir " + path, true));
  return base_->MakeDir(path);
}

Status FaultEnv::RemoveDir(const std::string& path) {
  RETURN_IF_ERROR(Check("rmdir " + path, true));
  return base_->RemoveDir(path);
}

Status FaultEnv::Unlink(const std::string& path) {
  RETURN_IF_ERROR(Check("unlink " + path, true));
  return base_->Unlink(path);
}

Status FaultEnv::Rename(const std::string& from, const std::string& to, store::RenameMode mode) {
  RETURN_IF_ERROR(Check("rename " + from, true));
  return base_->Rename(from, to, mode);
}

Status FaultEnv::SyncDir(const std::string& path) {
  RETURN_IF_ERROR(Check("fsync " + path, true));
  return base_->SyncDir(path);
}

Result<std::unique_ptr<store::FileLock>> FaultEnv::LockFile(const std::string& path) {
  RETURN_IF_ERROR(Check("lock " + path, false));
  return base_->LockFile(path);
}

}  // namespace scopefs::testing
