#include "fs/filesystem.h"

#include "fs/handle.h"
#include "fs/kinds.h"

namespace scopefs::fs {

store::Status Gone(const std::string& what) { return store::Status::Stale(what + " is gone"); }

Filesystem::Filesystem(store::Store* store, AccessPolicy access)
    : store_(store),
      access_(access),
      drafts_(ProcessAlive),
      started_ns_(store::SystemClock()->NowNanos()) {}

Filesystem::~Filesystem() {
  store::MutexLock lock(&handles_mu_);  // uncontended: the session has ended
  for (Handle* handle : handles_) delete handle;
}

void Filesystem::AdoptHandle(Handle* handle) {
  store::MutexLock lock(&handles_mu_);
  handles_.insert(handle);
}

void Filesystem::ForgetHandle(Handle* handle) {
  store::MutexLock lock(&handles_mu_);
  handles_.erase(handle);
}

const store::Clock& Filesystem::clock() const { return *store::SystemClock(); }

namespace {
std::shared_ptr<ScopeDirNode> ScopeDir(std::shared_ptr<Node> node) {
  return std::static_pointer_cast<ScopeDirNode>(
      std::move(node));  // only scope dirs have these identities
}
}  // namespace

fuse_ino_t Filesystem::KnownScopeDir(const std::string& key) {
  std::shared_ptr<Node> dir = inodes_.FindByIdentity(ScopeDirNode::Identity(key));
  return dir ? dir->ino() : 0;
}

std::vector<std::shared_ptr<Node>> Filesystem::GoneScopeDirs() {
  std::vector<std::shared_ptr<Node>> gone;
  for (std::shared_ptr<Node>& node : inodes_.WithIdentityPrefix(ScopeDirNode::Identity(""))) {
    std::shared_ptr<ScopeDirNode> dir = ScopeDir(node);
    const ScopeDirNode::Binding b = dir->Resolve();
    if (!b.scope && !b.pending && !dir->unlinked()) gone.push_back(std::move(node));
  }
  return gone;
}

void Filesystem::RenamedScopeDir(const std::string& from, const std::string& to) {
  std::shared_ptr<Node> dir = inodes_.FindByIdentity(ScopeDirNode::Identity(from));
  inodes_.Rekey(ScopeDirNode::Identity(from), ScopeDirNode::Identity(to));
  if (dir) dir->SetName(to);
}

bool Filesystem::EndUnlinkedScopeDir(const std::string& key) {
  std::shared_ptr<Node> node = inodes_.FindByIdentity(ScopeDirNode::Identity(key));
  if (!node) return false;
  std::shared_ptr<ScopeDirNode> dir = ScopeDir(node);
  if (!dir->unlinked()) return false;
  dir->DropGhost();
  return true;
}

}  // namespace scopefs::fs
