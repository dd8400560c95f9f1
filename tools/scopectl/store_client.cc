// StoreClient: a cache reached through the store library, with the daemon
// stopped. It holds the store's lock while it lives, so a daemon cannot start
// meanwhile, and it enforces no size or entry limit (the daemon does, when it
// next opens the store); `ttl_ns` decides what counts as expired.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "store/env.h"
#include "store/key.h"
#include "store/log.h"
#include "store/report.h"
#include "tools/scopectl/cache_client.h"

namespace scopefs::tools {
namespace {

using store::Result;
using store::Status;

// Copies the file at `from` into a pending file, a MiB at a time.
Status CopyInto(store::Env* env, const std::string& from, store::PendingFile& to) {
  ASSIGN_OR_RETURN(std::unique_ptr<store::File> in, env->Open(from, store::OpenMode::kRead));
  std::string buf(size_t{1} << 20, '\0');
  for (uint64_t offset = 0;;) {
    ASSIGN_OR_RETURN(size_t n, in->ReadAt(offset, buf.data(), buf.size()));
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(to.Write(offset, std::string_view(buf.data(), n)));
    offset += n;
  }
}

class StoreClient final : public CacheClient {
 public:
  explicit StoreClient(std::unique_ptr<store::Store> store) : store_(std::move(store)) {}

  std::string where() const override { return "store " + store_->layout().root(); }

  Result<nlohmann::json> Stats() override { return store::StatsReport(*store_); }
  Result<nlohmann::json> Scopes() override { return store::ScopesReport(*store_); }

  Result<nlohmann::json> Info(const std::string& key) override {
    RETURN_IF_ERROR(store::ValidateKey(key));
    std::shared_ptr<store::Scope> scope = store_->Find(key);
    if (!scope) return Status::NotFound("no scope " + key);
    return store::UserMeta(scope->record(), key, scope->last_access_ns());
  }

  Status Remove(const std::string& key) override {
    RETURN_IF_ERROR(store::ValidateKey(key));
    return store_->Remove(key);
  }

  std::vector<std::pair<std::string, Status>> DroppedAtOpen() const override {
    return store_->dropped_at_open();
  }

  Result<store::GarbageReport> CollectGarbage() override { return store_->CollectGarbage(); }

  Status Verify(const std::string& key) override {
    RETURN_IF_ERROR(store::ValidateKey(key));
    return store_->Verify(key);
  }

  Status Add(const ScopeSource& source) override {
    ASSIGN_OR_RETURN(std::shared_ptr<store::PendingScope> pending,
                     store_->CreatePending(source.key));
    Status st = Fill(source, pending);
    if (!st.ok()) {
      if (Status dropped = store_->DropPending(source.key); !dropped.ok()) {
        store::LogError("cannot drop pending scope " + source.key + ": " + dropped.ToString());
      }
    }
    return st;
  }

 private:
  Status Fill(const ScopeSource& source, const std::shared_ptr<store::PendingScope>& pending) {
    store::Env* env = store_->env();
    for (auto [name, path] : {std::pair{store::kNodesFile, &source.nodes_path},
                              std::pair{store::kLinksFile, &source.links_path},
                              std::pair{store::kMappingsGzFile, &source.mappings_gz_path}}) {
      ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> file,
                       pending->Create(std::string(name), 0644, getuid(), getgid()));
      RETURN_IF_ERROR(CopyInto(env, *path, *file));
    }
    ASSIGN_OR_RETURN(std::shared_ptr<store::PendingFile> meta,
                     pending->Create(std::string(store::kMetaFile), 0644, getuid(), getgid()));
    RETURN_IF_ERROR(meta->Write(0, source.meta.dump()));
    store::AttrChange times;
    times.atime_ns = source.accessed_ns;
    times.mtime_ns = source.created_ns;
    pending->SetDirAttrs(times);  // the commit takes them as last_accessed and created_at
    return store_->Commit(pending).status();
  }

  const std::unique_ptr<store::Store> store_;
};

}  // namespace

Result<std::unique_ptr<CacheClient>> NewStoreClient(const std::string& store_dir, int64_t ttl_ns) {
  store::StoreOptions options;
  options.limits.max_size = std::numeric_limits<uint64_t>::max();
  options.limits.max_entries = std::numeric_limits<uint64_t>::max();
  options.limits.ttl_ns = ttl_ns;
  Result<std::unique_ptr<store::Store>> store =
      store::Store::Open(store::PosixEnv(), store_dir, options);
  if (!store.ok()) {
    if (store.status().code() == Status::Code::kBusy) {
      return Status::Busy(store.status().message() + " (work through its mount with --mount DIR)");
    }
    return store.status();
  }
  return std::unique_ptr<CacheClient>(new StoreClient(std::move(store).value()));
}

Result<std::unique_ptr<CacheClient>> OpenCacheClient(const ClientOptions& options) {
  if (options.store) return NewStoreClient(*options.store, options.ttl_ns);
  std::string mnt;
  if (options.mount) {
    mnt = *options.mount;
  } else if (const char* env = std::getenv("SCOPEFS_MOUNT"); env != nullptr && *env != '\0') {
    mnt = env;
  } else {
    mnt = kDefaultMount;
  }
  struct stat st;
  if (::stat((mnt + "/.scopefs/stats.json").c_str(), &st) != 0) {
    return Status::Invalid(
        mnt + " is not a scopefs mount (no .scopefs/stats.json: " + std::strerror(errno) +
        "); give --mount MOUNTPOINT or --store STORE_DIR");
  }
  return NewMountClient(std::move(mnt));
}

}  // namespace scopefs::tools
