// FaultEnv: wraps another Env and makes its calls fail on demand.
//
// Two kinds of fault, as leveldb's SpecialEnv does for its tests:
// - FailAt(n, err, persistent): the nth call from now (1-based, counting every
//   Env and File call) fails with `err`; with `persistent`, every call after it too.
// - CrashAfter(n): after n more *mutating* calls (write, truncate, sync, create,
//   mkdir, rmdir, unlink, rename, dir sync) the process is "dead": every later
//   call fails with EIO, so the caller cannot finish what it started. Pair it
//   with MemEnv::SimulateCrash to model a power loss at that point.
// It also counts open files, so tests can check that nothing leaks, and can
// run a hook at every call (OnCall), so a test can stop a thread at a chosen
// step, e.g. inside a commit, while another thread races it.
//
// Thread-safety: internal atomics; the wrapped Env must be thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "store/env.h"

namespace scopefs::testing {

class FaultEnv final : public store::Env {
 public:
  explicit FaultEnv(store::Env* base) : base_(base) {}

  void FailAt(uint64_t n, int err, bool persistent);
  void CrashAfter(uint64_t mutations);
  // The next call whose description (as OnCall sees it) starts with `prefix`
  // fails with `err`, once, whichever thread makes it: for a fault in a call
  // that runs beside others, where FailAt's count cannot name it.
  void FailNextMatching(std::string prefix, int err);
  void Reset();  // no faults, counters kept
  // Runs `hook` at every call, before any fault, with what the call does
  // ("fsync /store/staging/k", "rename <from>"), on the calling thread.
  // REQUIRES: set before the Env is in use on other threads.
  void OnCall(std::function<void(const std::string& what)> hook) { hook_ = std::move(hook); }

  bool crashed() const { return crashed_.load(); }
  uint64_t calls() const { return calls_.load(); }
  uint64_t mutations() const { return mutations_.load(); }
  int64_t open_files() const { return open_files_.load(); }

  store::Result<std::unique_ptr<store::File>> Open(const std::string& path,
                                                   store::OpenMode mode) override;
  store::Result<store::FileInfo> Stat(const std::string& path) override;
  store::Result<std::vector<std::string>> ListDir(const std::string& path) override;
  store::Status MakeDir(const std::string& path) override;
  store::Status RemoveDir(const std::string& path) override;
  store::Status Unlink(const std::string& path) override;
  store::Status Rename(const std::string& from, const std::string& to,
                       store::RenameMode mode) override;
  store::Status SyncDir(const std::string& path) override;
  store::Result<std::unique_ptr<store::FileLock>> LockFile(const std::string& path) override;

 private:
  class FaultFile;

  // Counts one call; returns the injected failure for it, or OK to go on.
  store::Status Check(const std::string& what, bool mutating);

  store::Env* const base_;
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> mutations_{0};
  std::atomic<int64_t> open_files_{0};
  std::atomic<uint64_t> fail_at_{0};  // 0: none
  std::atomic<int> fail_errno_{0};
  std::atomic<bool> fail_persistent_{false};
  std::atomic<uint64_t> crash_after_{0};  // 0: none; else mutation count that kills
  std::atomic<bool> crashed_{false};
  std::function<void(const std::string&)> hook_;
  std::atomic<bool> match_armed_{false};
  std::mutex match_mu_;  // guards the two below
  std::string match_prefix_;
  int match_errno_ = 0;
};

}  // namespace scopefs::testing
