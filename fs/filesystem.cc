#include "fs/filesystem.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "fs/control_files.h"
#include "fs/handle.h"
#include "store/key.h"
#include "store/layout.h"
#include "store/scope_record.h"

namespace scopefs::fs {
namespace {

using store::Result;
using store::Status;

// Committed scopes never change, so the kernel may keep their names and file
// attributes for long; eviction and expiry invalidate them explicitly.
constexpr double kImmutableTimeout = 3600;
// A directory's atime is its scope's last access (`ls -lut` shows LRU order).
constexpr double kScopeDirAttrTimeout = 1;

// A key's directory is one node whatever it holds (pending, then committed).
std::string ScopeDirIdentity(const std::string& key) { return "d:" + key; }

std::string Address(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

struct timespec Timespec(int64_t ns) {
  return {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

void SetTimes(struct stat& st, int64_t atime, int64_t mtime, int64_t ctime) {
  st.st_atim = Timespec(atime);
  st.st_mtim = Timespec(mtime);
  st.st_ctim = Timespec(ctime);
}

bool IsCommittedFile(std::string_view name) {
  for (std::string_view f : store::kScopeFiles) {
    if (f == name) return true;
  }
  return false;
}

}  // namespace

Status Stale(const std::string& what) { return Status::Stale(what + " is gone"); }

Filesystem::Filesystem(store::Store* store, AccessPolicy access)
    : store_(store),
      access_(access),
      uid_(getuid()),
      gid_(getgid()),
      started_ns_(store::SystemClock()->NowNanos()) {}

Filesystem::~Filesystem() {
  for (Handle* handle : handles_) delete handle;
}

void Filesystem::AdoptHandle(Handle* handle) {
  std::lock_guard lock(handles_mu_);
  handles_.insert(handle);
}

void Filesystem::ForgetHandle(Handle* handle) {
  std::lock_guard lock(handles_mu_);
  handles_.erase(handle);
}

const store::Clock& Filesystem::clock() const { return *store::SystemClock(); }

bool Filesystem::IsGenerated(const Node& node) {
  switch (node.kind()) {
    case NodeKind::kControlFile:
    case NodeKind::kStatusFile: return true;
    case NodeKind::kScopeFile: return node.name() == store::kMetaFile;
    default: return false;
  }
}

fuse_ino_t Filesystem::KnownScopeDir(const std::string& key) {
  std::shared_ptr<Node> dir = inodes_.FindByIdentity(ScopeDirIdentity(key));
  return dir ? dir->ino() : 0;
}

std::vector<std::shared_ptr<Node>> Filesystem::GoneScopeDirs() {
  std::vector<std::shared_ptr<Node>> gone;
  for (std::shared_ptr<Node>& dir : inodes_.WithIdentityPrefix(ScopeDirIdentity(""))) {
    const Node::Binding b = dir->Resolve();
    if (!b.scope && !b.pending && !dir->unlinked()) gone.push_back(std::move(dir));
  }
  return gone;
}

void Filesystem::RenamedScopeDir(const std::string& from, const std::string& to) {
  std::shared_ptr<Node> dir = inodes_.FindByIdentity(ScopeDirIdentity(from));
  inodes_.Rekey(ScopeDirIdentity(from), ScopeDirIdentity(to));
  if (dir) dir->SetName(to);
}

bool Filesystem::EndUnlinkedScopeDir(const std::string& key) {
  std::shared_ptr<Node> dir = inodes_.FindByIdentity(ScopeDirIdentity(key));
  if (!dir || !dir->unlinked()) return false;
  dir->DropGhost();
  return true;
}

namespace {
std::string DraftKey(const store::Scope& scope, const std::string& name) {
  return Address(&scope) + "/" + name;
}
}  // namespace

Result<std::shared_ptr<Node>> Filesystem::CreateDraft(const std::shared_ptr<store::Scope>& scope,
                                                      const std::string& name,
                                                      store::FileAttrs attrs) {
  auto draft = std::make_shared<MetaDraft>(attrs);
  {
    std::lock_guard lock(drafts_mu_);
    if (drafts_.size() >= kMaxDrafts) {
      return Status::NoSpace("too many unfinished meta.json drafts in committed scopes");
    }
    drafts_[DraftKey(*scope, name)] = draft;
  }
  return DraftNode(scope, draft, name);
}

std::shared_ptr<Node> Filesystem::DraftNode(const std::shared_ptr<store::Scope>& scope,
                                            const std::shared_ptr<MetaDraft>& draft,
                                            const std::string& name) {
  return inodes_.Lookup(
      "m:" + Address(draft.get()), [](const Node&) { return true; }, [&](fuse_ino_t ino) {
        auto node = std::make_shared<Node>(ino, NodeKind::kMetaDraft, name);
        node->BindDraft(scope, draft);
        return node;
      });
}

std::shared_ptr<MetaDraft> Filesystem::FindDraft(const store::Scope& scope, const std::string& name) {
  std::lock_guard lock(drafts_mu_);
  auto it = drafts_.find(DraftKey(scope, name));
  return it == drafts_.end() ? nullptr : it->second;
}

void Filesystem::RemoveDraft(const store::Scope& scope, const std::string& name) {
  std::lock_guard lock(drafts_mu_);
  drafts_.erase(DraftKey(scope, name));
}

Result<std::shared_ptr<Node>> Filesystem::Lookup(const Node& parent, const std::string& name) {
  auto not_found = [&] { return Status::NotFound("no " + store::Printable(name)); };
  switch (parent.kind()) {
    case NodeKind::kRoot: {
      if (name == kControlDirName) return inodes_.Get(kControlDirIno);
      if (std::shared_ptr<store::Scope> scope = store_->Find(name)) {
        ++hits_;
        return inodes_.Lookup(
            ScopeDirIdentity(name), [&](const Node& n) { return n.Resolve().scope == scope; },
            [&](fuse_ino_t ino) {
              auto node = std::make_shared<Node>(ino, NodeKind::kScopeDir, name);
              node->BindScope(scope);
              return node;
            });
      }
      if (std::shared_ptr<store::PendingScope> pending = store_->FindPending(name)) {
        return AddPendingDir(pending);
      }
      ++misses_;
      return not_found();
    }
    case NodeKind::kControlDir:
      for (const ControlFile& file : ControlFiles()) {
        if (file.name == name) return inodes_.Get(file.ino);
      }
      return not_found();
    case NodeKind::kScopeDir: {
      Node::Binding b = parent.Resolve();
      if (parent.unlinked()) b.scope = parent.ghost();
      if (b.scope && MetaDraft::IsDraftName(name)) {
        std::shared_ptr<MetaDraft> draft = FindDraft(*b.scope, name);
        if (!draft) return not_found();
        return DraftNode(b.scope, draft, name);
      }
      if (b.scope) {
        if (!IsCommittedFile(name)) return not_found();
        std::shared_ptr<store::Scope> scope = b.scope;
        // Compared, not assumed: a freed scope's address may be reused.
        return inodes_.Lookup(
            "f:" + Address(scope.get()) + "/" + name,
            [&](const Node& n) { return n.Resolve().scope == scope; },
            [&](fuse_ino_t ino) {
              auto node = std::make_shared<Node>(ino, NodeKind::kScopeFile, name);
              node->BindScope(scope);
              return node;
            });
      }
      if (b.pending) {
        if (name == ".status") {
          std::shared_ptr<store::PendingScope> pending = b.pending;
          return inodes_.Lookup(
              "s:" + Address(pending.get()), [](const Node&) { return true; },
              [&](fuse_ino_t ino) {
                auto node = std::make_shared<Node>(ino, NodeKind::kStatusFile, ".status");
                node->BindPending(pending);
                return node;
              });
        }
        ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> file, b.pending->Find(name));
        return AddPendingFile(b.pending, file, name);
      }
      return not_found();
    }
    default:
      return Status::NotDir(store::Printable(name));
  }
}

std::shared_ptr<Node> Filesystem::AddPendingDir(const std::shared_ptr<store::PendingScope>& pending) {
  const std::string key = pending->key();
  return inodes_.Lookup(
      ScopeDirIdentity(key), [&](const Node& n) { return n.Resolve().pending == pending; },
      [&](fuse_ino_t ino) {
        auto node = std::make_shared<Node>(ino, NodeKind::kScopeDir, key);
        node->BindPending(pending);
        return node;
      });
}

std::shared_ptr<Node> Filesystem::AddPendingFile(const std::shared_ptr<store::PendingScope>& pending,
                                                 const std::shared_ptr<store::PendingFile>& file,
                                                 const std::string& name) {
  std::shared_ptr<Node> node = inodes_.Lookup(
      "p:" + Address(file.get()), [](const Node&) { return true; },
      [&](fuse_ino_t ino) {
        auto n = std::make_shared<Node>(ino, NodeKind::kPendingFile, name);
        n->BindFile(pending, file);
        return n;
      });
  node->SetName(name);  // the same file under a new name after a rename
  return node;
}

Result<struct stat> Filesystem::Attr(const Node& node) const {
  struct stat st {};
  st.st_ino = node.ino();
  st.st_uid = uid_;
  st.st_gid = gid_;
  st.st_blksize = 4096;
  auto dir = [&](mode_t mode) {
    st.st_mode = S_IFDIR | mode;
    st.st_nlink = 2;
    st.st_size = 4096;
  };
  auto file = [&](mode_t mode, uint64_t size) {
    st.st_mode = S_IFREG | mode;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(size);
    st.st_blocks = static_cast<blkcnt_t>((size + 511) / 512);
  };
  switch (node.kind()) {
    case NodeKind::kRoot:
      dir(access_.root_mode());
      st.st_uid = access_.root_uid();
      st.st_gid = access_.root_gid();
      SetTimes(st, started_ns_, started_ns_, started_ns_);
      return st;
    case NodeKind::kControlDir:
      dir(0555);
      SetTimes(st, started_ns_, started_ns_, started_ns_);
      return st;
    case NodeKind::kControlFile:
    case NodeKind::kStatusFile: {
      ASSIGN_OR_RETURN(std::string content, Content(node));
      file(IsControlAction(node.ino()) ? 0600 : 0444, content.size());
      int64_t now = clock().NowNanos();
      SetTimes(st, now, now, now);
      return st;
    }
    case NodeKind::kScopeDir: {
      Node::Binding b = node.Resolve();
      if (b.scope && store_->Expired(*b.scope)) return Status::NotFound("scope expired");
      if (b.scope) {
        dir(0555);
        SetTimes(st, b.scope->last_access_ns(), b.scope->record().created_ns,
                 b.scope->record().created_ns);
        return st;
      }
      if (b.pending) {
        store::FileAttrs a = b.pending->dir_attrs();
        dir(a.mode);
        st.st_uid = a.uid;
        st.st_gid = a.gid;
        SetTimes(st, a.atime_ns, a.mtime_ns, a.ctime_ns);
        return st;
      }
      return Stale("scope " + node.name());
    }
    case NodeKind::kScopeFile: {
      Node::Binding b = node.Resolve();
      if (!b.scope) return Stale("scope file " + node.name());
      if (store_->Expired(*b.scope)) return Status::NotFound("scope expired");
      const store::ScopeRecord& r = b.scope->record();
      const std::string name = node.name();
      int64_t mtime = r.meta_mtime_ns;
      if (name == store::kNodesFile) {
        file(0444, r.nodes.size);
        mtime = r.nodes.mtime_ns;
      } else if (name == store::kLinksFile) {
        file(0444, r.links.size);
        mtime = r.links.mtime_ns;
      } else if (name == store::kMappingsFile) {
        file(0444, r.mappings_index.uncompressed_size);
        st.st_blocks = static_cast<blkcnt_t>((r.mappings.size + 511) / 512);  // du: bytes stored
        mtime = r.mappings.mtime_ns;
      } else {
        ASSIGN_OR_RETURN(std::string content, Content(node));
        file(0444, content.size());
      }
      SetTimes(st, b.scope->last_access_ns(), mtime, r.created_ns);
      return st;
    }
    case NodeKind::kPendingFile:
    case NodeKind::kMetaDraft: {
      Node::Binding b = node.Resolve();
      store::FileAttrs a = b.file ? b.file->attrs() : b.draft->attrs();
      file(a.mode, a.size);
      st.st_uid = a.uid;
      st.st_gid = a.gid;
      SetTimes(st, a.atime_ns, a.mtime_ns, a.ctime_ns);
      return st;
    }
  }
  return Status::Corruption("unknown node kind");
}

double Filesystem::EntryTimeout(const Node& node) const {
  switch (node.kind()) {
    case NodeKind::kRoot:
    case NodeKind::kControlDir:
    case NodeKind::kControlFile:
    case NodeKind::kScopeFile: return kImmutableTimeout;
    case NodeKind::kScopeDir: return node.Resolve().scope ? kImmutableTimeout : 0;
    default: return 0;  // pending names come and go; the kernel must ask
  }
}

double Filesystem::AttrTimeout(const Node& node) const {
  switch (node.kind()) {
    case NodeKind::kScopeFile: return IsGenerated(node) ? 0 : kImmutableTimeout;
    case NodeKind::kScopeDir: return node.Resolve().scope ? kScopeDirAttrTimeout : 0;
    case NodeKind::kRoot:
    case NodeKind::kControlDir: return kScopeDirAttrTimeout;
    default: return 0;
  }
}

Result<std::vector<Filesystem::DirEntry>> Filesystem::List(const Node& dir) const {
  std::vector<DirEntry> out;
  switch (dir.kind()) {
    case NodeKind::kRoot:
      out.push_back({std::string(kControlDirName), S_IFDIR});
      for (const auto& scope : store_->List()) out.push_back({scope->key(), S_IFDIR});
      for (const auto& pending : store_->ListPending()) out.push_back({pending->key(), S_IFDIR});
      return out;
    case NodeKind::kControlDir:
      for (const ControlFile& file : ControlFiles()) out.push_back({std::string(file.name), S_IFREG});
      return out;
    case NodeKind::kScopeDir: {
      Node::Binding b = dir.Resolve();
      if (dir.unlinked()) b.scope = dir.ghost();
      if (b.scope) {
        for (std::string_view name : store::kScopeFiles)
          out.push_back({std::string(name), S_IFREG});
        return out;
      }
      if (b.pending) {
        out.push_back({".status", S_IFREG});
        for (std::string& name : b.pending->List()) out.push_back({std::move(name), S_IFREG});
        return out;
      }
      return Stale("scope " + dir.name());
    }
    default:
      return Status::NotDir(dir.name());
  }
}

Result<std::string> Filesystem::Content(const Node& node) const {
  switch (node.kind()) {
    case NodeKind::kControlFile: return GenerateControlFile(node.ino(), *store_, serve_counters());
    case NodeKind::kStatusFile: {
      Node::Binding b = node.Resolve();
      if (!b.pending || b.pending->closed()) return Status::NotFound(".status of a committed scope");
      return b.pending->StatusLine() + "\n";
    }
    case NodeKind::kScopeFile: {
      Node::Binding b = node.Resolve();
      if (!b.scope) return Stale("scope file " + node.name());
      return store::UserMeta(b.scope->record(), b.scope->key(), b.scope->last_access_ns()).dump(2) + "\n";
    }
    default: return Status::Invalid("not a generated file");
  }
}

}  // namespace scopefs::fs
