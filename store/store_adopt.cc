// The Store's adoption of scopes fetched from elsewhere (a shared tier):
// checked like a stored scope, committed like a local one.
#include <set>
#include <tuple>
#include <utility>

#include "store/index_verify.h"
#include "store/key.h"
#include "store/log.h"
#include "store/store.h"

namespace scopefs::store {
namespace {

constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 20;  // as Store::LoadScope reads it

}  // namespace

AdoptionDir::~AdoptionDir() { store_->DiscardAdoptionDir(*this); }

Result<std::unique_ptr<AdoptionDir>> Store::CreateAdoptionDir(uint64_t bytes) {
  if (bytes > options_.limits.max_size) {
    return Status::NoSpace(
        "a scope of " + std::to_string(bytes) +
        " bytes does not fit in max_size=" + std::to_string(options_.limits.max_size));
  }
  // No key starts with '.': the name never meets a commit's staging/<key>.
  const std::string name = ".adopt-" + std::to_string(next_adoption_++);
  {
    MutexLock lock(&ns_mu_);
    adopting_.insert(name);  // before it exists, so CollectGarbage never sees it unowned
  }
  // From here the AdoptionDir's destructor undoes all of it.
  pending_bytes_ += bytes;
  std::unique_ptr<AdoptionDir> dir(
      new AdoptionDir(this, name, Layout::Join(layout_.staging_dir(), name), bytes));
  RETURN_IF_ERROR(env_->MakeDir(dir->path()));
  EnforceLimits("");
  return dir;
}

void Store::DiscardAdoptionDir(AdoptionDir& dir) {
  if (!dir.path_.empty()) {
    if (Status st = RemoveAll(env_, dir.path_); !st.ok()) {
      LogWarning("cannot remove " + dir.path_ + ": " + st.ToString());  // recovery will
    }
  }
  {
    MutexLock lock(&ns_mu_);
    adopting_.erase(dir.name_);
  }
  Release(std::exchange(dir.bytes_, 0));
}

Result<ScopeRecord> Store::CheckAdoptedScope(const std::string& key, const std::string& dir) {
  const std::string what = "scope " + key + ": ";
  ASSIGN_OR_RETURN(std::string text,
                   ReadFileToString(env_, Layout::Join(dir, kMetaFile), kMaxRecordBytes));
  Result<ScopeRecord> parsed = ParseRecord(text);
  if (!parsed.ok()) return parsed.status().Annotate(what + std::string(kMetaFile));
  ScopeRecord record = std::move(parsed).value();
  record.key = key;  // the name it is adopted under, as a directory's name is at Open
  // The record's CRC held, but it came from another host: its sizes must be
  // ones this store would have written.
  for (auto [noun, total, file] : {std::tuple{"total_nodes", record.total_nodes, &record.nodes},
                                   std::tuple{"total_links", record.total_links, &record.links}}) {
    if (Status st = CheckTotalBits(noun, total); !st.ok())
      return Status::Corruption(what + st.message());
    if (file->size != BitsFileSize(total)) {
      return Status::Corruption(what + "the record's bits file size does not match " + noun);
    }
  }
  // Exactly the files the record names: nothing unchecked is published.
  std::set<std::string> expected = {std::string(kNodesFile), std::string(kLinksFile),
                                    std::string(kMappingsGzFile), std::string(kMetaFile)};
  if (record.nodes_idx) expected.emplace(kNodesIndexFile);
  if (record.links_idx) expected.emplace(kLinksIndexFile);
  ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(dir));
  for (const std::string& name : names) {
    if (!expected.erase(name)) return Status::Corruption(what + "unexpected file " + name);
  }
  if (!expected.empty()) return Status::Corruption(what + *expected.begin() + " is missing");

  {
    // A Scope on the staging directory, for its checks only (never in the
    // namespace, so nobody reads from it and it deletes nothing).
    Scope check(env_, dir, record, &cache_);
    Status st = check.Verify();
    if (st.ok()) {
      st = VerifyScopeIndexes(
          env_, check,
          Layout::Join(layout_.encoding_dir(), ".verify-" + std::to_string(next_verify_++)));
    }
    // The files were all listed a moment ago: one missing now is damage.
    if (st.code() == Status::Code::kNotFound) return Status::Corruption(st.message());
    RETURN_IF_ERROR(st);
  }
  // The fetch may not have synced: after Adopt the scope must survive a crash.
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     env_->Open(Layout::Join(dir, name), OpenMode::kRead));
    RETURN_IF_ERROR(file->Sync());
  }
  RETURN_IF_ERROR(env_->SyncDir(dir));
  return record;
}

Result<std::shared_ptr<Scope>> Store::Adopt(const std::string& key,
                                            std::unique_ptr<AdoptionDir> dir) {
  // Any return before the rename removes the directory (~AdoptionDir).
  RETURN_IF_ERROR(ValidateKey(key));
  auto exists = [&] { return Status::Exists("scope " + key + " already exists"); };
  if (Find(key)) return exists();
  ASSIGN_OR_RETURN(ScopeRecord record, CheckAdoptedScope(key, dir->path()));
  if (auto old = FindAny(key); old && Expired(*old)) Drop(key, "expired", expirations_);
  auto scope = std::make_shared<Scope>(env_, layout_.scope_dir(key), std::move(record), &cache_);
  {
    MutexLock lock(&ns_mu_);
    if (FindAny(key)) return exists();
    if (pending_.count(key)) return Status::Exists("scope " + key + " is pending here");
    RETURN_IF_ERROR(MoveDirDurably(env_, dir->path(), layout_.scope_dir(key)));
    dir->path_.clear();
    stored_bytes_ += scope->record().stored_bytes();
    Release(std::exchange(dir->bytes_, 0));
    AddScopeLocked(key, scope);
  }
  ++adopted_;
  LogInfo("adopted scope " + key + " (" + std::to_string(scope->record().stored_bytes()) +
          " bytes stored)");
  EnforceLimits(key);
  return scope;
}

}  // namespace scopefs::store
