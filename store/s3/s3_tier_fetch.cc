// S3Tier::Fetch: the objects of a scope, downloaded and checked on disk.
#include <memory>
#include <vector>

#include "store/key.h"
#include "store/layout.h"
#include "store/mutex.h"
#include "store/s3/file_digest.h"
#include "store/s3/parallel_tasks.h"
#include "store/s3/s3_tier.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::SharedObject;
using store::Status;

// A name the manifest gives is a file name in `dir`, nothing more.
bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

struct Download {
  const SharedObject* object = nullptr;
  std::string path;
  std::unique_ptr<store::File> file;
  store::Mutex write_mu;  // Env: writes to one File are serialized by the caller
};

struct Range {
  size_t download = 0;
  ByteRange range;
};

}  // namespace

Result<uint64_t> S3Tier::Fetch(const store::SharedScope& scope, const std::string& dir) const {
  RETURN_IF_ERROR(store::ValidateKey(scope.key));
  const std::string what = "fetching " + scope.key;
  std::vector<std::unique_ptr<Download>> downloads;
  std::vector<Range> ranges;
  uint64_t bytes = 0;
  for (const SharedObject& object : scope.objects) {
    if (!IsPlainFileName(object.name)) {
      return Status::Invalid(what + ": object name \"" + store::Printable(object.name) +
                             "\" is not a file name");
    }
    auto download = std::make_unique<Download>();
    download->object = &object;
    download->path = store::Layout::Join(dir, object.name);
    for (uint64_t offset = 0; offset < object.size; offset += options_.range_bytes) {
      ranges.push_back(Range{downloads.size(), ByteRange{offset, std::min(options_.range_bytes,
                                                                          object.size - offset)}});
    }
    bytes += object.size;
    downloads.push_back(std::move(download));
  }

  // Every failure below removes what this call created, and only that.
  auto remove_created = [&] {
    for (const std::unique_ptr<Download>& download : downloads) {
      if (download->file == nullptr) continue;
      download->file.reset();
      (void)options_.env->Unlink(download->path);
    }
    (void)options_.env->SyncDir(dir);
  };
  for (const std::unique_ptr<Download>& download : downloads) {
    Result<std::unique_ptr<store::File>> file =
        options_.env->Open(download->path, store::OpenMode::kCreateExclusive);
    if (!file.ok()) {
      remove_created();
      return file.status().Annotate(what);
    }
    download->file = std::move(file).value();
  }
  auto object_key = [&](const SharedObject& object) {
    return layout_.Object(scope.key, scope.publish_id, object.name);
  };

  // The sizes first: a range GET past the end of a short object would fail
  // with a 416, which says less than this.
  Status status = RunTasks(downloads.size(), options_.threads, [&](size_t i) -> Status {
    const SharedObject& object = *downloads[i]->object;
    ASSIGN_OR_RETURN(const ObjectInfo info, client_->HeadObject(object_key(object)));
    if (info.size != object.size) {
      return Status::Corruption(object.name + " is " + std::to_string(info.size) +
                                " bytes on the tier, its manifest says " +
                                std::to_string(object.size));
    }
    return Status::Ok();
  });
  if (status.ok()) {
    status = RunTasks(ranges.size(), options_.threads, [&](size_t i) -> Status {
      Download& download = *downloads[ranges[i].download];
      const ByteRange range = ranges[i].range;
      ASSIGN_OR_RETURN(const std::string got,
                       client_->GetObject(object_key(*download.object), range));
      if (got.size() != range.length) {
        return Status::Corruption(download.object->name + ": " + std::to_string(got.size()) +
                                  " bytes at offset " + std::to_string(range.offset) +
                                  ", asked for " + std::to_string(range.length));
      }
      store::MutexLock lock(&download.write_mu);
      return download.file->WriteAt(range.offset, got.data(), got.size());
    });
  }
  if (status.ok()) {
    // Checked as it is on disk, after the fsync: what the store will read.
    status = RunTasks(downloads.size(), options_.threads, [&](size_t i) -> Status {
      Download& download = *downloads[i];
      RETURN_IF_ERROR(download.file->Sync());
      ASSIGN_OR_RETURN(const FileDigest digest, DigestFile(*download.file));
      const SharedObject& object = *download.object;
      if (digest.size != object.size || digest.sha256 != object.sha256) {
        return Status::Corruption(object.name + ": " + std::to_string(digest.size) +
                                  " bytes of SHA-256 " + digest.sha256 + ", its manifest says " +
                                  std::to_string(object.size) + " bytes of " + object.sha256);
      }
      return Status::Ok();
    });
  }
  if (status.ok()) status = options_.env->SyncDir(dir);
  if (!status.ok()) {
    remove_created();
    return status.Annotate(what);
  }
  return bytes;
}

}  // namespace scopefs::s3
