// MetaDraftNode: rsync's temporary meta.json in a committed scope
// (meta_drafts.h says what a draft is for and how long it lives).
#include <fcntl.h>

#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/kinds.h"

namespace scopefs::fs {
namespace {

class DraftHandle final : public Handle {
 public:
  DraftHandle(std::shared_ptr<Node> node, std::shared_ptr<MetaDraft> draft,
              const store::Clock& clock)
      : Handle(std::move(node)), draft_(std::move(draft)), clock_(clock) {
    draft_->Opened();
  }
  ~DraftHandle() override { draft_->Closed(clock_.NowNanos()); }

  // A draft may have grown since the open: read what it holds now.
  store::Result<ReadBytes> Read(Filesystem&, uint64_t offset, size_t size) override {
    return Slice(std::make_shared<const std::string>(draft_->data()), offset, size);
  }
  store::Status Write(Filesystem&, uint64_t offset, std::string_view data) override {
    return draft_->Write(offset, data);
  }
  store::Status Resize(uint64_t size) override { return draft_->Truncate(size); }

 private:
  const std::shared_ptr<MetaDraft> draft_;
  const store::Clock& clock_;
};

}  // namespace

std::shared_ptr<Node> MetaDraftNode::For(Filesystem& fs, const std::shared_ptr<MetaDraft>& draft,
                                         const std::string& name) {
  return fs.inodes().Lookup(
      "m:" + AddressOf(draft.get()), [](const Node&) { return true; },
      [&](fuse_ino_t ino) { return std::make_shared<MetaDraftNode>(ino, name, draft); });
}

store::Result<struct stat> MetaDraftNode::Attr(const Filesystem& fs) const {
  return UserFileStat(fs, *this, draft_->attrs());
}

store::Status MetaDraftNode::SetAttr(Filesystem& fs, const Caller&, const store::AttrChange& change,
                                     Handle*) {
  if (change.size) RETURN_IF_ERROR(draft_->Truncate(*change.size));
  draft_->SetAttrs(change, fs.clock().NowNanos());
  return store::Status::Ok();
}

store::Result<std::unique_ptr<Handle>> MetaDraftNode::Open(Filesystem& fs, const Caller& caller,
                                                           fuse_file_info* fi) {
  if (WantsWrite(fi)) RETURN_IF_ERROR(fs.access().MayWrite(caller, "write " + name()));
  if (fi->flags & O_TRUNC) RETURN_IF_ERROR(draft_->Truncate(0));
  fi->direct_io = 1;
  return std::unique_ptr<Handle>(
      std::make_unique<DraftHandle>(shared_from_this(), draft_, fs.clock()));
}

}  // namespace scopefs::fs
