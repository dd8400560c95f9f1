#include "fs/handle.h"

#include <algorithm>

namespace scopefs::fs {

store::Result<ReadBytes> Handle::Read(Filesystem&, uint64_t, size_t) {
  return store::Status::BadHandle("read: " + node().name() + " is not open for reading");
}

store::Status Handle::Write(Filesystem&, uint64_t, std::string_view) {
  return store::Status::BadHandle("write: " + node().name() + " is not open for writing");
}

store::Status Handle::Resize(uint64_t) {
  return store::Status::BadHandle("truncate: " + node().name() + " is not open for writing");
}

store::Status Handle::Allocate(uint64_t) {
  return store::Status::BadHandle("fallocate: " + node().name() + " is not open for writing");
}

store::Status Handle::Flush(Filesystem&) { return store::Status::Ok(); }

ReadBytes Slice(std::shared_ptr<const std::string> bytes, uint64_t offset, size_t size) {
  const size_t from = std::min<uint64_t>(offset, bytes->size());
  ReadBytes out;
  out.data = bytes->data() + from;
  out.size = std::min(size, bytes->size() - from);
  out.owner = std::move(bytes);
  return out;
}

store::Result<ReadBytes> ContentHandle::Read(Filesystem&, uint64_t offset, size_t size) {
  return Slice(content_, offset, size);
}

}  // namespace scopefs::fs
