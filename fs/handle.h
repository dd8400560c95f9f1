// Handle: what an open file or directory holds, behind fuse_file_info::fh.
//
// Each node kind opens its own kind of handle (in the kind's file); a handle
// keeps everything it reads alive, so a removed or evicted scope's bytes stay
// readable until the last handle on them is released.
// Ownership: created by open/create/opendir, owned by the kernel's file info
// until release/releasedir (and registered with the Filesystem, which frees
// the ones the kernel never released).
// Thread-safety: the kernel may use one handle from several threads at once:
// every kind guards what it changes.
#pragma once

#include <fuse_lowlevel.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fs/filesystem.h"
#include "fs/node.h"
#include "store/happens_before.h"

namespace scopefs::fs {

// Bytes a read replies with, and what keeps them alive until the reply is sent.
struct ReadBytes {
  std::shared_ptr<const void> owner;
  const char* data = nullptr;
  size_t size = 0;
};

class Handle {
 public:
  explicit Handle(std::shared_ptr<Node> node) : node_(std::move(node)) {}
  virtual ~Handle() = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  Node& node() const { return *node_; }
  const std::shared_ptr<Node>& shared_node() const { return node_; }

  // Up to `size` bytes at `offset` (fewer at the end). Default: BadHandle.
  virtual store::Result<ReadBytes> Read(Filesystem& fs, uint64_t offset, size_t size);
  // Default: BadHandle (not open for writing).
  virtual store::Status Write(Filesystem& fs, uint64_t offset, std::string_view data);
  // ftruncate through this handle. Default: BadHandle.
  virtual store::Status Resize(uint64_t size);
  // fallocate up to `end`. Default: BadHandle.
  virtual store::Status Allocate(uint64_t end);
  // A close() of one of its descriptors: may come more than once. Default: OK.
  virtual store::Status Flush(Filesystem& fs);

 private:
  const std::shared_ptr<Node> node_;
};

// A generated file's bytes, made at open: readers see one consistent copy.
class ContentHandle : public Handle {
 public:
  ContentHandle(std::shared_ptr<Node> node, std::string content)
      : Handle(std::move(node)),
        content_(std::make_shared<const std::string>(std::move(content))) {}
  store::Result<ReadBytes> Read(Filesystem& fs, uint64_t offset, size_t size) override;

 private:
  const std::shared_ptr<const std::string> content_;
};

// `bytes[offset, offset + size)`, clipped to its end, kept alive by `owner`.
ReadBytes Slice(std::shared_ptr<const std::string> bytes, uint64_t offset, size_t size);

// A directory's entries, listed at opendir, so a readdir in pieces sees one
// consistent snapshot.
class DirHandle : public Handle {
 public:
  DirHandle(std::shared_ptr<Node> node, std::vector<DirEntry> listing)
      : Handle(std::move(node)), entries(std::move(listing)) {}
  const std::vector<DirEntry> entries;
};

// Hands ownership of `handle` to the kernel's file info (registered with
// `fs`, which frees what the kernel never releases).
inline void StoreHandle(Filesystem& fs, fuse_file_info* fi, std::unique_ptr<Handle> handle) {
  fs.AdoptHandle(handle.get());
  fi->fh = reinterpret_cast<uint64_t>(handle.release());
}
inline Handle& GetHandle(const fuse_file_info* fi) { return *reinterpret_cast<Handle*>(fi->fh); }
// Takes ownership back, at release. The kernel sends release only after every
// request on the handle was answered; MarkHandleUsed() in those handlers lets
// ThreadSanitizer see that order too.
inline std::unique_ptr<Handle> TakeHandle(Filesystem& fs, fuse_file_info* fi) {
  auto* handle = reinterpret_cast<Handle*>(fi->fh);
  store::HappensAfter(handle);
  fs.ForgetHandle(handle);
  return std::unique_ptr<Handle>(handle);
}
inline void MarkHandleUsed(const Handle& handle) { store::HappensBefore(&handle); }

}  // namespace scopefs::fs
