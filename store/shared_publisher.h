// SharedPublisher: uploads the scopes this host commits to a shared tier, in
// the background, in the order they were committed (docs/SHARED.md, "Publish").
//
// Keys wait in a PublishQueue (STORE_DIR/shared-queue.json): Enqueue returns
// once the key is on disk, so a restart or an outage of the tier resumes the
// publish and nothing is lost. One thread takes the oldest key and, holding
// the committed Scope (so a removal cannot delete its files mid-upload), asks
// the tier whether it already has the key, then publishes it. The key leaves
// the queue when the publish is done, when another host published it first
// (Exists), or when the scope is no longer in the cache (evicted, removed or
// renamed before its turn: nothing is left to publish). When the tier is
// unavailable the key stays first and the thread waits `retry_delay`, longer
// while the shared CircuitBreaker is open; after another failure the key
// waits `retry_delay` while the keys after it go on (one bad scope never
// blocks the others).
//
// Wiring: Store::SetCommitListener calls Enqueue for each local commit (an
// adopted scope is never announced, so never published back), before the
// commit's durable rename: a crash right after that rename cannot lose the
// publish. So a queued key may still be pending: the thread waits for the
// commit under way (its commit lock), and a key neither committed nor
// pending (the commit failed, or a crash came before its rename) leaves the
// queue; one still pending after that waits `retry_delay`.
// Ownership: the owner; the Store, the tier and the breaker must outlive it.
// Thread-safety: thread-safe. Lock order: mu_, then the queue's (WaitIdle
// reads the queue under mu_); the commit listener takes each in turn under a
// PendingScope's commit lock, which comes before both (the thread takes a
// commit lock holding neither). No lock is held across a tier call.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store/circuit_breaker.h"
#include "store/mutex.h"
#include "store/publish_queue.h"
#include "store/shared_tier.h"
#include "store/status.h"
#include "store/store.h"

namespace scopefs::store {

struct SharedPublisherOptions {
  // After a failed publish, before the next try (longer while the breaker is open).
  std::chrono::milliseconds retry_delay{5000};
};

struct PublisherCounters {
  uint64_t publishes = 0;        // scopes this host published
  uint64_t publish_errors = 0;   // failed attempts (each retry counts)
  uint64_t bytes_published = 0;  // the bytes of the objects uploaded
  uint64_t queued = 0;           // scopes waiting to be published
};

class SharedPublisher {
 public:
  // Opens the store's queue and starts the thread, which resumes what the
  // queue holds. A queue file that cannot be read is replaced by one holding
  // every committed scope (logged): publishing one the tier has costs a Find.
  static Result<std::unique_ptr<SharedPublisher>> Start(Store* store, const SharedTier* tier,
                                                        CircuitBreaker* breaker,
                                                        SharedPublisherOptions options = {});
  ~SharedPublisher();  // Stop()
  SharedPublisher(const SharedPublisher&) = delete;
  SharedPublisher& operator=(const SharedPublisher&) = delete;

  // Queues `key` for publishing, durably, and wakes the thread. An error is
  // the queue file's (the commit goes on all the same; the caller logs it).
  Status Enqueue(const std::string& key) EXCLUDES(mu_);
  // Ends the thread: at once if it waits, else after the tier call under way
  // (bounded by the tier's timeouts). Queued keys stay in the file.
  void Stop() EXCLUDES(mu_);
  // True once the queue is empty and no publish is under way; false after
  // `timeout` (for tests and tools).
  bool WaitIdle(std::chrono::milliseconds timeout) EXCLUDES(mu_);

  PublisherCounters counters() const;

 private:
  enum class Outcome { kDone, kRetryLater };

  SharedPublisher(Store* store, const SharedTier* tier, CircuitBreaker* breaker,
                  SharedPublisherOptions options, std::unique_ptr<PublishQueue> queue);
  void Run() EXCLUDES(mu_);
  Outcome PublishOne(const std::string& key);
  // Takes `key` out of the queue, logging `why`.
  Outcome Done(const std::string& key, const std::string& why);
  // Sleeps up to `timeout`, or until Stop (and, if `wake_on_enqueue`, an Enqueue).
  void Sleep(std::chrono::nanoseconds timeout, bool wake_on_enqueue) EXCLUDES(mu_);

  Store* const store_;
  const SharedTier* const tier_;
  CircuitBreaker* const breaker_;
  const SharedPublisherOptions options_;
  const std::unique_ptr<PublishQueue> queue_;

  mutable Mutex mu_;  // lock order: see above
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool woken_ GUARDED_BY(mu_) = false;  // an Enqueue since the thread last looked
  bool busy_ GUARDED_BY(mu_) = false;   // a key is being published
  // Enqueued since the thread last looked: a new commit of a deferred key
  // (one whose earlier commit failed) is not held to that key's deferral.
  std::vector<std::string> enqueued_ GUARDED_BY(mu_);

  std::atomic<uint64_t> publishes_{0}, publish_errors_{0}, bytes_published_{0};
  // The thread's own:
  bool outage_logged_ = false;  // one warning per outage
  // Keys whose last publish failed (not for unavailability), and when to try again.
  std::map<std::string, std::chrono::steady_clock::time_point> deferred_;
  std::thread thread_;  // last: it starts once the rest exists
};

}  // namespace scopefs::store
