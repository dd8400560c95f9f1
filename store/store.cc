#include "store/store.h"

#include "store/key.h"
#include "store/log.h"

namespace scopefs::store {

// A committed record is small (the member index is ~30 bytes per MiB of mappings).
constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 20;

Store::Store(Env* env, Layout layout, StoreOptions options, std::unique_ptr<FileLock> lock)
    : env_(env),
      layout_(std::move(layout)),
      options_(std::move(options)),
      lock_(std::move(lock)),
      cache_(options_.member_cache_bytes) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(Env* env, const std::string& root,
                                           StoreOptions options) {
  Layout layout(root);
  Status made = env->MakeDir(layout.root());
  if (!made.ok() && made.code() != Status::Code::kExists) return made;
  ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(layout.lock_file()));
  RETURN_IF_ERROR(layout.CreateDirs(env));
  std::unique_ptr<Store> store(new Store(env, std::move(layout), std::move(options), std::move(lock)));
  RETURN_IF_ERROR(store->Recover());
  return store;
}

Status Store::Recover() {
  for (const std::string& dir : {layout_.pending_dir(), layout_.staging_dir(), layout_.trash_dir()}) {
    ASSIGN_OR_RETURN(std::vector<std::string> leftovers, env_->ListDir(dir));
    for (const std::string& name : leftovers) {
      LogInfo("recovery: removing leftover " + dir + "/" + name);
      RETURN_IF_ERROR(RemoveAll(env_, Layout::Join(dir, name)));
    }
    if (!leftovers.empty()) RETURN_IF_ERROR(env_->SyncDir(dir));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> keys, env_->ListDir(layout_.scopes_dir()));
  for (const std::string& key : keys) LoadScope(key);
  return Status::Ok();
}

void Store::LoadScope(const std::string& key) {
  const std::string dir = layout_.scope_dir(key);
  Status st = [&]() -> Status {
    RETURN_IF_ERROR(ValidateKey(key));
    ASSIGN_OR_RETURN(std::string text,
                     ReadFileToString(env_, Layout::Join(dir, kMetaFile), kMaxRecordBytes));
    ASSIGN_OR_RETURN(ScopeRecord record, ParseRecord(text));
    if (record.key != key) {
      return Status::Corruption("its record names key \"" + Printable(record.key) + "\"");
    }
    for (auto [name, expected] : {std::pair{kNodesFile, record.nodes.size},
                                  std::pair{kLinksFile, record.links.size},
                                  std::pair{kMappingsGzFile, record.mappings.size}}) {
      ASSIGN_OR_RETURN(FileInfo info, env_->Stat(Layout::Join(dir, name)));
      if (info.size != expected) {
        return Status::Corruption(std::string(name) + " is " + std::to_string(info.size) +
                                  " bytes, the record says " + std::to_string(expected));
      }
    }
    stored_bytes_ += record.stored_bytes();
    scopes_.insert({key, std::make_shared<Scope>(env_, dir, std::move(record), &cache_)});
    return Status::Ok();
  }();
  if (st.ok()) return;
  LogWarning("recovery: dropping scope \"" + Printable(key) + "\": " + st.ToString());
  if (Status rm = RemoveAll(env_, dir); !rm.ok()) {
    LogError("recovery: cannot remove " + dir + ": " + rm.ToString());
  }
}

Status Store::CreatePending(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (Find(key)) return Status::Exists("scope " + key + " already exists");
  Status st = env_->MakeDir(layout_.pending_scope_dir(key));
  if (st.code() == Status::Code::kExists) return Status::Exists("scope " + key + " is pending");
  return st;
}

Status Store::DropPending(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  const std::string dir = layout_.pending_scope_dir(key);
  RETURN_IF_ERROR(env_->Stat(dir).status());
  return RemoveAll(env_, dir);
}

Result<std::vector<std::string>> Store::ListPending() const {
  return env_->ListDir(layout_.pending_dir());
}

Result<std::shared_ptr<Scope>> Store::Commit(const std::string& key,
                                             const std::map<std::string, int64_t>& mtimes_ns) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (Find(key)) return Status::Exists("scope " + key + " already exists");
  CommitOptions commit = options_.commit;
  commit.mtimes_ns = mtimes_ns;
  ASSIGN_OR_RETURN(ScopeRecord record,
                   StagePendingScope(env_, layout_, key, *options_.clock, commit));
  auto scope = std::make_shared<Scope>(env_, layout_.scope_dir(key), std::move(record), &cache_);
  {
    std::lock_guard lock(ns_mu_);
    RETURN_IF_ERROR(PublishStagedScope(env_, layout_, key));
    stored_bytes_ += scope->record().stored_bytes();
    scopes_.insert({key, scope});
  }
  DiscardPendingFiles(env_, layout_, key);
  LogInfo("committed scope " + key + " (" + std::to_string(scope->record().stored_bytes()) +
          " bytes stored)");
  return scope;
}

std::shared_ptr<Scope> Store::Find(const std::string& key) const {
  ScopeMap::const_accessor acc;
  if (!scopes_.find(acc, key)) return nullptr;
  return acc->second;
}

std::vector<std::shared_ptr<Scope>> Store::List() const {
  // ns_mu_ excludes inserts and erases, which a concurrent_hash_map cannot iterate through.
  std::lock_guard lock(ns_mu_);
  std::vector<std::shared_ptr<Scope>> out;
  out.reserve(scopes_.size());
  for (const auto& [key, scope] : scopes_) out.push_back(scope);
  return out;
}

size_t Store::size() const { return scopes_.size(); }

Status Store::Remove(const std::string& key) {
  std::shared_ptr<Scope> scope;
  {
    std::lock_guard lock(ns_mu_);
    scope = Find(key);
    if (!scope) return Status::NotFound("no scope " + key);
    const std::string trash = layout_.trash_entry(next_trash_++);
    RETURN_IF_ERROR(MoveDirDurably(env_, layout_.scope_dir(key), trash));
    scopes_.erase(key);
    stored_bytes_ -= scope->record().stored_bytes();
    scope->MarkRemoved(trash);
  }
  LogInfo("removed scope " + key);
  return Status::Ok();  // the last holder of `scope` deletes the trash directory
}

}  // namespace scopefs::store
