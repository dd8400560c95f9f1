// StatusFileNode: <key>/.status of a pending scope, one generated line saying
// what the scope waits for or why its commit was refused.
#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/kinds.h"

namespace scopefs::fs {

std::shared_ptr<Node> StatusFileNode::For(Filesystem& fs,
                                          const std::shared_ptr<store::PendingScope>& pending) {
  return fs.inodes().Lookup(
      "s:" + AddressOf(pending.get()), [](const Node&) { return true; },
      [&](fuse_ino_t ino) { return std::make_shared<StatusFileNode>(ino, pending); });
}

store::Result<std::string> StatusFileNode::Content() const {
  if (pending_->closed()) return store::Status::NotFound(".status of a committed scope");
  return pending_->StatusLine() + "\n";
}

store::Result<struct stat> StatusFileNode::Attr(const Filesystem& fs) const {
  ASSIGN_OR_RETURN(std::string content, Content());
  struct stat st = FileStat(fs, *this, 0444, content.size());
  const int64_t now = fs.clock().NowNanos();
  SetTimes(st, now, now, now);
  return st;
}

store::Result<std::unique_ptr<Handle>> StatusFileNode::Open(Filesystem&, const Caller&,
                                                            fuse_file_info* fi) {
  if (WantsWrite(fi)) return store::Status::Access(name() + " is read-only");
  ASSIGN_OR_RETURN(std::string content, Content());
  fi->direct_io = 1;  // it changes with every file the scope gets
  fi->noflush = 1;
  return std::unique_ptr<Handle>(
      std::make_unique<ContentHandle>(shared_from_this(), std::move(content)));
}

}  // namespace scopefs::fs
