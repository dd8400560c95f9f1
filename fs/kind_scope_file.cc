// ScopeFileNode: a file of a committed scope. Immutable, so the kernel caches
// it (never direct_io: readers mmap the index files); opening a data file is
// an access (LRU, TTL). meta.json is generated.
#include "fs/filesystem.h"
#include "fs/handle.h"
#include "fs/kinds.h"
#include "store/chunked_gzip_reader.h"
#include "store/layout.h"
#include "store/scope_record.h"

namespace scopefs::fs {
namespace {

// nodes.bits, links.bits: served only from bytes checked against the record's
// CRC, so damage on disk never reaches a reader. Checked at open, or, for an
// open after one that checked (its reads come from the kernel's page cache of
// those bytes, keep_cache), at the first read that reaches the daemon, from
// the stored file pinned at open.
class BitsHandle final : public Handle {
 public:
  // Bytes checked at open.
  BitsHandle(std::shared_ptr<Node> node, std::shared_ptr<const std::string> bits)
      : Handle(std::move(node)), bits_(std::move(bits)) {}
  // Bytes checked when first read from `file` (Scope::OpenStored).
  BitsHandle(std::shared_ptr<Node> node, std::shared_ptr<store::Scope> scope,
             std::shared_ptr<const store::File> file)
      : Handle(std::move(node)), scope_(std::move(scope)), file_(std::move(file)) {}
  store::Result<ReadBytes> Read(Filesystem& fs, uint64_t offset, size_t size) override {
    ASSIGN_OR_RETURN(std::shared_ptr<const std::string> bits, Bits(fs));
    ReadBytes bytes = Slice(std::move(bits), offset, size);
    fs.CountServed(bytes.size);
    return bytes;
  }

 private:
  store::Result<std::shared_ptr<const std::string>> Bits(Filesystem& fs) {
    store::MutexLock lock(&mu_);
    if (!bits_) {
      store::Result<std::shared_ptr<const std::string>> bits = Check();
      if (!bits.ok()) {
        return fs.store().JudgeReadError(*scope_, bits.status()).Annotate(node().name());
      }
      fs.CountBitsVerified();
      bits_ = std::move(bits).value();
    }
    return bits_;
  }

  // On the descriptor opened at open: a removal since then, which makes the
  // scope refuse new opens, does not stop a file already open.
  store::Result<std::shared_ptr<const std::string>> Check() const {
    return scope_->VerifiedBits(node().name(), *file_);
  }

  const std::shared_ptr<store::Scope> scope_;
  const std::shared_ptr<const store::File> file_;
  store::Mutex mu_;
  std::shared_ptr<const std::string> bits_ GUARDED_BY(mu_);
};

// Reads up to `size` bytes with `read_at` into a buffer of the request's own
// (per request, not per thread: a buffer kept by each of the pool's 16
// workers would pin up to 16 MiB; freed ones go back to shared arenas). A
// read error is judged (EIO and quarantine on damage) and names the file.
template <typename ReadAt>
store::Result<ReadBytes> ReadStored(Filesystem& fs, const store::Scope& scope, const Handle& handle,
                                    size_t size, ReadAt read_at) {
  std::shared_ptr<char[]> buffer = std::make_shared_for_overwrite<char[]>(size);
  store::Result<size_t> n = read_at(buffer.get());
  if (!n.ok()) return fs.store().JudgeReadError(scope, n.status()).Annotate(handle.node().name());
  fs.CountServed(*n);
  return ReadBytes{buffer, buffer.get(), *n};
}

// mappings.json: inflated from the stored members, with read-ahead for
// sequential readers; EIO (never wrong bytes) when a member fails its checks.
class MappingsHandle final : public Handle {
 public:
  MappingsHandle(std::shared_ptr<Node> node, std::shared_ptr<store::Scope> scope,
                 std::shared_ptr<const store::ChunkedGzipReader> mappings)
      : Handle(std::move(node)), scope_(std::move(scope)), mappings_(std::move(mappings)) {}
  store::Result<ReadBytes> Read(Filesystem& fs, uint64_t offset, size_t size) override {
    return ReadStored(fs, *scope_, *this, size, [&](char* buffer) {
      store::MutexLock lock(&read_ahead_mu_);
      return mappings_->ReadAt(offset, buffer, size, &read_ahead_);
    });
  }

 private:
  const std::shared_ptr<store::Scope> scope_;
  const std::shared_ptr<const store::ChunkedGzipReader> mappings_;
  store::Mutex read_ahead_mu_;
  store::ReadAheadState read_ahead_ GUARDED_BY(read_ahead_mu_);
};

// nodes.idx, links.idx: read from the stored file, checked whole at the
// first open of the scope's file (Scope::CheckedIndex); served through the
// page cache, so Python can mmap it.
class IndexHandle final : public Handle {
 public:
  IndexHandle(std::shared_ptr<Node> node, std::shared_ptr<store::Scope> scope,
              std::shared_ptr<const store::File> file)
      : Handle(std::move(node)), scope_(std::move(scope)), file_(std::move(file)) {}
  store::Result<ReadBytes> Read(Filesystem& fs, uint64_t offset, size_t size) override {
    return ReadStored(fs, *scope_, *this, size,
                      [&](char* buffer) { return file_->ReadAt(offset, buffer, size); });
  }

 private:
  const std::shared_ptr<store::Scope> scope_;
  const std::shared_ptr<const store::File> file_;
};

}  // namespace

std::shared_ptr<Node> ScopeFileNode::For(Filesystem& fs, const std::shared_ptr<store::Scope>& scope,
                                         const std::string& name) {
  // Compared, not assumed: a freed scope's address may be reused.
  return fs.inodes().Lookup(
      "f:" + AddressOf(scope.get()) + "/" + name,
      [&](const Node& n) { return static_cast<const ScopeFileNode&>(n).scope() == scope; },
      [&](fuse_ino_t ino) { return std::make_shared<ScopeFileNode>(ino, name, scope); });
}

bool ScopeFileNode::generated() const { return name() == store::kMetaFile; }

namespace {
std::string UserMetaText(const store::Scope& scope) {
  return store::UserMeta(scope.record(), scope.key(), scope.last_access_ns()).dump(2) + "\n";
}
}  // namespace

store::Result<struct stat> ScopeFileNode::Attr(const Filesystem& fs) const {
  std::shared_ptr<store::Scope> scope = scope_.lock();
  if (!scope) return Gone("scope file " + name());
  if (fs.store().Expired(*scope)) return store::Status::NotFound("scope expired");
  const store::ScopeRecord& r = scope->record();
  const std::string file = name();
  struct stat st {};
  int64_t mtime = r.meta_mtime_ns;
  if (file == store::kNodesFile) {
    st = FileStat(fs, *this, 0444, r.nodes.size);
    mtime = r.nodes.mtime_ns;
  } else if (file == store::kLinksFile) {
    st = FileStat(fs, *this, 0444, r.links.size);
    mtime = r.links.mtime_ns;
  } else if (file == store::kMappingsFile) {
    st = FileStat(fs, *this, 0444, r.mappings_index.uncompressed_size);
    st.st_blocks = static_cast<blkcnt_t>((r.mappings.size + 511) / 512);  // du: bytes stored
    mtime = r.mappings.mtime_ns;
  } else if (store::IsIndexFileName(file)) {
    const std::optional<store::StoredFile>& index =
        file == store::kNodesIndexFile ? r.nodes_idx : r.links_idx;
    if (!index) return store::Status::NotFound("scope " + scope->key() + " has no " + file);
    st = FileStat(fs, *this, 0444, index->size);
    mtime = index->mtime_ns;
  } else {
    st = FileStat(fs, *this, 0444, UserMetaText(*scope).size());
  }
  SetTimes(st, scope->last_access_ns(), mtime, r.created_ns);
  return st;
}

// meta.json shows last_accessed, which changes: the kernel must ask.
double ScopeFileNode::AttrTimeout() const { return generated() ? 0 : kImmutableTimeout; }

store::Status ScopeFileNode::SetAttr(Filesystem&, const Caller&, const store::AttrChange& change,
                                     Handle*) {
  if (change.size) return store::Status::Access(name() + " of a committed scope is read-only");
  return store::Status::Ok();  // e.g. tar setting times after the commit; the scope keeps its own
}

store::Result<std::unique_ptr<Handle>> ScopeFileNode::Open(Filesystem& fs, const Caller&,
                                                           fuse_file_info* fi) {
  const std::string file = name();
  if (WantsWrite(fi)) return store::Status::Access(file + ": committed scopes are read-only");
  std::shared_ptr<store::Scope> scope = scope_.lock();
  if (!scope || scope->removed() || fs.store().Expired(*scope)) {
    return store::Status::NotFound("scope of " + file + " was removed or expired");
  }
  fi->noflush = 1;  // read-only: close() has nothing to report, skip the round trip
  if (generated()) {
    fi->direct_io = 1;  // last_accessed changes: never serve a cached copy
    return std::unique_ptr<Handle>(
        std::make_unique<ContentHandle>(shared_from_this(), UserMetaText(*scope)));
  }
  store::Result<std::unique_ptr<Handle>> handle = [&]() -> store::Result<std::unique_ptr<Handle>> {
    if (file == store::kMappingsFile) {
      ASSIGN_OR_RETURN(std::shared_ptr<const store::ChunkedGzipReader> mappings, scope->Mappings());
      return std::unique_ptr<Handle>(
          std::make_unique<MappingsHandle>(shared_from_this(), scope, mappings));
    }
    if (store::IsIndexFileName(file)) {
      ASSIGN_OR_RETURN(std::shared_ptr<const store::File> index, scope->CheckedIndex(file));
      return std::unique_ptr<Handle>(
          std::make_unique<IndexHandle>(shared_from_this(), scope, std::move(index)));
    }
    if (bits_verified_) {
      // Its reads come from the page cache: checking 1-2 MB again at each open
      // cost 0.3-0.7 ms for nothing (docs/BENCHMARKS.md, "Warm reads").
      ASSIGN_OR_RETURN(std::shared_ptr<const store::File> stored, scope->OpenStored(file));
      return std::unique_ptr<Handle>(
          std::make_unique<BitsHandle>(shared_from_this(), scope, std::move(stored)));
    }
    ASSIGN_OR_RETURN(std::shared_ptr<const std::string> bits, scope->VerifiedBits(file));
    fs.CountBitsVerified();
    bits_verified_ = true;
    return std::unique_ptr<Handle>(std::make_unique<BitsHandle>(shared_from_this(), bits));
  }();
  if (!handle.ok()) return fs.store().JudgeReadError(*scope, handle.status());
  fi->keep_cache = 1;  // immutable: the kernel's page cache stays valid
  fs.store().RecordAccess(*scope);
  return handle;
}

}  // namespace scopefs::fs
