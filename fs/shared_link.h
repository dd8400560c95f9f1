// SharedLink: the daemon's side of a shared tier (docs/SHARED.md). It owns
// the tier client, the circuit breaker both directions share, the background
// publisher (fed by the Store's commit listener) and the read-through, and
// gives the handlers what they need: a lookup's fetch, a mkdir's
// computation lease, and the `shared` stats.
//
// Leases: a mkdir of a new key takes the tier's lease on it, so other hosts
// wait for this one's scope instead of computing it too (their mkdir gets
// EBUSY, their lookup waits for the manifest). A keeper thread renews each
// held lease every ttl/3 while its scope is pending, and releases it once the
// scope is published (the tier has its manifest) or is gone (dropped,
// evicted, renamed); Stop() releases the rest.
//
// Ownership: made by RunDaemon (daemon.cc) after the Store opens; the Store
// must outlive it. Stop() (or the destructor) ends the read-through's waits,
// then the publisher, and detaches the commit listener; queued publishes stay
// in STORE_DIR/shared-queue.json for the next start.
// Thread-safety: thread-safe. mu_ guards the held leases; it is a leaf, never
// held across a tier call, a Store call or a log line.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "store/circuit_breaker.h"
#include "store/mutex.h"
#include "store/scope.h"
#include "store/shared_publisher.h"
#include "store/shared_reader.h"
#include "store/shared_stats.h"
#include "store/shared_tier.h"
#include "store/status.h"
#include "store/store.h"

namespace scopefs::fs {

class SharedLink {
 public:
  struct Options {
    // How long a lookup may wait for the tier (a fetch, another host's lease).
    std::chrono::seconds wait{600};
    // A computation lease's lifetime; renewed every third of it.
    std::chrono::seconds lease_ttl{120};
  };

  // Probes `tier` and starts the publisher. A bucket that does not exist
  // gives null, with one log line ("running local-only"); an unreachable tier
  // is kept (logged): the breaker skips it until it answers, and local
  // commits queue their publish. Errors are the publish queue's.
  static store::Result<std::unique_ptr<SharedLink>> Start(store::Store* store,
                                                          std::unique_ptr<store::SharedTier> tier,
                                                          Options options);
  ~SharedLink();  // Stop()
  SharedLink(const SharedLink&) = delete;
  SharedLink& operator=(const SharedLink&) = delete;

  // The committed scope `key` from the tier (fetched, checked and adopted),
  // for a lookup of a key this host has neither committed nor pending.
  // NotFound if the tier cannot give it within the wait (SharedReader).
  // REQUIRES: store::ValidateKey(key) is OK.
  store::Result<std::shared_ptr<store::Scope>> Fetch(const std::string& key);

  // For a mkdir of `key`, before the pending scope is made: takes its
  // computation lease. OK when taken, and also when the tier cannot answer
  // (unavailable, breaker open, any failure but Exists): the mkdir proceeds
  // locally. Busy (EBUSY) if another host holds a live lease, logged with
  // the holder. Exists (EEXIST) if the tier has the scope's manifest (found
  // after taking the lease, which is then given back): another host computed
  // it, and the next lookup reads it through.
  // REQUIRES: store::ValidateKey(key) is OK.
  store::Status TakeLease(const std::string& key) EXCLUDES(mu_);
  // Gives `key`'s lease back (a mkdir that failed after TakeLease).
  void ReleaseLease(const std::string& key) EXCLUDES(mu_);

  store::SharedStats Stats() const EXCLUDES(mu_);

  // Ends every lookup's wait now (they answer ENOENT) and refuses new ones:
  // a lookup waiting for another host's lease must not hold up an unmount.
  void CancelWaits();
  // CancelWaits(), then ends the keeper (releasing the leases held) and the
  // publisher; idempotent.
  void Stop() EXCLUDES(mu_);

 private:
  struct Held {
    store::SharedLease lease;
    std::chrono::steady_clock::time_point renewed;
  };

  SharedLink(store::Store* store, std::unique_ptr<store::SharedTier> tier, Options options);
  // The keeper thread: renews, and releases what is no longer needed.
  void Keep() EXCLUDES(mu_);
  // One pass of it over `key`: true if its lease is to be let go.
  bool Done(const std::string& key, Held& held);

  store::Store* const store_;
  const std::unique_ptr<store::SharedTier> tier_;
  const Options options_;
  store::CircuitBreaker breaker_;
  std::unique_ptr<store::SharedPublisher> publisher_;
  std::unique_ptr<store::SharedReader> reader_;

  mutable store::Mutex mu_;  // a leaf; see above
  store::CondVar cv_;        // Stop
  bool stopping_ GUARDED_BY(mu_) = false;
  std::map<std::string, Held> leases_ GUARDED_BY(mu_);
  std::thread keeper_;
};

}  // namespace scopefs::fs
