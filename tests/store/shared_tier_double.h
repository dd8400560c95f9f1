// An in-process SharedTier for the store's own logic only: the reader's
// single-flight and negative cache, the breaker's use, the publisher's queue.
// It is no S3 and pretends nothing about one: it "holds" a scope as the path
// of a directory on disk and copies its files on Fetch. What the tier really
// does is tested against radosgw (tests/shared/shared_tier_test.cc).
#pragma once

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "store/mutex.h"
#include "store/shared_tier.h"

namespace scopefs::testing {

class SharedTierDouble final : public store::SharedTier {
 public:
  using Status = store::Status;
  template <typename T>
  using Result = store::Result<T>;

  // The scope the tier "holds" under `key`: the files in `dir`.
  void Hold(const std::string& key, const std::string& dir) {
    store::MutexLock lock(&mu_);
    held_[key] = dir;
  }
  // Every call answers unavailable (EAGAIN) while set.
  std::atomic<bool> down{false};
  // Fetch flips a byte of nodes.bits in what it writes while set.
  std::atomic<bool> damage{false};
  // Fetch waits while set (single-flight tests); clear it with Open().
  void Close() { SetGate(true); }
  void Open() { SetGate(false); }
  // A live lease on every key asked while set.
  std::atomic<bool> leased{false};

  mutable std::atomic<int> finds{0}, fetches{0}, publishes{0}, lease_finds{0};
  std::vector<std::string> published() {
    store::MutexLock lock(&mu_);
    return published_;
  }

  const std::string& url() const override { return url_; }
  Status Probe() const override { return Status::Ok(); }
  Result<store::SharedScope> Find(const std::string& key) const override {
    ++finds;
    if (down) return Unavailable();
    store::MutexLock lock(&mu_);
    auto it = held_.find(key);
    if (it == held_.end()) return Status::NotFound("no manifest for " + key);
    store::SharedScope scope;
    scope.key = key;
    scope.publisher = "double";
    for (const auto& e : std::filesystem::directory_iterator(it->second))
      scope.bytes += e.file_size();
    return scope;
  }
  Result<uint64_t> Fetch(const store::SharedScope& scope, const std::string& dir) const override {
    ++fetches;
    {
      store::MutexLock lock(&mu_);
      gate_cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return !gate_closed_; });
    }
    if (down) return Unavailable();
    std::string from;
    {
      store::MutexLock lock(&mu_);
      from = held_.at(scope.key);
    }
    uint64_t bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(from)) {
      const auto to = std::filesystem::path(dir) / e.path().filename();
      std::filesystem::copy_file(e.path(), to);
      bytes += e.file_size();
      if (damage && e.path().filename() == "nodes.bits") {
        std::FILE* f = std::fopen(to.c_str(), "r+b");
        int c = std::fgetc(f);
        std::fseek(f, 0, SEEK_SET);
        std::fputc(c ^ 1, f);
        std::fclose(f);
      }
    }
    return bytes;
  }
  Result<uint64_t> Publish(const std::string& key, const std::string& scope_dir) const override {
    ++publishes;
    if (down) return Unavailable();
    store::MutexLock lock(&mu_);
    if (held_.count(key)) return Status::Exists("manifest of " + key + " exists");
    uint64_t bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(scope_dir)) bytes += e.file_size();
    held_[key] = scope_dir;
    published_.push_back(key);
    return bytes;
  }
  Result<store::SharedListing> List() const override { return Status::NotSupported("double"); }
  Status Remove(const std::string&) const override { return Status::NotSupported("double"); }
  Result<store::SharedLease> AcquireLease(const std::string&, std::chrono::seconds) const override {
    return Status::NotSupported("double");
  }
  Status RenewLease(store::SharedLease&, std::chrono::seconds) const override {
    return Status::NotSupported("double");
  }
  Status ReleaseLease(const store::SharedLease&) const override { return Status::Ok(); }
  Result<store::SharedLease> FindLease(const std::string& key) const override {
    ++lease_finds;
    if (!leased) return Status::NotFound("no lease on " + key);
    store::SharedLease lease;
    lease.key = key;
    lease.holder = "hostA:1";
    return lease;
  }

 private:
  static Status Unavailable() { return Status::FromErrno(EAGAIN, "service unavailable: double"); }
  void SetGate(bool closed) {
    store::MutexLock lock(&mu_);
    gate_closed_ = closed;
    gate_cv_.NotifyAll();
  }

  const std::string url_ = "double://tier";
  mutable store::Mutex mu_;
  mutable store::CondVar gate_cv_;
  bool gate_closed_ GUARDED_BY(mu_) = false;
  mutable std::map<std::string, std::string> held_ GUARDED_BY(mu_);
  mutable std::vector<std::string> published_ GUARDED_BY(mu_);
};

}  // namespace scopefs::testing
