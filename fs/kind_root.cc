// RootNode: the mountpoint. Its names are the scopes' keys and .scopefs.
#include "fs/filesystem.h"
#include "fs/kinds.h"
#include "fs/shared_link.h"
#include "store/key.h"

namespace scopefs::fs {

store::Result<struct stat> RootNode::Attr(const Filesystem& fs) const {
  struct stat st = DirStat(fs, *this, fs.access().root_mode());
  st.st_uid = fs.access().root_uid();
  st.st_gid = fs.access().root_gid();
  SetTimes(st, fs.started_ns(), fs.started_ns(), fs.started_ns());
  return st;
}

store::Result<std::shared_ptr<Node>> RootNode::Lookup(Filesystem& fs, const std::string& name) {
  if (name == kControlDirName) return fs.inodes().Get(kControlDirIno);
  if (std::shared_ptr<store::Scope> scope = fs.store().Find(name)) {
    fs.CountLookup(true);
    return ScopeDirNode::ForScope(fs, name, scope);
  }
  if (std::shared_ptr<store::PendingScope> pending = fs.store().FindPending(name)) {
    return ScopeDirNode::ForPending(fs, pending);
  }
  // Neither here nor pending: another host may have published it. Names that
  // cannot be keys (dot files, rsync's temporaries) never reach the tier.
  if (fs.shared() != nullptr && store::ValidateKey(name).ok()) {
    store::Result<std::shared_ptr<store::Scope>> fetched = fs.shared()->Fetch(name);
    if (fetched.ok()) {
      fs.CountLookup(true);
      return ScopeDirNode::ForScope(fs, name, *fetched);
    }
    if (fetched.status().code() != store::Status::Code::kNotFound) return fetched.status();
  }
  fs.CountLookup(false);
  return store::Status::NotFound("no " + store::Printable(name));
}

store::Result<std::vector<DirEntry>> RootNode::List(const Filesystem& fs) const {
  std::vector<DirEntry> out;
  out.push_back({std::string(kControlDirName), S_IFDIR});
  for (const auto& scope : fs.store().List()) out.push_back({scope->key(), S_IFDIR});
  for (const auto& pending : fs.store().ListPending()) out.push_back({pending->key(), S_IFDIR});
  return out;
}

store::Result<std::shared_ptr<Node>> RootNode::Mkdir(Filesystem& fs, const Caller& caller,
                                                     const std::string& name, mode_t mode) {
  // A new key: take its computation lease first, so two hosts do not compute
  // one scope (EBUSY for the second). A key here already gets the store's answer.
  const bool lease = fs.shared() != nullptr && store::ValidateKey(name).ok() &&
                     !fs.store().Find(name) && !fs.store().FindPending(name);
  if (lease) RETURN_IF_ERROR(fs.shared()->TakeLease(name));
  store::Result<std::shared_ptr<store::PendingScope>> made = fs.store().CreatePending(name);
  if (!made.ok()) {
    if (lease) fs.shared()->ReleaseLease(name);
    return made.status();
  }
  std::shared_ptr<store::PendingScope> pending = std::move(made).value();
  fs.EndUnlinkedScopeDir(name);
  store::AttrChange attrs;
  attrs.mode = mode & 07777 & ~caller.umask;
  attrs.uid = caller.uid;
  attrs.gid = caller.gid;
  pending->SetDirAttrs(attrs);
  return ScopeDirNode::ForPending(fs, pending);
}

store::Status RootNode::Rmdir(Filesystem& fs, const std::string& name) {
  if (name == kControlDirName) return store::Status::Permission(".scopefs cannot be removed");
  // The rest of an `rm -r` whose first unlink removed the scope.
  if (fs.EndUnlinkedScopeDir(name)) return store::Status::Ok();
  if (fs.store().Find(name)) return store::Status::NotEmpty("rmdir " + store::Printable(name));
  std::shared_ptr<store::PendingScope> pending = fs.store().FindPending(name);
  if (!pending) return store::Status::NotFound(store::Printable(name));
  if (!pending->List().empty()) return store::Status::NotEmpty("rmdir " + store::Printable(name));
  return fs.store().DropPending(name);
}

store::Status RootNode::Unlink(Filesystem&, const std::string& name) {
  if (name == kControlDirName) return store::Status::Permission(".scopefs cannot be removed");
  return store::Status::IsDir("unlink " + store::Printable(name));
}

store::Status RootNode::Rename(Filesystem& fs, const Caller&, const std::string& from, Node& to_dir,
                               const std::string& to, unsigned int) {
  if (to_dir.ino() != ino()) return store::Status::CrossDevice("scopes live at the top level");
  if (from == kControlDirName || to == kControlDirName) {
    return store::Status::Permission(".scopefs cannot be renamed");
  }
  RETURN_IF_ERROR(fs.store().Rename(from, to));
  fs.RenamedScopeDir(from, to);
  return store::Status::Ok();
}

}  // namespace scopefs::fs
