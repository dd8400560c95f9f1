// PendingFileNode: a file of a pending scope. Written, never read (EBUSY):
// no reader ever sees a partial scope. The last writer's close commits.
#include <fcntl.h>

#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/kinds.h"

namespace scopefs::fs {
namespace {

// A pending file open for writing. It counts as a writer of its file from the
// open until a flush (a close() of one of its descriptors), and again after a
// later write through another one; not until release, which the kernel sends
// asynchronously: a copy's next file could be closed, and its scope ready,
// before this one's release arrives.
class PendingWriteHandle final : public Handle {
 public:
  PendingWriteHandle(std::shared_ptr<Node> node, std::shared_ptr<store::PendingScope> pending,
                     std::shared_ptr<store::PendingFile> file)
      : Handle(std::move(node)), pending_(std::move(pending)), file_(std::move(file)) {
    ResumeWriting();
  }
  ~PendingWriteHandle() override { StopWriting(); }  // however a handle ends, its file is let go

  store::Result<ReadBytes> Read(Filesystem&, uint64_t, size_t) override {
    return store::Status::Busy(node().name() + " is pending");
  }
  store::Status Write(Filesystem&, uint64_t offset, std::string_view data) override {
    RETURN_IF_ERROR(CheckOpen());
    ResumeWriting();  // a write through a descriptor still open after another's close
    return file_->Write(offset, data);
  }
  store::Status Resize(uint64_t size) override { return file_->Truncate(size); }
  store::Status Allocate(uint64_t end) override {
    RETURN_IF_ERROR(CheckOpen());
    if (end <= file_->attrs().size) return store::Status::Ok();
    return file_->Truncate(end);
  }
  // The close that completes the scope commits it: its validation error is
  // what close() returns (EINVAL, with the reason in .status).
  store::Status Flush(Filesystem& fs) override {
    StopWriting();
    if (pending_->closed() || !pending_->ReadyToCommit(nullptr)) return store::Status::Ok();
    return fs.store().Commit(pending_).status();
  }

 private:
  store::Status CheckOpen() const {
    if (pending_->closed()) return store::Status::Access(node().name() + ": scope is committed");
    return store::Status::Ok();
  }
  void ResumeWriting() {
    if (!writing_.exchange(true)) pending_->AddWriter(*file_);
  }
  void StopWriting() {
    if (writing_.exchange(false)) pending_->RemoveWriter(*file_);
  }

  const std::shared_ptr<store::PendingScope> pending_;
  const std::shared_ptr<store::PendingFile> file_;
  std::atomic<bool> writing_{false};
};

}  // namespace

std::shared_ptr<Node> PendingFileNode::For(Filesystem& fs,
                                           const std::shared_ptr<store::PendingScope>& pending,
                                           const std::shared_ptr<store::PendingFile>& file,
                                           const std::string& name) {
  // The node holds the file, so its address names it for as long as the node lives.
  std::shared_ptr<Node> node = fs.inodes().Lookup(
      "p:" + AddressOf(file.get()), [](const Node&) { return true; },
      [&](fuse_ino_t ino) { return std::make_shared<PendingFileNode>(ino, name, pending, file); });
  node->SetName(name);  // the same file under a new name after a rename
  return node;
}

store::Result<struct stat> PendingFileNode::Attr(const Filesystem& fs) const {
  return UserFileStat(fs, *this, file_->attrs());
}

store::Status PendingFileNode::SetAttr(Filesystem&, const Caller& caller,
                                       const store::AttrChange& change, Handle* handle) {
  if (pending_->closed()) {
    if (change.size) return store::Status::Access("the scope is committed and read-only");
    return store::Status::Ok();  // e.g. tar setting times after the commit
  }
  if (change.size) {
    RETURN_IF_ERROR(ClaimPending(caller, *pending_));
    // An open handle keeps its file even if the name moved on.
    RETURN_IF_ERROR(handle ? handle->Resize(*change.size) : file_->Truncate(*change.size));
  }
  file_->SetAttrs(change);
  return store::Status::Ok();
}

store::Result<std::unique_ptr<Handle>> PendingFileNode::Open(Filesystem& fs, const Caller& caller,
                                                             fuse_file_info* fi) {
  const bool write = WantsWrite(fi);
  if (write) RETURN_IF_ERROR(fs.access().MayWrite(caller, "write " + name()));
  if (pending_->closed()) {
    if (write) return store::Status::Access(name() + ": the scope is committed");
    // A reader that looked the name up just before the commit: ESTALE makes
    // the kernel look it up again (LOOKUP_REVAL) and open the committed file.
    return Gone(name() + " of a scope committed since its lookup");
  }
  if (!write) {
    return store::Status::Busy(name() + " belongs to a pending scope; it can be read once " +
                               "the scope is committed");
  }
  RETURN_IF_ERROR(ClaimPending(caller, *pending_));
  if (fi->flags & O_TRUNC) RETURN_IF_ERROR(file_->Truncate(0));
  fi->direct_io = 1;  // writes go straight through; nothing to cache
  return std::unique_ptr<Handle>(
      std::make_unique<PendingWriteHandle>(shared_from_this(), pending_, file_));
}

}  // namespace scopefs::fs
