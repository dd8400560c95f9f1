#include "store/scope.h"

#include <vector>

#include "store/crc32.h"
#include "store/layout.h"
#include "store/log.h"
#include "store/mapping_index.h"

namespace scopefs::store {

Scope::Scope(Env* env, std::string dir, ScopeRecord record, MemberCache* cache)
    : env_(env),
      cache_(cache),
      record_(std::move(record)),
      last_access_ns_(record_.created_ns),
      key_(record_.key),
      dir_(std::move(dir)) {}

Scope::~Scope() {
  if (!removed_) return;
  // Close the stored file first (the reader waits for its read-ahead), then
  // delete: the bytes count as held until the disk has them back.
  mappings_.reset();
  if (Status st = RemoveAll(env_, dir_); !st.ok()) {
    LogWarning("cannot delete removed scope " + key() + " at " + dir_ + ": " + st.ToString());
  }
  if (held_bytes_ != nullptr) *held_bytes_ -= record_.stored_bytes();
}

bool Scope::removed() const {
  MutexLock lock(&mu_);
  return removed_;
}

void Scope::MarkRemoved(std::string trash_dir, std::atomic<uint64_t>* held_bytes) {
  MutexLock lock(&mu_);
  removed_ = true;
  dir_ = std::move(trash_dir);
  held_bytes_ = held_bytes;
  *held_bytes_ += record_.stored_bytes();
}

void Scope::Relocate(std::string key, std::string dir) {
  MutexLock lock(&mu_);
  key_ = std::move(key);
  dir_ = std::move(dir);
}

std::string Scope::key() const {
  MutexLock lock(&mu_);
  return key_;
}

bool Scope::HasFile(std::string_view name) const {
  return IsCommittedScopeFileName(name) || (name == kNodesIndexFile && record_.nodes_idx) ||
         (name == kLinksIndexFile && record_.links_idx);
}

Result<std::shared_ptr<const File>> Scope::OpenStored(std::string_view name) const {
  std::string path;
  {
    MutexLock lock(&mu_);
    if (removed_) return Status::NotFound("scope " + key_ + " was removed");
    path = Layout::Join(dir_, name);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, env_->Open(path, OpenMode::kRead));
  return std::shared_ptr<const File>(std::move(file));
}

Result<std::shared_ptr<const ChunkedGzipReader>> Scope::Mappings() const {
  {
    MutexLock lock(&mu_);
    if (mappings_) return mappings_;
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const File> file, OpenStored(kMappingsGzFile));
  auto reader = std::make_shared<const ChunkedGzipReader>(file, record_.mappings_index, cache_);
  MutexLock lock(&mu_);
  if (!mappings_) mappings_ = std::move(reader);  // a racing opener may have won
  return mappings_;
}

namespace {

Status CheckCrc(const File& file, const StoredFile& expected, const std::string& what) {
  ASSIGN_OR_RETURN(uint64_t size, file.Size());
  if (size != expected.size) {
    return Status::Corruption(what + " is " + std::to_string(size) + " bytes, expected " +
                              std::to_string(expected.size));
  }
  std::vector<char> buf(std::min<uint64_t>(size, uint64_t{1} << 20));
  uint32_t crc = 0;
  for (uint64_t offset = 0; offset < size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - offset));
    RETURN_IF_ERROR(ReadExactly(file, offset, buf.data(), n, what));
    crc = Crc32Update(crc, std::string_view(buf.data(), n));
    offset += n;
  }
  if (crc != expected.crc32) {
    return Status::Corruption(what + ": checksum mismatch");
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const std::string>> Scope::VerifiedBits(std::string_view name) const {
  Result<std::shared_ptr<const File>> file = OpenStored(name);
  if (!file.ok()) return file.status();  // NotFound: see Store::JudgeReadError
  return VerifiedBits(name, **file);
}

Result<std::shared_ptr<const std::string>> Scope::VerifiedBits(std::string_view name,
                                                               const File& file) const {
  const StoredFile& expected = name == kNodesFile ? record_.nodes : record_.links;
  const std::string what = "scope " + key() + ": " + std::string(name);
  // One byte more than expected, to notice a file that grew.
  auto bytes = std::make_shared<std::string>(expected.size + 1, '\0');
  ASSIGN_OR_RETURN(size_t n, file.ReadAt(0, bytes->data(), bytes->size()));
  bytes->resize(n);
  if (n != expected.size) {
    return Status::Corruption(what + " is " +
                              (n > expected.size ? "longer" : std::to_string(n) + " bytes") +
                              ", expected " + std::to_string(expected.size) + " bytes");
  }
  if (Crc32(*bytes) != expected.crc32) return Status::Corruption(what + ": checksum mismatch");
  std::weak_ptr<const std::string>& slot = name == kNodesFile ? nodes_bytes_ : links_bytes_;
  MutexLock lock(&mu_);
  if (std::shared_ptr<const std::string> shared = slot.lock()) return shared;  // the same bytes
  slot = bytes;
  return std::shared_ptr<const std::string>(std::move(bytes));
}

Result<std::shared_ptr<const File>> Scope::CheckedIndex(std::string_view name) const {
  const int which = name == kNodesIndexFile ? 0 : 1;
  const std::optional<StoredFile>& expected = which == 0 ? record_.nodes_idx : record_.links_idx;
  if (!expected) return Status::NotFound("scope " + key() + " has no " + std::string(name));
  ASSIGN_OR_RETURN(std::shared_ptr<const File> file, OpenStored(name));
  if (!index_checked_[which].load()) {
    // Racing first opens may both check: harmless, and no lock is held for I/O.
    RETURN_IF_ERROR(CheckCrc(*file, *expected, "scope " + key() + ": " + std::string(name)));
    index_checked_[which] = true;
  }
  return file;
}

Status Scope::Verify() const {
  // Fresh opens, not the shared fds: a stored file deleted or replaced since
  // it was first opened must be noticed too.
  std::string dir;
  {
    MutexLock lock(&mu_);
    if (removed_) return Status::NotFound("scope " + key_ + " was removed");
    dir = dir_;
  }
  const std::string what = "scope " + key() + ": ";
  ASSIGN_OR_RETURN(std::string text,
                   ReadFileToString(env_, Layout::Join(dir, kMetaFile), uint64_t{64} << 20));
  Result<ScopeRecord> stored = ParseRecord(text);
  if (!stored.ok()) return stored.status().Annotate(what + "meta.json");
  stored->key = record_.key;  // a rename changes the key, never the file
  if (SerializeRecord(*stored) != SerializeRecord(record_)) {
    return Status::Corruption(what + "meta.json differs from the record loaded at start");
  }
  for (auto [name, expected] :
       {std::pair{kNodesFile, &record_.nodes}, std::pair{kLinksFile, &record_.links},
        std::pair{kMappingsGzFile, &record_.mappings}}) {
    ASSIGN_OR_RETURN(std::shared_ptr<const File> file, OpenStored(name));
    RETURN_IF_ERROR(CheckCrc(*file, *expected, what + std::string(name)));
  }
  for (auto [name, expected] : {std::pair{kNodesIndexFile, &record_.nodes_idx},
                                std::pair{kLinksIndexFile, &record_.links_idx}}) {
    if (!*expected) continue;
    ASSIGN_OR_RETURN(std::shared_ptr<const File> file, OpenStored(name));
    RETURN_IF_ERROR(CheckCrc(*file, **expected, what + std::string(name)));
    RETURN_IF_ERROR(CheckMappingIndex(*file, what + std::string(name)));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const ChunkedGzipReader> reader, Mappings());
  return reader->VerifyAll().Annotate("scope " + key());
}

}  // namespace scopefs::store
