// BufferedWriter: appends to a store::File through one large buffer.
//
// Generating a scope formats tens of millions of small JSON entries; this makes each
// one cost a memcpy and gives the file few, large writes. The first error sticks:
// later appends are dropped and Finish() returns it, so hot loops test ok() rather
// than build a Status per entry.
//
// Not thread-safe; owned by the function writing the file. The file must outlive it.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "store/env.h"
#include "store/status.h"

namespace scopefs::tools {

class BufferedWriter {
 public:
  static constexpr size_t kDefaultCapacity = size_t{4} << 20;

  // Writes start at offset 0 of `file`. REQUIRES: capacity > 0.
  explicit BufferedWriter(store::File* file, size_t capacity = kDefaultCapacity);
  BufferedWriter(const BufferedWriter&) = delete;
  BufferedWriter& operator=(const BufferedWriter&) = delete;

  void Append(std::string_view data) {
    if (data.size() <= capacity_ - used_) {
      std::memcpy(buf_.get() + used_, data.data(), data.size());
      used_ += data.size();
    } else {
      AppendSlow(data);
    }
  }

  // False once a write has failed.
  bool ok() const { return status_.ok(); }
  // Bytes appended so far, written or still buffered.
  uint64_t size() const { return offset_ + used_; }

  // Writes what is buffered. Returns the first error of any write.
  store::Status Finish();

 private:
  void AppendSlow(std::string_view data);
  void Flush();

  store::File* const file_;
  const size_t capacity_;
  std::unique_ptr<char[]> buf_;
  size_t used_ = 0;
  uint64_t offset_ = 0;  // file offset of buf_[0]
  store::Status status_;
};

}  // namespace scopefs::tools
