#include "store/pending_scope.h"

#include <algorithm>
#include <functional>

#include "store/key.h"
#include "store/layout.h"
#include "store/mount_names.h"

namespace scopefs::store {

bool IsScopeFileName(std::string_view name) {
  return name == kNodesFile || name == kLinksFile || name == kMappingsFile ||
         name == kMappingsGzFile || name == kMetaFile;
}

bool IsAllowedPendingName(std::string_view name) {
  if (IsScopeFileName(name)) return true;
  // Hidden temporary names, as rsync and editors make them; .status is ours.
  return name.size() > 1 && name.front() == '.' && name != kStatusFile && name != ".." &&
         name.find('/') == std::string_view::npos;
}

PendingFile::PendingFile(std::unique_ptr<File> file, FileAttrs attrs, const Clock* clock,
                         uint64_t max_size, SpaceBudget* budget)
    : clock_(clock), max_size_(max_size), budget_(budget), file_(std::move(file)), attrs_(attrs) {}

PendingFile::~PendingFile() {
  // No lock: nobody else holds this file any more.
  if (file_ != nullptr && budget_ != nullptr) budget_->Release(attrs_.size);
}

Status PendingFile::Account(uint64_t old_size, uint64_t new_size) {
  if (budget_ == nullptr) return Status::Ok();
  if (new_size > old_size) return budget_->Reserve(new_size - old_size);
  budget_->Release(old_size - new_size);
  return Status::Ok();
}

void PendingFile::Close() {
  MutexLock io(&io_mu_);
  if (file_ == nullptr) return;
  file_.reset();
  // Under io_mu_, with the file closed: no write can land between the two.
  if (budget_ != nullptr) budget_->Release(attrs().size);
}

Status PendingFile::Resize(const std::function<uint64_t(uint64_t)>& size_after,
                           const std::function<Status(File&)>& io) {
  MutexLock io_lock(&io_mu_);
  if (!file_)
    return Status::Access("the scope was committed or removed: its files no longer change");
  const uint64_t old_size = attrs().size;
  const uint64_t new_size = size_after(old_size);
  RETURN_IF_ERROR(Account(old_size, new_size));
  if (Status st = io(*file_); !st.ok()) {
    (void)Account(new_size, old_size);
    return st;
  }
  MutexLock lock(&mu_);
  attrs_.size = new_size;
  attrs_.mtime_ns = attrs_.ctime_ns = clock_->NowNanos();
  return Status::Ok();
}

Status PendingFile::Write(uint64_t offset, std::string_view data) {
  if (offset > max_size_ || data.size() > max_size_ - offset) {
    return Status::TooBig("a write up to byte " + std::to_string(offset + data.size()) +
                          " passes the limit of " + std::to_string(max_size_) + " bytes");
  }
  const uint64_t end = offset + data.size();
  return Resize([end](uint64_t old_size) { return std::max(old_size, end); },
                [&](File& file) { return file.WriteAt(offset, data.data(), data.size()); });
}

Status PendingFile::Truncate(uint64_t size) {
  if (size > max_size_) {
    return Status::TooBig("size " + std::to_string(size) + " passes the limit of " +
                          std::to_string(max_size_) + " bytes");
  }
  return Resize([size](uint64_t) { return size; }, [&](File& file) { return file.Truncate(size); });
}

FileAttrs PendingFile::attrs() const {
  MutexLock lock(&mu_);
  return attrs_;
}

void ApplyAttrChange(const AttrChange& change, int64_t now_ns, FileAttrs& attrs) {
  if (change.mode) attrs.mode = *change.mode & 07777;
  if (change.uid) attrs.uid = *change.uid;
  if (change.gid) attrs.gid = *change.gid;
  if (change.atime_ns) attrs.atime_ns = *change.atime_ns;
  if (change.mtime_ns) attrs.mtime_ns = *change.mtime_ns;
  attrs.ctime_ns = now_ns;
}

void PendingFile::SetAttrs(const AttrChange& change) {
  MutexLock lock(&mu_);
  ApplyAttrChange(change, clock_->NowNanos(), attrs_);
}

int PendingFile::writers() const {
  MutexLock lock(&mu_);
  return writers_;
}

PendingScope::PendingScope(Env* env, std::string key, std::string dir, const Clock* clock,
                           uint64_t max_file_size, SpaceBudget* budget)
    : env_(env),
      clock_(clock),
      max_file_size_(max_file_size),
      budget_(budget),
      key_(std::move(key)),
      dir_(std::move(dir)) {
  int64_t now = clock_->NowNanos();
  dir_attrs_.mode = 0755;
  dir_attrs_.atime_ns = dir_attrs_.mtime_ns = dir_attrs_.ctime_ns = now;
  last_activity_ns_ = now;
}

PendingScope::~PendingScope() = default;

void PendingScope::MarkCommitted(std::shared_ptr<Scope> scope) {
  {
    MutexLock lock(&mu_);
    committed_ = std::move(scope);
  }
  closed_ = true;
}

void PendingScope::CloseFiles() {
  std::vector<std::shared_ptr<PendingFile>> files;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, file] : files_) files.push_back(file);
  }
  for (const auto& file : files) file->Close();  // io_mu_ comes before mu_
}

std::weak_ptr<Scope> PendingScope::committed_scope() const {
  MutexLock lock(&mu_);
  return committed_;
}

std::string PendingScope::key() const {
  MutexLock lock(&mu_);
  return key_;
}

void PendingScope::Relocate(std::string key, std::string dir) {
  MutexLock lock(&mu_);
  key_ = std::move(key);
  dir_ = std::move(dir);
}

Result<std::shared_ptr<PendingFile>> PendingScope::Create(const std::string& name, uint32_t mode,
                                                          uint32_t uid, uint32_t gid) {
  if (!IsAllowedPendingName(name)) {
    return Status::Permission("\"" + Printable(name) + "\" is not a scope file name (allowed: " +
                              "nodes.bits, links.bits, mappings.json, mappings.json.gz, " +
                              "meta.json, or a temporary name starting with '.')");
  }
  MutexLock lock(&mu_);
  TouchLocked();
  if (auto it = files_.find(name); it != files_.end()) return it->second;
  ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                   env_->Open(Layout::Join(dir_, name), OpenMode::kCreate));
  FileAttrs attrs;
  attrs.mode = mode & 07777;
  attrs.uid = uid;
  attrs.gid = gid;
  attrs.atime_ns = attrs.mtime_ns = attrs.ctime_ns = clock_->NowNanos();
  auto entry =
      std::make_shared<PendingFile>(std::move(file), attrs, clock_, max_file_size_, budget_);
  files_[name] = entry;
  refusal_.clear();
  return entry;
}

Result<std::shared_ptr<PendingFile>> PendingScope::Find(const std::string& name) const {
  MutexLock lock(&mu_);
  auto it = files_.find(name);
  if (it == files_.end()) return Status::NotFound("no file " + Printable(name) + " in " + key_);
  return it->second;
}

Status PendingScope::Unlink(const std::string& name) {
  // Declared before the lock, so let go after it: a descriptor may still write
  // to the file, whose bytes count until the last holder lets go, and letting
  // go takes the file's io_mu_, which comes before mu_.
  std::shared_ptr<PendingFile> unlinked;
  MutexLock lock(&mu_);
  auto it = files_.find(name);
  if (it == files_.end()) return Status::NotFound("no file " + Printable(name) + " in " + key_);
  RETURN_IF_ERROR(env_->Unlink(Layout::Join(dir_, name)));
  unlinked = std::move(it->second);
  files_.erase(it);
  refusal_.clear();
  TouchLocked();
  return Status::Ok();
}

Status PendingScope::Rename(const std::string& from, const std::string& to) {
  if (!IsAllowedPendingName(to)) {
    return Status::Permission("\"" + Printable(to) + "\" is not a scope file name");
  }
  std::shared_ptr<PendingFile> replaced;  // let go after the lock, as in Unlink
  MutexLock lock(&mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return Status::NotFound("no file " + Printable(from) + " in " + key_);
  if (from == to) return Status::Ok();
  RETURN_IF_ERROR(
      env_->Rename(Layout::Join(dir_, from), Layout::Join(dir_, to), RenameMode::kReplace));
  std::shared_ptr<PendingFile> entry = std::move(it->second);
  files_.erase(it);
  std::shared_ptr<PendingFile>& slot = files_[to];
  replaced = std::move(slot);
  slot = std::move(entry);
  refusal_.clear();
  TouchLocked();
  return Status::Ok();
}

std::vector<std::string> PendingScope::List() const {
  MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [name, entry] : files_) names.push_back(name);
  return names;
}

void PendingScope::AddWriter(PendingFile& file) {
  MutexLock lock(&file.mu_);
  ++file.writers_;
}

void PendingScope::RemoveWriter(PendingFile& file) {
  MutexLock lock(&file.mu_);
  --file.writers_;
}

bool PendingScope::ReadyToCommit(const PendingFile* closing) const {
  MutexLock lock(&mu_);
  bool mappings = false;
  for (const auto& [name, entry] : files_) {
    if (!IsScopeFileName(name)) continue;
    if (name == kMappingsFile || name == kMappingsGzFile) mappings = true;
    if (entry->writers() > (entry.get() == closing ? 1 : 0)) return false;
  }
  return mappings && files_.count(std::string(kNodesFile)) &&
         files_.count(std::string(kLinksFile)) && files_.count(std::string(kMetaFile));
}

FileAttrs PendingScope::dir_attrs() const {
  MutexLock lock(&mu_);
  return dir_attrs_;
}

void PendingScope::SetDirAttrs(const AttrChange& change) {
  MutexLock lock(&mu_);
  ApplyAttrChange(change, clock_->NowNanos(), dir_attrs_);
  if (change.atime_ns || change.mtime_ns) dir_times_set_ = true;
}

Status PendingScope::ClaimWriter(int64_t writer, const std::function<bool(int64_t)>& alive) {
  if (writer == 0) return Status::Ok();
  MutexLock lock(&mu_);
  if (writer_ != 0 && writer_ != writer && alive(writer_)) {
    return Status::Busy("scope " + key_ + " is being written by another process (pid " +
                        std::to_string(writer_) + "); wait for it, or remove the scope");
  }
  writer_ = writer;
  return Status::Ok();
}

bool PendingScope::dir_times_set() const {
  MutexLock lock(&mu_);
  return dir_times_set_;
}

std::string PendingScope::StatusLine() const {
  MutexLock lock(&mu_);
  if (!refusal_.empty()) return "invalid: " + refusal_;
  if (files_.count(std::string(kMappingsFile)) && files_.count(std::string(kMappingsGzFile))) {
    return "invalid: both mappings.json and mappings.json.gz are present; remove one";
  }
  std::string missing;
  for (std::string_view name : kScopeFiles) {
    bool present = files_.count(std::string(name)) != 0 ||
                   (name == kMappingsFile && files_.count(std::string(kMappingsGzFile)) != 0);
    if (present) continue;
    missing += missing.empty() ? "" : ", ";
    missing += name;
  }
  if (!missing.empty()) return "waiting for: " + missing;
  std::string open;
  for (const auto& [name, entry] : files_) {
    if (IsScopeFileName(name) && entry->writers() > 0) {
      open += open.empty() ? "" : ", ";
      open += name;
    }
  }
  if (!open.empty()) return "waiting for writers to close: " + open;
  return "complete: commits when the last file is closed or renamed into place";
}

void PendingScope::SetRefusal(std::string reason) {
  MutexLock lock(&mu_);
  refusal_ = std::move(reason);
  writer_ = 0;  // that writer's attempt is over: anyone may fix the scope now
}

std::map<std::string, int64_t> PendingScope::Mtimes() const {
  MutexLock lock(&mu_);
  std::map<std::string, int64_t> out;
  for (const auto& [name, entry] : files_) out[name] = entry->attrs().mtime_ns;
  return out;
}

int64_t PendingScope::last_activity_ns() const {
  MutexLock lock(&mu_);
  return last_activity_ns_;
}

void PendingScope::Touch() {
  MutexLock lock(&mu_);
  TouchLocked();
}

void PendingScope::TouchLocked() { last_activity_ns_ = clock_->NowNanos(); }

}  // namespace scopefs::store
