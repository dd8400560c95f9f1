#include "fs/inode_table.h"

#include "fs/control_files.h"
#include "fs/kinds.h"

namespace scopefs::fs {

InodeTable::InodeTable() {
  AddStatic(std::make_shared<RootNode>());
  AddStatic(std::make_shared<ControlDirNode>());
  for (const ControlEntry& entry : ControlFiles())
    AddStatic(std::make_shared<ControlFileNode>(entry));
}

void InodeTable::AddStatic(std::shared_ptr<Node> node) {
  fuse_ino_t ino = node->ino();
  nodes_.insert({ino, std::move(node)});
}

std::shared_ptr<Node> InodeTable::Get(fuse_ino_t ino) const {
  NodeMap::const_accessor acc;
  if (!nodes_.find(acc, ino)) return nullptr;
  return acc->second;
}

std::shared_ptr<Node> InodeTable::Lookup(
    const std::string& identity, const std::function<bool(const Node&)>& still_valid,
    const std::function<std::shared_ptr<Node>(fuse_ino_t)>& make) {
  store::MutexLock lock(&mu_);
  if (auto it = by_identity_.find(identity); it != by_identity_.end()) {
    std::shared_ptr<Node> node = Get(it->second);
    if (node && still_valid(*node)) {
      ++node->lookups;
      return node;
    }
  }
  std::shared_ptr<Node> node = make(next_ino_++);
  node->lookups = 1;
  nodes_.insert({node->ino(), node});
  by_identity_[identity] = node->ino();
  identity_of_[node->ino()] = identity;
  return node;
}

void InodeTable::Rekey(const std::string& old_identity, const std::string& new_identity) {
  store::MutexLock lock(&mu_);
  auto it = by_identity_.find(old_identity);
  if (it == by_identity_.end()) return;
  const fuse_ino_t ino = it->second;
  by_identity_.erase(it);
  by_identity_[new_identity] = ino;
  identity_of_[ino] = new_identity;
}

std::shared_ptr<Node> InodeTable::FindByIdentity(const std::string& identity) {
  store::MutexLock lock(&mu_);
  auto it = by_identity_.find(identity);
  return it == by_identity_.end() ? nullptr : Get(it->second);
}

std::vector<std::shared_ptr<Node>> InodeTable::WithIdentityPrefix(std::string_view prefix) {
  store::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Node>> out;
  for (const auto& [ino, identity] : identity_of_) {  // older nodes of an identity too
    if (identity.starts_with(prefix)) {
      if (std::shared_ptr<Node> node = Get(ino)) out.push_back(std::move(node));
    }
  }
  return out;
}

void InodeTable::Forget(fuse_ino_t ino, uint64_t n) {
  if (ino < kFirstDynamicIno) return;  // root and control nodes live forever
  store::MutexLock lock(&mu_);
  std::shared_ptr<Node> node = Get(ino);
  if (!node) return;
  node->lookups = node->lookups > n ? node->lookups - n : 0;
  if (node->lookups > 0) return;
  nodes_.erase(ino);
  if (auto id = identity_of_.find(ino); id != identity_of_.end()) {
    auto it = by_identity_.find(id->second);
    if (it != by_identity_.end() && it->second == ino) by_identity_.erase(it);
    identity_of_.erase(id);
  }
}

}  // namespace scopefs::fs
