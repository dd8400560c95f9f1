#include "store/s3/s3_tier.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "store/key.h"
#include "store/layout.h"
#include "store/s3/file_digest.h"
#include "store/s3/parallel_tasks.h"
#include "store/s3/s3_error.h"

namespace scopefs::s3 {
namespace {

using store::Result;
using store::SharedObject;
using store::SharedScope;
using store::Status;

// The order of the issue: bits files, compressed mappings, record, index
// files. Uploads run a few at a time, so "order" is the order they start in;
// only the manifest, put after all of them, makes any of them visible.
constexpr std::string_view kPublishOrder[] = {store::kNodesFile,      store::kLinksFile,
                                              store::kMappingsGzFile, store::kMetaFile,
                                              store::kNodesIndexFile, store::kLinksIndexFile};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SharedScope ToSharedScope(const Manifest& manifest) {
  SharedScope scope{
      manifest.key, manifest.publish_id, manifest.publisher, manifest.published_ns, 0, {}};
  for (const ManifestObject& object : manifest.objects) {
    scope.bytes += object.size;
    scope.objects.push_back(SharedObject{object.name, object.size, object.sha256});
  }
  return scope;
}

}  // namespace

Result<std::unique_ptr<S3Tier>> S3Tier::Create(S3TierOptions options, Credentials credentials) {
  if (!options.prefix.empty() && (options.prefix.front() == '/' || options.prefix.back() == '/')) {
    return Status::Invalid("S3 tier prefix \"" + store::Printable(options.prefix) +
                           "\": no slash at either end");
  }
  if (options.threads == 0 || options.range_bytes == 0 || options.env == nullptr) {
    return Status::Invalid("S3 tier: threads and range_bytes must be positive, env set");
  }
  if (options.host.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) return Status::FromErrno(errno, "gethostname");
    options.host = host;
  }
  S3ClientOptions client_options;
  client_options.endpoint = options.endpoint;
  client_options.bucket = options.bucket;
  client_options.region = options.region;
  client_options.transport = options.transport;
  // The tier GETs whole objects only for manifests and leases (a few KB);
  // Fetch's GETs are ranges. A bigger answer is refused, not buffered.
  client_options.max_get_bytes = std::max(options.range_bytes, uint64_t{1} << 20);
  ASSIGN_OR_RETURN(std::unique_ptr<S3Client> client,
                   S3Client::Create(std::move(client_options), std::move(credentials)));
  return std::unique_ptr<S3Tier>(new S3Tier(std::move(options), std::move(client)));
}

S3Tier::S3Tier(S3TierOptions options, std::unique_ptr<S3Client> client)
    : options_(std::move(options)),
      client_(std::move(client)),
      layout_(options_.prefix),
      url_("s3://" + options_.bucket + (options_.prefix.empty() ? "" : "/" + options_.prefix)) {}

Status S3Tier::Probe() const { return client_->HeadBucket(); }

Result<Manifest> S3Tier::ReadManifest(const std::string& key) const {
  RETURN_IF_ERROR(store::ValidateKey(key));
  ASSIGN_OR_RETURN(const std::string text, client_->GetObject(layout_.Manifest(key)));
  Result<Manifest> manifest = ParseManifest(text);
  if (!manifest.ok()) return manifest.status().Annotate(layout_.Manifest(key));
  if (manifest->key != key) {
    return Status::Corruption(layout_.Manifest(key) + ": the manifest names key " +
                              store::Printable(manifest->key));
  }
  return manifest;
}

Result<SharedScope> S3Tier::Find(const std::string& key) const {
  ASSIGN_OR_RETURN(const Manifest manifest, ReadManifest(key));
  return ToSharedScope(manifest);
}

Result<uint64_t> S3Tier::Publish(const std::string& key, const std::string& scope_dir) const {
  RETURN_IF_ERROR(store::ValidateKey(key));
  struct Upload {
    std::string name;
    std::unique_ptr<store::File> file;
    FileDigest digest;
  };
  std::vector<Upload> uploads;
  for (std::string_view name : kPublishOrder) {
    Result<std::unique_ptr<store::File>> file =
        options_.env->Open(store::Layout::Join(scope_dir, name), store::OpenMode::kRead);
    if (!file.ok() && file.status().code() == Status::Code::kNotFound &&
        store::IsIndexFileName(name)) {
      continue;  // a scope committed without its index files
    }
    if (!file.ok()) return file.status().Annotate("publishing " + key);
    if ((*file)->fd() < 0) return Status::NotSupported("publishing " + key + ": not an OS file");
    uploads.push_back(Upload{std::string(name), std::move(file).value(), {}});
  }

  Manifest manifest{key, NewPublishId(), options_.host, 0, {}};
  auto delete_uploads = [&] {
    for (const Upload& upload : uploads) {
      (void)client_->DeleteObject(layout_.Object(key, manifest.publish_id, upload.name));
    }
  };
  // Each file is hashed here and again by the client as it signs the PUT; the
  // server checks the body against the second. A committed scope's files
  // never change, so both hashes agree.
  Status uploaded = RunTasks(uploads.size(), options_.threads, [&](size_t i) -> Status {
    Upload& upload = uploads[i];
    ASSIGN_OR_RETURN(upload.digest, DigestFile(*upload.file));
    return client_->PutObjectFromFile(layout_.Object(key, manifest.publish_id, upload.name),
                                      upload.file->fd(), 0, upload.digest.size, PutMode::kIfAbsent);
  });
  if (!uploaded.ok()) {
    delete_uploads();
    return uploaded.Annotate("publishing " + key);
  }
  uint64_t bytes = 0;
  for (const Upload& upload : uploads) {
    manifest.objects.push_back(
        ManifestObject{upload.name, upload.digest.size, upload.digest.sha256});
    bytes += upload.digest.size;
  }
  manifest.published_ns = NowNs();

  const Status put =
      client_->PutObject(layout_.Manifest(key), SerializeManifest(manifest), PutMode::kIfAbsent);
  if (put.ok()) return bytes;
  const S3ErrorKind kind = ErrorKindOf(put);
  if (kind == S3ErrorKind::kPreconditionFailed) {
    delete_uploads();
    return Status::Exists("publishing " + key + ": another host published it first");
  }
  if (kind != S3ErrorKind::kUnavailable) {
    delete_uploads();
    return put.Annotate("publishing " + key);
  }
  // No answer: the manifest may have landed all the same. Objects a manifest
  // might name are never deleted here.
  Result<Manifest> there = ReadManifest(key);
  if (there.ok() && there->publish_id == manifest.publish_id) return bytes;
  if (there.ok()) {
    delete_uploads();
    return Status::Exists("publishing " + key + ": another host published it first");
  }
  return put.Annotate("publishing " + key);
}

Result<store::SharedListing> S3Tier::List() const {
  const std::string prefix = layout_.ManifestsPrefix();
  constexpr std::string_view kSuffix = ".json";
  store::SharedListing listing;
  std::string token;
  do {
    ASSIGN_OR_RETURN(const ObjectListing page, client_->ListObjectsV2(prefix, token));
    for (const ObjectSummary& object : page.objects) {
      std::string_view name(object.key);
      if (!name.starts_with(prefix) || !name.ends_with(kSuffix)) continue;
      name.remove_prefix(prefix.size());
      name.remove_suffix(kSuffix.size());
      if (!store::ValidateKey(name).ok()) continue;  // not a manifest this tier wrote
      Result<Manifest> manifest = ReadManifest(std::string(name));
      if (manifest.ok()) {
        listing.scopes.push_back(ToSharedScope(*manifest));
      } else if (manifest.status().code() == Status::Code::kCorruption) {
        listing.unreadable.push_back(manifest.status());
      } else if (manifest.status().code() != Status::Code::kNotFound) {
        return manifest.status();
      }  // NotFound: removed since the listing
    }
    token = page.next_continuation_token;
  } while (!token.empty());
  // S3 lists manifests in byte order of their names, which is not key order
  // where one key is a prefix of another: "a-b.json" < "a.json".
  std::sort(listing.scopes.begin(), listing.scopes.end(),
            [](const SharedScope& a, const SharedScope& b) { return a.key < b.key; });
  return listing;
}

Status S3Tier::Remove(const std::string& key) const {
  RETURN_IF_ERROR(store::ValidateKey(key));
  // No manifest, nothing to remove: objects without one may be a publish
  // under way on another host.
  RETURN_IF_ERROR(client_->HeadObject(layout_.Manifest(key)).status());
  RETURN_IF_ERROR(client_->DeleteObject(layout_.Manifest(key)));
  return DeleteAll(layout_.ObjectsPrefix(key));
}

Status S3Tier::DeleteAll(const std::string& prefix) const {
  std::string token;
  do {
    ASSIGN_OR_RETURN(const ObjectListing page, client_->ListObjectsV2(prefix, token));
    for (const ObjectSummary& object : page.objects) {
      RETURN_IF_ERROR(client_->DeleteObject(object.key));
    }
    token = page.next_continuation_token;
  } while (!token.empty());
  return Status::Ok();
}

}  // namespace scopefs::s3
