// SharedTier: a second place to find committed scopes and to publish them,
// shared by a fleet of hosts (docs/SHARED.md). The store and the daemon know
// the tier only through this interface; store/s3/s3_tier.h implements it on
// an S3 bucket.
//
// Errors are Status values: NotFound means the tier answered "absent";
// a tier that is down, slow or refusing for a while gives kIOError with
// errno EAGAIN ("unavailable"), which never means absent; Exists means
// another host got there first (a publish, a lease); Access a refusal of the
// credentials; Corruption bytes that fail a check (a manifest that does not
// parse, an object whose SHA-256 or size is wrong). Implementations do not
// log (the caller decides what is worth a line) and put no secret in a
// message. No call retries: the caller does.
//
// Thread-safety: every method is safe to call from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "store/status.h"

namespace scopefs::store {

// One stored file of a scope, as the tier holds it.
struct SharedObject {
  std::string name;  // its stored name: nodes.bits, mappings.json.gz, nodes.idx...
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

// A scope the tier holds, as its manifest describes it.
struct SharedScope {
  std::string key;
  std::string publish_id;  // which upload of the key the manifest names
  std::string publisher;   // the host that published it, for people
  int64_t published_ns = 0;
  uint64_t bytes = 0;  // the sum of its objects' sizes
  // What Fetch downloads: exactly the objects the manifest Find read named.
  std::vector<SharedObject> objects;
};

// What List finds: the scopes, and the manifests it skipped because they
// could not be read as one (Corruption, naming the object and the fault).
struct SharedListing {
  std::vector<SharedScope> scopes;  // in key order
  std::vector<Status> unreadable;
};

// A computation lease on a key (docs/SHARED.md, "Leases").
struct SharedLease {
  std::string key;
  std::string id;      // random per Acquire: a renewal proves ownership with it
  std::string holder;  // "host:pid", for messages
  int64_t expires_ns = 0;
};

class SharedTier {
 public:
  virtual ~SharedTier() = default;

  // "s3://bucket/prefix": where the tier is, for logs and stats (no secret).
  virtual const std::string& url() const = 0;
  // OK if the tier is there and usable; NotFound if its bucket does not exist.
  virtual Status Probe() const = 0;

  // The manifest of `key`; NotFound if the tier has none.
  virtual Result<SharedScope> Find(const std::string& key) const = 0;
  // Downloads the objects `scope` names (scope.objects) into `dir` (an existing empty
  // directory), under their stored names, each checked against the size
  // and SHA-256 the manifest gives. Returns the bytes fetched. The caller
  // checks the scope itself (record, gzip members, index) before using it.
  virtual Result<uint64_t> Fetch(const SharedScope& scope, const std::string& dir) const = 0;
  // Uploads the stored scope in `scope_dir` as `key`: its objects, then the
  // manifest (If-None-Match: *). Returns the bytes uploaded. Exists if the
  // tier already held a manifest for `key` (this upload's objects are
  // deleted again).
  virtual Result<uint64_t> Publish(const std::string& key, const std::string& scope_dir) const = 0;
  // Every scope the tier holds, in key order. A manifest that does not
  // parse (or names another key) is skipped and reported in `unreadable`:
  // one damaged object does not hide the rest. Fails only when the tier
  // cannot be listed or read.
  virtual Result<SharedListing> List() const = 0;
  // Deletes the manifest of `key` first (so no host fetches it after), then
  // its objects. NotFound if there was no manifest.
  virtual Status Remove(const std::string& key) const = 0;

  // Takes the lease on `key` for `ttl`. Exists if another holder's lease
  // is live (the message names the holder); an expired lease is taken over.
  virtual Result<SharedLease> AcquireLease(const std::string& key,
                                           std::chrono::seconds ttl) const = 0;
  // Extends a lease this host holds. Exists if it is no longer ours (it
  // expired and another host took it).
  virtual Status RenewLease(SharedLease& lease, std::chrono::seconds ttl) const = 0;
  // Gives the lease up; OK if it is already gone or no longer ours.
  virtual Status ReleaseLease(const SharedLease& lease) const = 0;
  // The live lease on `key`; NotFound if there is none or it expired.
  virtual Result<SharedLease> FindLease(const std::string& key) const = 0;
};

}  // namespace scopefs::store
