#include "tools/scopectl/buffered_writer.h"

#include <algorithm>

namespace scopefs::tools {

BufferedWriter::BufferedWriter(store::File* file, size_t capacity)
    : file_(file), capacity_(capacity), buf_(new char[capacity]) {}

void BufferedWriter::AppendSlow(std::string_view data) {
  while (!data.empty()) {
    if (used_ == capacity_) Flush();
    size_t n = std::min(data.size(), capacity_ - used_);
    std::memcpy(buf_.get() + used_, data.data(), n);
    used_ += n;
    data.remove_prefix(n);
  }
}

void BufferedWriter::Flush() {
  // After a failure, keep counting bytes but stop touching the file: the caller
  // learns of the error from ok() or Finish() and removes the file.
  if (status_.ok() && used_ > 0) status_ = file_->WriteAt(offset_, buf_.get(), used_);
  offset_ += used_;
  used_ = 0;
}

store::Status BufferedWriter::Finish() {
  Flush();
  return status_;
}

}  // namespace scopefs::tools
