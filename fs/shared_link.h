// SharedLink: the daemon's side of a shared tier (docs/SHARED.md). It owns
// the tier client, the circuit breaker both directions share, the background
// publisher (fed by the Store's commit listener) and the read-through, and
// gives the handlers the two things they need: a lookup's fetch and the
// `shared` stats.
//
// Ownership: made by RunDaemon (daemon.cc) after the Store opens; the Store
// must outlive it. Stop() (or the destructor) ends the read-through's waits,
// then the publisher, and detaches the commit listener; queued publishes stay
// in STORE_DIR/shared-queue.json for the next start.
// Thread-safety: thread-safe (its parts are).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/circuit_breaker.h"
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

  store::SharedStats Stats() const;

  // Ends every lookup's wait now (they answer ENOENT) and refuses new ones:
  // a lookup waiting for another host's lease must not hold up an unmount.
  void CancelWaits();
  // CancelWaits(), then ends the publisher; idempotent.
  void Stop();

 private:
  SharedLink(store::Store* store, std::unique_ptr<store::SharedTier> tier, Options options);

  store::Store* const store_;
  const std::unique_ptr<store::SharedTier> tier_;
  const Options options_;
  store::CircuitBreaker breaker_;
  std::unique_ptr<store::SharedPublisher> publisher_;
  std::unique_ptr<store::SharedReader> reader_;
};

}  // namespace scopefs::fs
