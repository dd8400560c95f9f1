// Handle: what an open file or directory holds, behind fuse_file_info::fh.
//
// A handle keeps everything it reads alive: a removed or evicted scope's
// bytes stay readable until the last handle on them is released.
// Ownership: created by open/create/opendir, destroyed by release/releasedir.
// Thread-safety: fields are set at open and then only read, except the
// read-ahead state, which ra_mu guards (the kernel may read one handle from
// several threads).
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fs/filesystem.h"
#include "fs/node.h"
#include "store/chunked_gzip_reader.h"
#include "store/happens_before.h"

namespace scopefs::fs {

struct Handle {
  ~Handle();  // stops counting as a writer: however a handle ends, its file is let go

  std::shared_ptr<Node> node;

  // Committed files.
  std::shared_ptr<store::Scope> scope;
  std::shared_ptr<const std::string> bits;  // nodes.bits, links.bits: verified at open
  std::shared_ptr<const store::ChunkedGzipReader> mappings;
  std::mutex ra_mu;
  store::ReadAheadState read_ahead;

  // Generated files: the bytes, made at open. An action file's content is
  // its last result instead, replaced by each write under content_mu.
  std::string content;
  bool action = false;
  std::mutex content_mu;

  // Pending files opened for writing. `writing`: counted as a writer of the
  // file, from the open until a flush (a close() of one of its descriptors)
  // and again after a later write through another one. Not until release:
  // the kernel sends that asynchronously, so a copy's next file could be
  // closed, and its scope ready, before this one's release arrives.
  std::shared_ptr<store::PendingScope> pending;
  std::shared_ptr<store::PendingFile> pending_file;
  bool writer = false;
  std::atomic<bool> writing{false};

  // rsync's temporary meta.json in a committed scope.
  std::shared_ptr<MetaDraft> draft;

  // Directories: the entries, listed at opendir.
  std::vector<Filesystem::DirEntry> entries;
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

// A writer handle starts or stops counting as a writer of its pending file.
inline void ResumeWriting(Handle& h) {
  if (!h.writing.exchange(true)) h.pending->AddWriter(*h.pending_file);
}
inline void StopWriting(Handle& h) {
  if (h.writing.exchange(false)) h.pending->RemoveWriter(*h.pending_file);
}
inline Handle::~Handle() { StopWriting(*this); }

}  // namespace scopefs::fs
