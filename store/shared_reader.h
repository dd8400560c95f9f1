// SharedReader: the read-through of a shared tier (docs/SHARED.md,
// "Read-through"). A lookup of a key the local cache lacks asks the tier;
// if it has the scope, the objects are fetched into an AdoptionDir and the
// Store adopts them (every byte checked, then committed like a local scope).
//
// - Single-flight: concurrent calls for one key share one fetch; the others
//   wait for its outcome (each until its own deadline).
// - Negative cache: a NotFound answer from the tier is remembered for
//   `negative_ttl_ns`, so `ls`/`stat` storms do not reach the tier. An
//   unavailable tier, a timeout or an open breaker is never remembered as
//   absent; bytes that failed their checks are, so the key is retried (not
//   refetched on every lookup) after that period.
// - The CircuitBreaker (shared with the publisher) skips the tier while it
//   is down: the call answers at once.
// - Leases (optional, `wait_for_leases`): absent, but another host holds a
//   live lease on the key (it is computing it), the call polls for the
//   manifest every `lease_poll` until the deadline, then reads it through.
//
// Ownership: the owner; the Store, tier, breaker and Clock must outlive it.
// Thread-safety: thread-safe. mu_ is a leaf lock, never held across a tier
// call, a Store call or a log line.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "store/circuit_breaker.h"
#include "store/clock.h"
#include "store/mutex.h"
#include "store/shared_tier.h"
#include "store/status.h"
#include "store/store.h"

namespace scopefs::store {

struct SharedReaderOptions {
  int64_t negative_ttl_ns = int64_t{10} * 1'000'000'000;  // 0: remember nothing
  bool wait_for_leases = true;
  std::chrono::milliseconds lease_poll{1000};
  const Clock* clock = SystemClock();  // for the negative cache
};

struct ReaderCounters {
  uint64_t fetches = 0;        // scopes fetched and adopted
  uint64_t fetch_errors = 0;   // fetches whose bytes failed a check, or that failed
  uint64_t bytes_fetched = 0;  // downloaded, adopted or not
  uint64_t lease_waits = 0;    // lookups that waited for another host's computation
};

class SharedReader {
 public:
  SharedReader(Store* store, const SharedTier* tier, CircuitBreaker* breaker,
               SharedReaderOptions options = {});
  SharedReader(const SharedReader&) = delete;
  SharedReader& operator=(const SharedReader&) = delete;

  // The committed scope `key`: the local one if the cache has it, else the
  // tier's, fetched and adopted. NotFound whenever the tier cannot give it
  // now, with a message saying why: absent (or remembered as absent), the
  // tier unavailable or its breaker open, `deadline` passed while waiting
  // for another call's fetch or a lease, bytes that failed their checks, or
  // Cancel(). Other codes are local failures (NoSpace for a scope larger
  // than the cache, an I/O error writing the staging directory).
  // `deadline` bounds the waits; a tier request under way is bounded by the
  // tier's own timeouts.
  Result<std::shared_ptr<Scope>> FetchIfShared(const std::string& key,
                                               std::chrono::steady_clock::time_point deadline)
      EXCLUDES(mu_);

  // Drops `key` from the negative cache: the tier is known to have it now
  // (a mkdir found its manifest), so the next call asks again.
  void Forget(const std::string& key) EXCLUDES(mu_);

  // Ends every wait now and refuses new calls (shutdown).
  void Cancel() EXCLUDES(mu_);
  ReaderCounters counters() const;

 private:
  // One fetch in flight, shared by the calls that asked for its key.
  struct Flight {
    bool done = false;
    std::optional<Result<std::shared_ptr<Scope>>> result;
  };

  // The fetch itself (the single-flight leader), with no lock held.
  Result<std::shared_ptr<Scope>> Fetch(const std::string& key,
                                       std::chrono::steady_clock::time_point deadline)
      EXCLUDES(mu_);
  // The tier's manifest of `key`, waiting for a live lease if so configured.
  // NotFound otherwise; only a real "absent" is remembered.
  Result<SharedScope> Find(const std::string& key, std::chrono::steady_clock::time_point deadline)
      EXCLUDES(mu_);
  // After the tier said "absent": if another host holds a lease on `key`,
  // polls for the manifest until `deadline` or Cancel. The tier's answers as
  // they are (NotFound: nobody computes it, or the computation was given
  // up); Busy for the deadline or Cancel.
  Result<SharedScope> WaitForLease(const std::string& key,
                                   std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_);
  // Records bytes that failed a check: counted, logged, remembered as absent.
  Status Rejected(const std::string& key, const Status& why) EXCLUDES(mu_);
  void RememberAbsent(const std::string& key) EXCLUDES(mu_);

  Store* const store_;
  const SharedTier* const tier_;
  CircuitBreaker* const breaker_;
  const SharedReaderOptions options_;

  mutable Mutex mu_;  // a leaf; see above
  CondVar cv_;        // a flight ended, or Cancel
  bool cancelled_ GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<Flight>> flights_ GUARDED_BY(mu_);
  std::map<std::string, int64_t> absent_until_ns_ GUARDED_BY(mu_);  // the negative cache

  std::atomic<uint64_t> fetches_{0}, fetch_errors_{0}, bytes_fetched_{0}, lease_waits_{0};
};

}  // namespace scopefs::store
