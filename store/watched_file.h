// WatchedFile: a File that shows every write to a check before it lands.
//
// The store uses it to ask the cache for room before a file grows: a commit's
// staged copies (commit.cc) and mappings compressed as they are written
// (mappings_encoder.cc). The check sees each write's offset and bytes first;
// if it fails, nothing is written and its error is returned.
//
// Ownership: owns the wrapped file. Thread-safety: as the wrapped file; the
// check runs on the writing thread.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "store/env.h"

namespace scopefs::store {

class WatchedFile final : public File {
 public:
  using Check = std::function<Status(uint64_t offset, std::string_view data)>;

  WatchedFile(std::unique_ptr<File> file, Check check)
      : file_(std::move(file)), check_(std::move(check)) {}

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    return file_->ReadAt(offset, buf, n);
  }
  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    RETURN_IF_ERROR(check_(offset, std::string_view(data, n)));
    return file_->WriteAt(offset, data, n);
  }
  Status Truncate(uint64_t size) override { return file_->Truncate(size); }
  Status Sync() override { return file_->Sync(); }
  void StartWriteback(uint64_t offset, uint64_t n) override { file_->StartWriteback(offset, n); }
  Result<uint64_t> Size() const override { return file_->Size(); }

 private:
  std::unique_ptr<File> file_;
  Check check_;
};

}  // namespace scopefs::store
