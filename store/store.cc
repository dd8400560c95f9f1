#include "store/store.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "store/input_meta.h"
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

Store::~Store() {
  DropAllPending();  // first, while every member a feeder may reach is alive
  if (Status st = PersistAccessTimes(); !st.ok()) {
    LogError("cannot save access times at shutdown: " + st.ToString());
  }
}

void Store::DropAllPending() {
  std::map<std::string, std::shared_ptr<PendingScope>> pending;
  {
    MutexLock lock(&ns_mu_);
    pending.swap(pending_);
  }
  // Freed here, outside ns_mu_: a pending mappings file's index feeder may be
  // asking for room (which takes ns_mu_), and its destructor waits for it.
}

Result<std::unique_ptr<Store>> Store::Open(Env* env, const std::string& root,
                                           StoreOptions options) {
  Layout layout(root);
  Status made = env->MakeDir(layout.root());
  if (!made.ok() && made.code() != Status::Code::kExists) return made;
  ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(layout.lock_file()));
  RETURN_IF_ERROR(layout.CreateDirs(env));
  std::unique_ptr<Store> store(
      new Store(env, std::move(layout), std::move(options), std::move(lock)));
  RETURN_IF_ERROR(store->Recover());
  store->EnforceLimits("");  // the limits may be lower than when the store was last served
  return store;
}

Status Store::Recover() {
  for (const std::string& dir : {layout_.pending_dir(), layout_.staging_dir(), layout_.trash_dir(),
                                 layout_.encoding_dir()}) {
    ASSIGN_OR_RETURN(std::vector<std::string> leftovers, env_->ListDir(dir));
    for (const std::string& name : leftovers) {
      LogInfo("recovery: removing leftover " + dir + "/" + name);
      RETURN_IF_ERROR(RemoveAll(env_, Layout::Join(dir, name)));
    }
    if (!leftovers.empty()) RETURN_IF_ERROR(env_->SyncDir(dir));
  }
  // A save of access times cut short leaves its temporary file (WriteFileAtomically).
  if (Status st = env_->Unlink(layout_.access_file() + ".tmp");
      !st.ok() && st.code() != Status::Code::kNotFound) {
    return st;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> keys, env_->ListDir(layout_.scopes_dir()));
  for (const std::string& key : keys) LoadScope(key);
  LoadAccessTimes();
  return Status::Ok();
}

void Store::LoadScope(const std::string& key) {
  const std::string dir = layout_.scope_dir(key);
  Status st = [&]() -> Status {
    RETURN_IF_ERROR(ValidateKey(key));
    ASSIGN_OR_RETURN(std::string text,
                     ReadFileToString(env_, Layout::Join(dir, kMetaFile), kMaxRecordBytes));
    ASSIGN_OR_RETURN(ScopeRecord record, ParseRecord(text));
    record.key = key;  // the directory's name is the key: renaming is one rename(2)
    std::vector<std::pair<std::string_view, uint64_t>> files = {
        {kNodesFile, record.nodes.size},
        {kLinksFile, record.links.size},
        {kMappingsGzFile, record.mappings.size}};
    if (record.nodes_idx) files.emplace_back(kNodesIndexFile, record.nodes_idx->size);
    if (record.links_idx) files.emplace_back(kLinksIndexFile, record.links_idx->size);
    for (auto [name, expected] : files) {
      ASSIGN_OR_RETURN(FileInfo info, env_->Stat(Layout::Join(dir, name)));
      if (info.size != expected) {
        return Status::Corruption(std::string(name) + " is " + std::to_string(info.size) +
                                  " bytes, the record says " + std::to_string(expected));
      }
    }
    stored_bytes_ += record.stored_bytes();
    auto scope = std::make_shared<Scope>(env_, dir, std::move(record), &cache_);
    MutexLock lock(&ns_mu_);
    AddScopeLocked(key, std::move(scope));
    return Status::Ok();
  }();
  if (st.ok()) return;
  LogWarning("recovery: dropping scope \"" + Printable(key) + "\": " + st.ToString());
  dropped_at_open_.emplace_back(key, st);
  if (Status rm = RemoveAll(env_, dir); !rm.ok()) {
    LogError("recovery: cannot remove " + dir + ": " + rm.ToString());
  }
}

Result<std::shared_ptr<PendingScope>> Store::CreatePending(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  // An expired scope is gone for users already; make it gone on disk too.
  if (auto old = FindAny(key); old && Expired(*old)) Drop(key, "expired", expirations_);
  MutexLock lock(&ns_mu_);
  if (Find(key)) return Status::Exists("scope " + key + " already exists");
  if (pending_.count(key)) return Status::Exists("scope " + key + " is already pending");
  const std::string dir = layout_.pending_scope_dir(key);
  RETURN_IF_ERROR(env_->MakeDir(dir));
  MappingsEncoding encoding;
  if (options_.encode_mappings_as_written) {
    encoding.dir = layout_.encoding_dir();
    encoding.codec = options_.commit.codec;
    encoding.codec.max_uncompressed = options_.commit.max_mappings_size;
    encoding.build_index = options_.commit.build_index;
  }
  auto pending = std::make_shared<PendingScope>(env_, key, dir, options_.clock,
                                                options_.max_file_size, this, std::move(encoding));
  pending_[key] = pending;
  return pending;
}

std::shared_ptr<PendingScope> Store::FindPending(const std::string& key) const {
  MutexLock lock(&ns_mu_);
  auto it = pending_.find(key);
  return it == pending_.end() ? nullptr : it->second;
}

Status Store::DropPending(const std::string& key) {
  std::shared_ptr<PendingScope> pending;
  {
    MutexLock lock(&ns_mu_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return Status::NotFound("no pending scope " + key);
    pending = it->second;
    pending_.erase(it);
  }
  pending->MarkClosed();
  pending->CloseFiles();
  return RemoveAll(env_, layout_.pending_scope_dir(key));
}

std::vector<std::shared_ptr<PendingScope>> Store::ListPending() const {
  MutexLock lock(&ns_mu_);
  std::vector<std::shared_ptr<PendingScope>> out;
  for (const auto& [key, pending] : pending_) out.push_back(pending);
  return out;
}

Result<std::shared_ptr<Scope>> Store::Commit(const std::string& key) {
  std::shared_ptr<PendingScope> pending = FindPending(key);
  if (!pending) {
    if (std::shared_ptr<Scope> scope = Find(key)) return scope;  // a racing close committed it
    return Status::NotFound("no pending scope " + key);
  }
  return Commit(pending);
}

Result<std::shared_ptr<Scope>> Store::Commit(const std::shared_ptr<PendingScope>& pending) {
  MutexLock commit_lock(pending->commit_mu());
  const std::string key = pending->key();  // holds still: a rename waits for the commit lock
  if (pending->closed()) {
    std::shared_ptr<Scope> scope = pending->committed_scope().lock();
    if (scope && !scope->removed()) return scope;  // a racing close committed it
    return Status::NotFound("pending scope " + key + " was removed");
  }
  CommitOptions commit = options_.commit;
  ASSIGN_OR_RETURN(commit.encoded_mappings, pending->PrepareCommit());
  commit.mtimes_ns = pending->Mtimes();
  std::optional<int64_t> accessed_ns;
  if (pending->dir_times_set()) {
    const FileAttrs dir = pending->dir_attrs();
    commit.created_ns = dir.mtime_ns;
    accessed_ns = std::min(dir.atime_ns, options_.clock->NowNanos());  // no access from the future
  }
  // The staged copy counts as pending data until it is published or removed:
  // room for it is made (by eviction) before it is written, so the disk stays
  // within max_size while both the pending files and the copy exist. Unlike
  // Reserve it is never refused: a commit under way finishes even when
  // evicting everything left too little room (its pending files go right after).
  // Mappings encoded as written are moved, not copied: they need no room.
  struct StagedCopy {
    Store* store;
    uint64_t bytes = 0;
    ~StagedCopy() { store->Release(bytes); }  // unpublished; a published copy is stored bytes
  } staged{this};
  commit.make_room = [&](uint64_t bytes) {
    pending_bytes_ += bytes;
    staged.bytes += bytes;
    EnforceLimits("");
  };
  Result<ScopeRecord> record = StagePendingScope(env_, layout_, key, *options_.clock, commit);
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kInvalid) {
      ++rejected_;
      pending->SetRefusal(record.status().message());
      LogWarning("refused scope " + key + ": " + record.status().message());
    }
    return record.status();
  }
  if (auto old = FindAny(key); old && Expired(*old)) Drop(key, "expired", expirations_);
  auto scope =
      std::make_shared<Scope>(env_, layout_.scope_dir(key), std::move(record).value(), &cache_);
  if (accessed_ns) {
    scope->RecordAccess(*accessed_ns);
    access_dirty_ = true;
  }
  // Before the rename that makes the commit durable, so that a crash right
  // after it cannot lose what the listener records (a publish).
  if (commit_listener_) commit_listener_(key);
  {
    MutexLock lock(&ns_mu_);
    if (auto it = pending_.find(key); it == pending_.end() || it->second != pending) {
      // Dropped, or replaced by a rename of another scope, while it was staged.
      DiscardStagedScope(env_, layout_, key);
      return Status::NotFound("pending scope " + key + " was removed while it was committed");
    }
    if (Status st = PublishStagedScope(env_, layout_, key); !st.ok()) {
      if (commit.encoded_mappings)
        ReclaimEncodedMappings(env_, layout_, key, *commit.encoded_mappings);
      DiscardStagedScope(env_, layout_, key);
      return st;
    }
    // Until CloseFiles below, the moved mappings also still count as pending:
    // a Reserve racing this moment may evict early, never late.
    stored_bytes_ += scope->record().stored_bytes();
    Release(std::exchange(staged.bytes, 0));
    AddScopeLocked(key, scope);
    pending_.erase(key);
  }
  ++commits_;
  ++(commit.encoded_mappings ? encoded_as_written_ : compressed_at_commit_);
  pending->MarkCommitted(scope);
  DiscardPendingFiles(env_, layout_, key);
  pending->CloseFiles();
  LogInfo("committed scope " + key + " (" + std::to_string(scope->record().stored_bytes()) +
          " bytes stored)");
  EnforceLimits(key);
  return scope;
}

Status Store::Rename(const std::string& from, const std::string& to) {
  RETURN_IF_ERROR(ValidateKey(to));
  if (auto old = FindAny(to); old && Expired(*old)) Drop(to, "expired", expirations_);
  for (;;) {
    // A pending scope moves under its commit lock, so a commit of it never
    // publishes under the name it had before (the commit lock comes first).
    std::optional<Status> done;
    if (std::shared_ptr<PendingScope> pending = FindPending(from)) {
      pending->Touch();  // a rename is activity, even while it waits for a commit
      MutexLock commit_lock(pending->commit_mu());
      MutexLock lock(&ns_mu_);
      done = RenameLocked(from, to, pending.get());
    } else {
      MutexLock lock(&ns_mu_);
      done = RenameLocked(from, to, nullptr);
    }
    if (done) return *done;
  }
}

std::optional<Status> Store::RenameLocked(const std::string& from, const std::string& to,
                                          const PendingScope* locked) {
  auto it = pending_.find(from);
  if ((it == pending_.end() ? nullptr : it->second.get()) != locked) {
    return std::nullopt;  // committed, dropped or created since we looked
  }
  if (from == to) return Status::Ok();
  if (Find(to)) return Status::Exists("scope " + to + " already exists");
  if (auto target = pending_.find(to); target != pending_.end()) {
    if (!target->second->List().empty()) return Status::Exists("scope " + to + " is pending");
    RETURN_IF_ERROR(RemoveAll(env_, layout_.pending_scope_dir(to)));
    target->second->MarkClosed();
    pending_.erase(target);
  }
  if (std::shared_ptr<Scope> scope = Find(from)) {
    RETURN_IF_ERROR(MoveDirDurably(env_, layout_.scope_dir(from), layout_.scope_dir(to)));
    EraseScopeLocked(from);
    scope->Relocate(to, layout_.scope_dir(to));
    AddScopeLocked(to, scope);
    LogInfo("renamed scope " + from + " to " + to);
    return Status::Ok();
  }
  if (it == pending_.end()) return Status::NotFound("no scope " + from);
  // Pending files are not durable anyway; a plain rename keeps the table right.
  RETURN_IF_ERROR(env_->Rename(layout_.pending_scope_dir(from), layout_.pending_scope_dir(to),
                               RenameMode::kNoReplace));
  std::shared_ptr<PendingScope> moved = it->second;
  pending_.erase(it);
  moved->Relocate(to, layout_.pending_scope_dir(to));
  pending_[to] = std::move(moved);
  return Status::Ok();
}

std::shared_ptr<Scope> Store::FindAny(const std::string& key) const {
  ScopeMap::const_accessor acc;
  if (!scopes_.find(acc, key)) return nullptr;
  return acc->second;
}

std::shared_ptr<Scope> Store::Find(const std::string& key) const {
  std::shared_ptr<Scope> scope = FindAny(key);
  return scope && !Expired(*scope) ? scope : nullptr;
}

std::vector<std::shared_ptr<Scope>> Store::ListAll() const {
  // Not the concurrent map: its finds may rehash buckets, so it cannot be
  // iterated while others find. listing_ changes only under ns_mu_.
  MutexLock lock(&ns_mu_);
  std::vector<std::shared_ptr<Scope>> out;
  out.reserve(listing_.size());
  for (const auto& [key, scope] : listing_) out.push_back(scope);
  return out;
}

std::vector<std::shared_ptr<Scope>> Store::List() const {
  std::vector<std::shared_ptr<Scope>> out = ListAll();
  std::erase_if(out, [&](const std::shared_ptr<Scope>& s) { return Expired(*s); });
  return out;
}

size_t Store::size() const {
  MutexLock lock(&ns_mu_);
  return listing_.size();
}

void Store::AddScopeLocked(const std::string& key, std::shared_ptr<Scope> scope) {
  scopes_.insert({key, scope});
  listing_[key] = std::move(scope);
}

void Store::EraseScopeLocked(const std::string& key) {
  scopes_.erase(key);
  listing_.erase(key);
}

Status Store::CheckMetaUnchanged(const std::string& key, std::string_view meta_json) const {
  std::shared_ptr<Scope> scope = Find(key);
  if (!scope) return Status::NotFound("no scope " + key);
  const ScopeRecord& r = scope->record();
  Result<InputMeta> meta = ParseInputMeta(meta_json);
  const bool same = meta.ok() && meta->total_nodes.value_or(r.total_nodes) == r.total_nodes &&
                    meta->total_links.value_or(r.total_links) == r.total_links &&
                    meta->config_attributes == r.config_attributes && meta->extra == r.extra;
  if (!same) {
    return Status::Access("meta.json of committed scope " + key +
                          " cannot change; remove the scope and add it again");
  }
  return Status::Ok();
}

Status Store::Remove(const std::string& key) {
  std::shared_ptr<Scope> scope;
  {
    MutexLock lock(&ns_mu_);
    scope = FindAny(key);
    if (!scope) return Status::NotFound("no scope " + key);
    const std::string trash = layout_.trash_entry(next_trash_++);
    RETURN_IF_ERROR(MoveDirDurably(env_, layout_.scope_dir(key), trash));
    EraseScopeLocked(key);
    stored_bytes_ -= scope->record().stored_bytes();
    scope->MarkRemoved(trash, &held_bytes_);
  }
  LogInfo("removed scope " + key);
  return Status::Ok();  // the last holder of `scope` deletes the trash directory
}

}  // namespace scopefs::store
