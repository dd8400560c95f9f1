// S3Tier: the shared tier (store/shared_tier.h) on one S3 bucket, in the
// layout of docs/SHARED.md: a scope's stored files under
// PREFIX/objects/KEY/PUBLISH_ID/, its manifest at PREFIX/scopes/KEY.json (put
// last, If-None-Match: *, so the first publisher of a key wins), a lease at
// PREFIX/leases/KEY.json.
//
// Publish uploads the objects (a few at a time), then the manifest; Fetch
// downloads them with ranged GETs of at most `range_bytes` each (a few at a
// time, so memory stays bounded by threads x range), writes them with
// O_EXCL, fsyncs them and the directory, and checks each file's size and
// SHA-256 as it is on disk against the manifest.
//
// Leases hold a random id; expiry is wall-clock time, so hosts sharing a
// bucket need clocks in step (NTP) to well within a lease's ttl. S3 has no
// compare-and-swap on a delete or an overwrite, which leaves two windows:
// - Two hosts taking over one expired lease at once may both succeed if one
//   deletes the lease the other has just put; the later renewal of the loser
//   then fails with Exists.
// - RenewLease reads the lease, then overwrites it: a lease that expired and
//   is taken over between the two is overwritten. Renew well before expiry
//   (every ttl/3, say) and the window needs a stalled host.
// Either way the worst outcome is one key computed twice; the manifest's
// conditional PUT still lets only one publish win. Likewise a Remove racing
// a publish of the same key can leave a manifest whose objects it deleted:
// Fetch then answers NotFound.
//
// Errors as shared_tier.h says (S3Client's kinds map onto them one to one);
// Invalid for a key that is not a valid scope key. Nothing here logs.
// Thread-safety: thread-safe (immutable after Create; S3Client is
// thread-safe). Owned by whoever made it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/s3/credentials.h"
#include "store/s3/http_transport.h"
#include "store/s3/manifest.h"
#include "store/s3/s3_client.h"
#include "store/shared_tier.h"

namespace scopefs::s3 {

struct S3TierOptions {
  std::string endpoint;  // as S3ClientOptions::endpoint; empty: AWS
  std::string bucket;
  std::string prefix;  // "" or "team/scopes": no slash at either end
  std::string region = "us-east-1";
  HttpTransportOptions transport;
  // Names this host in manifests and leases ("host" and "host:pid"); empty:
  // gethostname().
  std::string host;
  size_t threads = 4;                        // concurrent uploads or range GETs
  uint64_t range_bytes = uint64_t{8} << 20;  // the largest GET Fetch makes
  store::Env* env = store::PosixEnv();       // for the scope's files
};

class S3Tier final : public store::SharedTier {
 public:
  // Invalid for options S3Client refuses, a prefix with a slash at either
  // end, zero threads or range_bytes. Does not touch the network.
  static store::Result<std::unique_ptr<S3Tier>> Create(S3TierOptions options,
                                                       Credentials credentials);

  const std::string& url() const override { return url_; }
  store::Status Probe() const override;

  store::Result<store::SharedScope> Find(const std::string& key) const override;
  // NotFound if an object is gone from the bucket (the scope is being
  // removed); Corruption if one has the wrong size or SHA-256. On any
  // failure, the files it created in `dir` are removed again.
  store::Result<uint64_t> Fetch(const store::SharedScope& scope,
                                const std::string& dir) const override;
  // Returns the bytes of the scope's objects (not counting the manifest).
  // When the manifest PUT fails without an answer (a timeout), the manifest
  // is read back to learn whether it landed; objects whose fate is unknown
  // are left for Remove to collect.
  store::Result<uint64_t> Publish(const std::string& key,
                                  const std::string& scope_dir) const override;
  // One GET per manifest after the listing: fine for hundreds of scopes.
  store::Result<store::SharedListing> List() const override;
  // Also deletes leftovers of other publishes of `key` (a loser's objects
  // that a crash kept it from deleting).
  store::Status Remove(const std::string& key) const override;

  store::Result<store::SharedLease> AcquireLease(const std::string& key,
                                                 std::chrono::seconds ttl) const override;
  store::Status RenewLease(store::SharedLease& lease, std::chrono::seconds ttl) const override;
  store::Status ReleaseLease(const store::SharedLease& lease) const override;
  store::Result<store::SharedLease> FindLease(const std::string& key) const override;

  // The client and layout under the tier, for tests and tools that look at
  // the bucket itself.
  const S3Client& client() const { return *client_; }
  const BucketLayout& layout() const { return layout_; }

 private:
  S3Tier(S3TierOptions options, std::unique_ptr<S3Client> client);

  // The manifest of `key`, parsed and naming `key`; NotFound if none.
  store::Result<Manifest> ReadManifest(const std::string& key) const;
  // Deletes every object under `prefix`.
  store::Status DeleteAll(const std::string& prefix) const;
  // The lease object on `key`, parsed, live or not; NotFound if there is none.
  store::Result<store::SharedLease> ReadLease(const std::string& key) const;
  std::string Holder() const;  // "host:pid"

  const S3TierOptions options_;
  const std::unique_ptr<S3Client> client_;
  const BucketLayout layout_;
  const std::string url_;
};

}  // namespace scopefs::s3
