// ControlDirNode and ControlFileNode: .scopefs/ and the files generated in it.
#include <optional>

#include "fs/control_files.h"
#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/kinds.h"
#include "fs/request.h"
#include "fs/shared_link.h"
#include "store/key.h"

namespace scopefs::fs {
namespace {

// An action file's handle: each write runs the action, and reads return the
// result of the last one (control_files.h).
// The control file's content now, with the shared tier's figures if there is one.
std::string Generate(fuse_ino_t ino, const Filesystem& fs) {
  std::optional<store::SharedStats> shared;
  if (fs.shared() != nullptr) shared = fs.shared()->Stats();
  return GenerateControlFile(ino, fs.store(), fs.serve_counters(), shared ? &*shared : nullptr);
}

class ActionHandle final : public Handle {
 public:
  using Handle::Handle;

  store::Result<ReadBytes> Read(Filesystem&, uint64_t offset, size_t size) override {
    store::MutexLock lock(&mu_);
    return Slice(result_, offset, size);
  }
  store::Status Write(Filesystem& fs, uint64_t, std::string_view request) override {
    ActionResult result = RunControlAction(node().ino(), request, fs.store());
    store::MutexLock lock(&mu_);
    result_ = std::make_shared<const std::string>(std::move(result.output));
    return result.status;
  }
  store::Status Resize(uint64_t) override { return store::Status::Ok(); }  // `>` truncates first

 private:
  store::Mutex mu_;
  std::shared_ptr<const std::string> result_ GUARDED_BY(mu_) =
      std::make_shared<const std::string>();
};

}  // namespace

store::Result<struct stat> ControlDirNode::Attr(const Filesystem& fs) const {
  struct stat st = DirStat(fs, *this, 0555);
  SetTimes(st, fs.started_ns(), fs.started_ns(), fs.started_ns());
  return st;
}

store::Result<std::shared_ptr<Node>> ControlDirNode::Lookup(Filesystem& fs,
                                                            const std::string& name) {
  for (const ControlEntry& entry : ControlFiles()) {
    if (entry.name == name) return fs.inodes().Get(entry.ino);
  }
  return store::Status::NotFound("no " + store::Printable(name));
}

store::Result<std::vector<DirEntry>> ControlDirNode::List(const Filesystem&) const {
  std::vector<DirEntry> out;
  for (const ControlEntry& entry : ControlFiles())
    out.push_back({std::string(entry.name), S_IFREG});
  return out;
}

store::Result<struct stat> ControlFileNode::Attr(const Filesystem& fs) const {
  const std::string content = Generate(ino(), fs);
  struct stat st = FileStat(fs, *this, action_ ? 0600 : 0444, content.size());
  const int64_t now = fs.clock().NowNanos();
  SetTimes(st, now, now, now);
  return st;
}

store::Status ControlFileNode::SetAttr(Filesystem& fs, const Caller& caller,
                                       const store::AttrChange& change, Handle* handle) {
  if (action_) return store::Status::Ok();  // `echo KEY > verify` truncates
  return Node::SetAttr(fs, caller, change, handle);
}

store::Result<std::unique_ptr<Handle>> ControlFileNode::Open(Filesystem& fs, const Caller& caller,
                                                             fuse_file_info* fi) {
  fi->direct_io = 1;  // generated anew at each open: never serve a cached copy
  fi->noflush = 1;
  std::shared_ptr<Node> self = shared_from_this();
  if (WantsWrite(fi)) {
    if (!action_) return store::Status::Access(name() + " is read-only");
    RETURN_IF_ERROR(fs.access().MayAct(caller, name()));
    return std::unique_ptr<Handle>(std::make_unique<ActionHandle>(self));
  }
  return std::unique_ptr<Handle>(std::make_unique<ContentHandle>(self, Generate(ino(), fs)));
}

}  // namespace scopefs::fs
