// SharedStats: the `shared` object of stats.json and .scopefs/metrics
// (issue 15, "Stats"), gathered from the pieces that talk to the tier.
//
// Thread-safety: CollectSharedStats reads atomic counters and takes each
// piece's own lock briefly; safe while they serve.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "store/circuit_breaker.h"
#include "store/shared_publisher.h"
#include "store/shared_reader.h"
#include "store/shared_tier.h"

namespace scopefs::store {

struct SharedStats {
  std::string url;         // s3://bucket/prefix, no secret
  bool reachable = false;  // the circuit breaker is closed
  uint64_t fetches = 0;
  uint64_t fetch_errors = 0;
  uint64_t bytes_fetched = 0;
  uint64_t publishes = 0;
  uint64_t publish_errors = 0;
  uint64_t bytes_published = 0;
  uint64_t queued = 0;       // scopes waiting to be published
  uint64_t leases_held = 0;  // computation leases this host holds
  uint64_t lease_waits = 0;  // lookups that waited for another host's lease
};

// `reader` and `publisher` may be null (their counters stay 0); `leases_held`
// comes from whoever takes leases (the daemon, on mkdir).
SharedStats CollectSharedStats(const SharedTier& tier, const CircuitBreaker& breaker,
                               const SharedReader* reader, const SharedPublisher* publisher,
                               uint64_t leases_held);

// The object as stats.json shows it, keys as above.
nlohmann::json SharedStatsJson(const SharedStats& stats);

}  // namespace scopefs::store
