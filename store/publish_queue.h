// PublishQueue: the keys of scopes waiting to be published to the shared
// tier (docs/SHARED.md), kept in STORE_DIR/shared-queue.json so that a
// restart or an outage of the tier resumes them and none is lost.
//
// Every change is on disk (WriteFileAtomically) before Add or Remove returns:
// a key whose Add succeeded survives a crash. Keys come out in the order they
// were added; adding a key already queued changes nothing.
//
// Thread-safety: thread-safe; mu_ is held across the file's rewrite, so
// changes reach the disk in the order they were made. The Env must outlive it.
// Errors: Open gives Corruption, naming the file, for a file it cannot read
// as a queue (the caller decides: e.g. requeue every local scope).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/env.h"
#include "store/mutex.h"
#include "store/status.h"

namespace scopefs::store {

class PublishQueue {
 public:
  // The queue in `path`; empty if the file is missing.
  static Result<std::unique_ptr<PublishQueue>> Open(Env* env, std::string path);

  Status Add(const std::string& key) EXCLUDES(mu_);
  Status Remove(const std::string& key) EXCLUDES(mu_);  // OK if it was not queued
  std::vector<std::string> Keys() const EXCLUDES(mu_);

 private:
  PublishQueue(Env* env, std::string path, std::vector<std::string> keys)
      : env_(env), path_(std::move(path)), keys_(std::move(keys)) {}
  // Writes `keys` to the file, then makes them the queue.
  Status Save(std::vector<std::string> keys) REQUIRES(mu_);

  Env* const env_;
  const std::string path_;
  mutable Mutex mu_;
  std::vector<std::string> keys_ GUARDED_BY(mu_);
};

}  // namespace scopefs::store
