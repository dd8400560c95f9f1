#include "store/shared_stats.h"

namespace scopefs::store {

SharedStats CollectSharedStats(const SharedTier& tier, const CircuitBreaker& breaker,
                               const SharedReader* reader, const SharedPublisher* publisher,
                               uint64_t leases_held) {
  SharedStats stats;
  stats.url = tier.url();
  stats.reachable = breaker.closed();
  if (reader) {
    const ReaderCounters r = reader->counters();
    stats.fetches = r.fetches;
    stats.fetch_errors = r.fetch_errors;
    stats.bytes_fetched = r.bytes_fetched;
    stats.lease_waits = r.lease_waits;
  }
  if (publisher) {
    const PublisherCounters p = publisher->counters();
    stats.publishes = p.publishes;
    stats.publish_errors = p.publish_errors;
    stats.bytes_published = p.bytes_published;
    stats.queued = p.queued;
  }
  stats.leases_held = leases_held;
  return stats;
}

nlohmann::json SharedStatsJson(const SharedStats& stats) {
  return {
      {"url", stats.url},
      {"reachable", stats.reachable},
      {"fetches", stats.fetches},
      {"fetch_errors", stats.fetch_errors},
      {"bytes_fetched", stats.bytes_fetched},
      {"publishes", stats.publishes},
      {"publish_errors", stats.publish_errors},
      {"bytes_published", stats.bytes_published},
      {"queued", stats.queued},
      {"leases_held", stats.leases_held},
      {"lease_waits", stats.lease_waits},
  };
}

}  // namespace scopefs::store
