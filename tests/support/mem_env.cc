#include "tests/support/mem_env.h"

#include <algorithm>
#include <cerrno>
#include <functional>

namespace scopefs::testing {

using store::Result;
using store::Status;

struct MemEnv::Node {
  bool is_dir = false;
  std::string data;                                              // volatile bytes
  std::string durable_data;                                      // bytes on stable storage
  std::map<std::string, std::shared_ptr<Node>> entries;          // volatile
  std::map<std::string, std::shared_ptr<Node>> durable_entries;  // on stable storage
};

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  return parts;
}

Status Err(int err, const std::string& what) { return Status::FromErrno(err, what); }

}  // namespace

class MemEnv::MemFile final : public store::File {
 public:
  MemFile(MemEnv* env, std::shared_ptr<Node> node, uint64_t generation, bool writable)
      : env_(env), node_(std::move(node)), generation_(generation), writable_(writable) {}

  Result<size_t> ReadAt(uint64_t offset, char* buf, size_t n) const override {
    std::lock_guard lock(env_->mu_);
    if (env_->generation_ != generation_) return Err(EIO, "read after crash");
    if (offset >= node_->data.size()) return size_t{0};
    size_t len = std::min<uint64_t>(n, node_->data.size() - offset);
    std::copy_n(node_->data.data() + offset, len, buf);
    return len;
  }

  Status WriteAt(uint64_t offset, const char* data, size_t n) override {
    std::lock_guard lock(env_->mu_);
    if (env_->generation_ != generation_) return Err(EIO, "write after crash");
    if (!writable_) return Err(EBADF, "write to read-only file");
    if (node_->data.size() < offset + n) node_->data.resize(offset + n, '\0');
    std::copy_n(data, n, node_->data.data() + offset);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard lock(env_->mu_);
    if (env_->generation_ != generation_) return Err(EIO, "truncate after crash");
    if (!writable_) return Err(EBADF, "truncate of read-only file");
    node_->data.resize(size, '\0');
    return Status::Ok();
  }

  Status Sync() override {
    std::lock_guard lock(env_->mu_);
    if (env_->generation_ != generation_) return Err(EIO, "fsync after crash");
    node_->durable_data = node_->data;
    return Status::Ok();
  }

  Result<uint64_t> Size() const override {
    std::lock_guard lock(env_->mu_);
    if (env_->generation_ != generation_) return Err(EIO, "stat after crash");
    return static_cast<uint64_t>(node_->data.size());
  }

 private:
  MemEnv* const env_;
  const std::shared_ptr<Node> node_;
  const uint64_t generation_;
  const bool writable_;
};

class MemEnv::MemLock final : public store::FileLock {
 public:
  MemLock(MemEnv* env, std::string path, uint64_t generation)
      : env_(env), path_(std::move(path)), generation_(generation) {}
  ~MemLock() override {
    std::lock_guard lock(env_->mu_);
    if (env_->generation_ == generation_) env_->locked_.erase(path_);
  }

 private:
  MemEnv* const env_;
  const std::string path_;
  const uint64_t generation_;
};

MemEnv::MemEnv() : root_(std::make_shared<Node>()) { root_->is_dir = true; }
MemEnv::~MemEnv() = default;

std::shared_ptr<MemEnv::Node> MemEnv::Find(const std::string& path) const {
  std::shared_ptr<Node> node = root_;
  for (const std::string& part : SplitPath(path)) {
    if (!node->is_dir) return nullptr;
    auto it = node->entries.find(part);
    if (it == node->entries.end()) return nullptr;
    node = it->second;
  }
  return node;
}

Result<std::pair<std::shared_ptr<MemEnv::Node>, std::string>> MemEnv::Parent(
    const std::string& path) const {
  std::vector<std::string> parts = SplitPath(path);
  if (parts.empty()) return Err(EBUSY, "root: " + path);
  std::string name = parts.back();
  parts.pop_back();
  std::shared_ptr<Node> dir = root_;
  for (const std::string& part : parts) {
    auto it = dir->entries.find(part);
    if (it == dir->entries.end()) return Err(ENOENT, path);
    dir = it->second;
    if (!dir->is_dir) return Err(ENOTDIR, path);
  }
  return std::make_pair(dir, name);
}

Result<std::unique_ptr<store::File>> MemEnv::Open(const std::string& path, store::OpenMode mode) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto parent, Parent(path));
  auto& [dir, name] = parent;
  auto it = dir->entries.find(name);
  std::shared_ptr<Node> node = it == dir->entries.end() ? nullptr : it->second;
  if (node && node->is_dir) return Err(EISDIR, "open " + path);
  switch (mode) {
    case store::OpenMode::kRead:
    case store::OpenMode::kReadWrite:
      if (!node) return Err(ENOENT, "open " + path);
      break;
    case store::OpenMode::kCreateExclusive:
      if (node) return Err(EEXIST, "open " + path);
      [[fallthrough]];
    case store::OpenMode::kCreate:
      if (!node) {
        node = std::make_shared<Node>();
        dir->entries[name] = node;
      }
      node->data.clear();
      break;
  }
  return std::unique_ptr<store::File>(
      new MemFile(this, node, generation_, mode != store::OpenMode::kRead));
}

Result<store::FileInfo> MemEnv::Stat(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Node> node = Find(path);
  if (!node) return Err(ENOENT, "stat " + path);
  return store::FileInfo{node->is_dir, node->is_dir ? 0 : node->data.size()};
}

Result<std::vector<std::string>> MemEnv::ListDir(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Node> node = Find(path);
  if (!node) return Err(ENOENT, "opendir " + path);
  if (!node->is_dir) return Err(ENOTDIR, "opendir " + path);
  std::vector<std::string> names;
  for (const auto& [name, child] : node->entries) names.push_back(name);
  return names;
}

Status MemEnv::MakeDir(const std::string& path) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto parent, Parent(path));
  auto& [dir, name] = parent;
  if (dir->entries.count(name)) return Err(EEXIST, "mkdir " + path);
  auto node = std::make_shared<Node>();
  node->is_dir = true;
  dir->entries[name] = node;
  return Status::Ok();
}

Status MemEnv::RemoveDir(const std::string& path) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto parent, Parent(path));
  auto& [dir, name] = parent;
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) return Err(ENOENT, "rmdir " + path);
  if (!it->second->is_dir) return Err(ENOTDIR, "rmdir " + path);
  if (!it->second->entries.empty()) return Err(ENOTEMPTY, "rmdir " + path);
  dir->entries.erase(it);
  return Status::Ok();
}

Status MemEnv::Unlink(const std::string& path) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto parent, Parent(path));
  auto& [dir, name] = parent;
  auto it = dir->entries.find(name);
  if (it == dir->entries.end()) return Err(ENOENT, "unlink " + path);
  if (it->second->is_dir) return Err(EISDIR, "unlink " + path);
  dir->entries.erase(it);
  return Status::Ok();
}

Status MemEnv::Rename(const std::string& from, const std::string& to, store::RenameMode mode) {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(auto src, Parent(from));
  ASSIGN_OR_RETURN(auto dst, Parent(to));
  auto it = src.first->entries.find(src.second);
  if (it == src.first->entries.end()) return Err(ENOENT, "rename " + from);
  std::shared_ptr<Node> node = it->second;
  auto target = dst.first->entries.find(dst.second);
  if (target != dst.first->entries.end()) {
    if (target->second == node) return Status::Ok();
    if (mode == store::RenameMode::kNoReplace) return Err(EEXIST, "rename to " + to);
    if (target->second->is_dir != node->is_dir) {
      return Err(node->is_dir ? ENOTDIR : EISDIR, "rename to " + to);
    }
    if (target->second->is_dir && !target->second->entries.empty()) {
      return Err(ENOTEMPTY, "rename to " + to);
    }
  }
  src.first->entries.erase(it);
  dst.first->entries[dst.second] = node;
  if (src.first != dst.first) unsynced_renames_.emplace_back(src.first, dst.first);
  return Status::Ok();
}

Status MemEnv::SyncDir(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Node> node = Find(path);
  if (!node) return Err(ENOENT, "open " + path);
  if (!node->is_dir) return Err(ENOTDIR, "fsync dir " + path);
  node->durable_entries = node->entries;
  std::erase_if(unsynced_renames_, [&](const auto& r) {
    if (r.first != node && r.second != node) return false;
    const std::shared_ptr<Node>& other = r.first == node ? r.second : r.first;
    other->durable_entries = other->entries;
    return true;
  });
  return Status::Ok();
}

Result<std::unique_ptr<store::FileLock>> MemEnv::LockFile(const std::string& path) {
  std::lock_guard lock(mu_);
  if (locked_.count(path)) return Status::Busy(path + " is locked by another process");
  locked_.insert(path);
  return std::unique_ptr<store::FileLock>(new MemLock(this, path, generation_));
}

void MemEnv::SimulateCrash(CrashMode mode) {
  std::lock_guard lock(mu_);
  ++generation_;
  locked_.clear();
  unsynced_renames_.clear();
  std::set<Node*> seen;  // a node renamed but not synced may be reachable twice
  std::function<void(const std::shared_ptr<Node>&)> revert = [&](const std::shared_ptr<Node>& n) {
    if (!seen.insert(n.get()).second) return;
    if (n->is_dir) {
      if (mode == CrashMode::kKeepUnsynced) {
        n->durable_entries = n->entries;
      } else {
        n->entries = n->durable_entries;
      }
      for (const auto& [name, child] : n->entries) revert(child);
      return;
    }
    switch (mode) {
      case CrashMode::kDropUnsynced: n->data = n->durable_data; break;
      case CrashMode::kZeroUnsynced: {
        std::string zeroed(n->data.size(), '\0');
        std::copy_n(n->durable_data.data(), std::min(zeroed.size(), n->durable_data.size()),
                    zeroed.data());
        n->data = std::move(zeroed);
        break;
      }
      case CrashMode::kKeepUnsynced: break;
    }
    n->durable_data = n->data;
  };
  revert(root_);
}

std::vector<std::string> MemEnv::Tree(const std::string& dir) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  std::function<void(const std::shared_ptr<Node>&, const std::string&)> walk =
      [&](const std::shared_ptr<Node>& n, const std::string& prefix) {
        for (const auto& [name, child] : n->entries) {
          out.push_back(prefix + "/" + name);
          if (child->is_dir) walk(child, prefix + "/" + name);
        }
      };
  if (std::shared_ptr<Node> start = Find(dir); start && start->is_dir) walk(start, dir);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace scopefs::testing
