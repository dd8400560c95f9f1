#include "store/scratch_env.h"

#include <algorithm>
#include <utility>

namespace scopefs::store {

// Counts its writes past the furthest byte so far through the ScratchEnv.
class ScratchEnv::CountedFile final : public File {
 public:
  CountedFile(ScratchEnv* env, std::string path, std::unique_ptr<File> file)
      : env_(env), path_(std::move(path)), file_(std::move(file)) {}

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    return file_->ReadAt(offset, buf, n);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    RETURN_IF_ERROR(env_->Extend(path_, offset + n));
    return file_->WriteAt(offset, data, n);
  }
  Status Truncate(uint64_t size) override {
    RETURN_IF_ERROR(env_->Extend(path_, size));
    RETURN_IF_ERROR(file_->Truncate(size));
    env_->Shrink(path_, size, false);
    return Status::Ok();
  }
  Status Sync() override { return file_->Sync(); }
  void StartWriteback(uint64_t offset, uint64_t n) override { file_->StartWriteback(offset, n); }
  Result<uint64_t> Size() const override { return file_->Size(); }
  int fd() const override { return file_->fd(); }

 private:
  ScratchEnv* const env_;
  const std::string path_;
  std::unique_ptr<File> file_;
};

ScratchEnv::~ScratchEnv() {
  MutexLock lock(&mu_);
  GiveBackLocked();
}

void ScratchEnv::GiveBackLocked() {
  if (account_.release && held_ > 0) account_.release(held_);
  held_ = 0;
}

Status ScratchEnv::CountWith(ScratchAccount account) {
  MutexLock lock(&mu_);
  GiveBackLocked();
  account_ = {};
  if (account.reserve && used_ > 0) RETURN_IF_ERROR(account.reserve(used_));
  held_ = account.reserve ? used_ : 0;
  account_ = std::move(account);
  return Status::Ok();
}

void ScratchEnv::StopCounting(const void* owner) {
  MutexLock lock(&mu_);
  if (account_.owner != owner) return;
  GiveBackLocked();
  account_ = {};
}

uint64_t ScratchEnv::bytes() const {
  MutexLock lock(&mu_);
  return used_;
}

Status ScratchEnv::Extend(const std::string& path, uint64_t end) {
  MutexLock lock(&mu_);
  uint64_t& size = sizes_[path];
  if (end <= size) return Status::Ok();
  const uint64_t grown = end - size;
  if (account_.reserve && used_ + grown > held_) {
    RETURN_IF_ERROR(account_.reserve(used_ + grown - held_));
    held_ = used_ + grown;
  }
  used_ += grown;
  size = end;
  return Status::Ok();
}

void ScratchEnv::Shrink(const std::string& path, uint64_t size, bool gone) {
  MutexLock lock(&mu_);
  auto it = sizes_.find(path);
  if (it == sizes_.end()) return;
  const uint64_t freed = it->second - std::min(it->second, size);
  it->second -= freed;
  used_ -= freed;
  if (gone) sizes_.erase(it);
  SettleLocked();
}

void ScratchEnv::SettleLocked() {
  if (account_.release && held_ > used_) {
    account_.release(held_ - used_);
    held_ = used_;
  }
}

Result<std::unique_ptr<File>> ScratchEnv::Open(const std::string& path, OpenMode mode) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->Open(path, mode));
  if (mode != OpenMode::kCreate && mode != OpenMode::kCreateExclusive) return file;
  Shrink(path, 0, false);  // kCreate truncates a file made earlier
  return std::unique_ptr<File>(std::make_unique<CountedFile>(this, path, std::move(file)));
}

Status ScratchEnv::Unlink(const std::string& path) {
  Status st = base_->Unlink(path);
  if (st.ok() || st.code() == Status::Code::kNotFound) Shrink(path, 0, true);
  return st;
}

Status ScratchEnv::Rename(const std::string& from, const std::string& to, RenameMode mode) {
  RETURN_IF_ERROR(base_->Rename(from, to, mode));
  MutexLock lock(&mu_);
  if (auto it = sizes_.find(from); it != sizes_.end()) {
    // The bytes stay on disk under the new name, still counted; a file it replaced is gone.
    const uint64_t size = it->second;
    sizes_.erase(it);
    if (auto old = sizes_.find(to); old != sizes_.end()) {
      used_ -= old->second;
      old->second = size;
    } else {
      sizes_[to] = size;
    }
    SettleLocked();
  }
  return Status::Ok();
}

}  // namespace scopefs::store
