#include "store/pending_scope.h"

#include <algorithm>
#include <functional>

#include "store/key.h"
#include "store/layout.h"
#include "store/log.h"
#include "store/mount_names.h"

namespace scopefs::store {

bool IsScopeFileName(std::string_view name) {
  return name == kNodesFile || name == kLinksFile || name == kMappingsFile ||
         name == kMappingsGzFile || name == kMetaFile;
}

bool IsAllowedPendingName(std::string_view name) {
  if (IsScopeFileName(name) || IsIndexFileName(name)) return true;
  // Hidden temporary names, as rsync and editors make them; .status is ours.
  return name.size() > 1 && name.front() == '.' && name != kStatusFile && name != ".." &&
         name.find('/') == std::string_view::npos;
}

bool IsEncodedName(std::string_view name) {
  if (name == kMappingsFile) return true;
  // rsync's temporary name for mappings.json, not for mappings.json.gz.
  return IsTemporaryNameOf(name, kMappingsFile) && !IsTemporaryNameOf(name, kMappingsGzFile);
}

bool IsDiscardedName(std::string_view name) {
  return IsIndexFileName(name) || IsTemporaryNameOf(name, kNodesIndexFile) ||
         IsTemporaryNameOf(name, kLinksIndexFile);
}

namespace {
std::atomic<uint64_t> next_encoded_file{0};  // names files under encoding/, emptied at start

// What a discarded name's PendingFile writes to: nothing on disk, so its
// bytes cost neither disk nor budget. The file's size is kept in its attrs.
class DiscardingFile final : public File {
 public:
  Result<size_t> ReadAt(uint64_t, char*, size_t) const override { return size_t{0}; }
  Status WriteAt(uint64_t, const char*, size_t) override { return Status::Ok(); }
  Status Truncate(uint64_t) override { return Status::Ok(); }
  Status Sync() override { return Status::Ok(); }
  Result<uint64_t> Size() const override { return uint64_t{0}; }
};
}  // namespace

PendingFile::PendingFile(std::unique_ptr<File> file, FileAttrs attrs, const Clock* clock,
                         uint64_t max_size, SpaceBudget* budget, Env* env,
                         const MappingsEncoding* encoding)
    : clock_(clock),
      max_size_(max_size),
      budget_(budget),
      env_(env),
      encoding_(env != nullptr && encoding != nullptr && !encoding->dir.empty() ? encoding
                                                                                : nullptr),
      file_(std::move(file)),
      attrs_(attrs) {}

PendingFile::~PendingFile() {
  // No lock: nobody else holds this file any more. A commit may still hold
  // the index builders: they stop counting against this file first.
  if (encoder_ != nullptr) encoder_->StopCountingScratch(this);
  if (file_ != nullptr) Uncount(counted_.load());
}

Status PendingFile::Count(uint64_t bytes) {
  if (budget_ != nullptr) RETURN_IF_ERROR(budget_->Reserve(bytes));
  counted_ += bytes;
  return Status::Ok();
}

void PendingFile::Uncount(uint64_t bytes) {
  counted_ -= bytes;
  if (budget_ != nullptr) budget_->Release(bytes);
}

Status PendingFile::CheckOpen() const {
  if (!file_)
    return Status::Access("the scope was committed or removed: its files no longer change");
  return Status::Ok();
}

void PendingFile::Close() {
  MutexLock io(&io_mu_);
  if (file_ == nullptr) return;
  if (encoder_ != nullptr) encoder_->StopCountingScratch(this);
  encoder_.reset();
  file_.reset();
  // Under io_mu_, with the file closed: no write can land between the two.
  Uncount(counted_.load());
}

void PendingFile::SetSize(uint64_t size) {
  MutexLock lock(&mu_);
  attrs_.size = size;
  attrs_.mtime_ns = attrs_.ctime_ns = clock_->NowNanos();
}

bool PendingFile::StartEncoding() {
  if (encoding_ == nullptr) return false;
  const std::string path =
      Layout::Join(encoding_->dir, std::to_string(next_encoded_file++) + ".gz");
  Result<std::unique_ptr<MappingsEncoder>> encoder = MappingsEncoder::Create(
      env_, path, encoding_->codec, encoding_->build_index,
      [this](uint64_t bytes) { return Count(bytes); },
      ScratchAccount{this, [this](uint64_t bytes) { return Count(bytes); },
                     [this](uint64_t bytes) { Uncount(bytes); }});
  if (!encoder.ok()) {
    LogWarning("cannot encode mappings as they are written (" + encoder.status().ToString() +
               "); they are kept raw and compressed at commit");
    return false;
  }
  encoder_ = std::move(encoder).value();
  return true;
}

void PendingFile::DropEncoder() {
  encoder_->StopCountingScratch(this);  // gives its index scratch back
  const uint64_t bytes = encoder_->stored_bytes();
  encoder_.reset();
  Uncount(bytes);
}

Status PendingFile::DecodeLocked() {
  const uint64_t raw = encoder_->size();
  RETURN_IF_ERROR(Count(raw));
  if (Status st = encoder_->Decode(*file_); !st.ok()) {
    (void)file_->Truncate(0);
    Uncount(raw);
    return st;
  }
  DropEncoder();
  LogInfo("mappings written out of order: kept raw, compressed at commit");
  return Status::Ok();
}

Status PendingFile::ResizeRaw(uint64_t new_size, const std::function<Status(File&)>& io) {
  if (encoder_ != nullptr) RETURN_IF_ERROR(DecodeLocked());
  const uint64_t old_size = counted_.load();  // raw: what is counted is the file
  if (new_size > old_size) {
    RETURN_IF_ERROR(Count(new_size - old_size));
  } else {
    Uncount(old_size - new_size);
  }
  if (Status st = io(*file_); !st.ok()) {
    if (new_size > old_size) {
      Uncount(new_size - old_size);
    } else {
      (void)Count(old_size - new_size);  // the file did not shrink: count it again
    }
    return st;
  }
  SetSize(new_size);
  return Status::Ok();
}

Status PendingFile::Write(uint64_t offset, std::string_view data) {
  if (offset > max_size_ || data.size() > max_size_ - offset) {
    return Status::TooBig("a write up to byte " + std::to_string(offset + data.size()) +
                          " passes the limit of " + std::to_string(max_size_) + " bytes");
  }
  MutexLock io_lock(&io_mu_);
  RETURN_IF_ERROR(CheckOpen());
  const uint64_t size = attrs().size;
  const bool appends = offset == size && !data.empty();
  if (appends && (encoder_ != nullptr ? !encoder_->sealed() : size == 0 && StartEncoding())) {
    RETURN_IF_ERROR(encoder_->Append(data));
    SetSize(size + data.size());
    return Status::Ok();
  }
  return ResizeRaw(std::max(size, offset + data.size()),
                   [&](File& file) { return file.WriteAt(offset, data.data(), data.size()); });
}

Status PendingFile::Truncate(uint64_t size) {
  if (size > max_size_) {
    return Status::TooBig("size " + std::to_string(size) + " passes the limit of " +
                          std::to_string(max_size_) + " bytes");
  }
  MutexLock io_lock(&io_mu_);
  RETURN_IF_ERROR(CheckOpen());
  if (encoder_ != nullptr && (size == 0 || size == attrs().size)) {
    if (size == 0) DropEncoder();  // written again from the start: encoded afresh
    SetSize(size);
    return Status::Ok();
  }
  return ResizeRaw(size, [&](File& file) { return file.Truncate(size); });
}

bool PendingFile::encoded() const {
  MutexLock io_lock(&io_mu_);
  return encoder_ != nullptr;
}

Result<std::optional<EncodedMappings>> PendingFile::SealEncoded() {
  MutexLock io_lock(&io_mu_);
  RETURN_IF_ERROR(CheckOpen());
  if (encoder_ == nullptr) return std::optional<EncodedMappings>();
  Result<const EncodedMappings*> sealed = encoder_->Seal();
  // Its last member is lost with the failed write, as a failed write(2) loses its data.
  if (!sealed.ok()) return sealed.status().Annotate(kMappingsLost);
  return std::optional<EncodedMappings>(**sealed);
}

Status PendingFile::MakeRaw() {
  MutexLock io_lock(&io_mu_);
  RETURN_IF_ERROR(CheckOpen());
  return encoder_ == nullptr ? Status::Ok() : DecodeLocked();
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
                           uint64_t max_file_size, SpaceBudget* budget, MappingsEncoding encoding)
    : env_(env),
      clock_(clock),
      max_file_size_(max_file_size),
      budget_(budget),
      encoding_(std::move(encoding)),
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
                              "meta.json, nodes.idx and links.idx (discarded), or a " +
                              "temporary name starting with '.')");
  }
  MutexLock lock(&mu_);
  TouchLocked();
  if (auto it = files_.find(name); it != files_.end()) return it->second;
  const bool discarded = IsDiscardedName(name);
  std::unique_ptr<File> file = std::make_unique<DiscardingFile>();
  if (!discarded) {
    ASSIGN_OR_RETURN(file, env_->Open(Layout::Join(dir_, name), OpenMode::kCreate));
  }
  FileAttrs attrs;
  attrs.mode = mode & 07777;
  attrs.uid = uid;
  attrs.gid = gid;
  attrs.atime_ns = attrs.mtime_ns = attrs.ctime_ns = clock_->NowNanos();
  auto entry = std::make_shared<PendingFile>(std::move(file), attrs, clock_, max_file_size_,
                                             discarded ? nullptr : budget_, env_,
                                             IsEncodedName(name) ? &encoding_ : nullptr);
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
  if (!IsDiscardedName(name)) RETURN_IF_ERROR(env_->Unlink(Layout::Join(dir_, name)));
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
  if (IsDiscardedName(from) != IsDiscardedName(to)) {
    return Status::Permission("\"" + Printable(from) + "\" cannot be renamed to \"" +
                              Printable(to) + "\": the index files are built from the " +
                              "mappings, and what is written under their names is discarded");
  }
  if (!IsDiscardedName(to)) {
    RETURN_IF_ERROR(
        env_->Rename(Layout::Join(dir_, from), Layout::Join(dir_, to), RenameMode::kReplace));
  }
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

Result<std::optional<EncodedMappings>> PendingScope::PrepareCommit() {
  std::vector<std::pair<std::string, std::shared_ptr<PendingFile>>> files;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, file] : files_) {
      if (IsScopeFileName(name)) files.emplace_back(name, file);
    }
  }
  // Without mu_: the files' io_mu_ comes before it.
  std::optional<EncodedMappings> mappings;
  for (const auto& [name, file] : files) {
    if (name == kMappingsFile) {
      ASSIGN_OR_RETURN(mappings, file->SealEncoded());
    } else {
      RETURN_IF_ERROR(file->MakeRaw());  // e.g. a temporary mappings name renamed oddly
    }
  }
  return mappings;
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
