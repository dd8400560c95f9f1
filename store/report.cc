#include "store/report.h"

#include <algorithm>
#include <limits>

#include "store/clock.h"
#include "store/scope_record.h"

namespace scopefs::store {
namespace {

nlohmann::json Limit(uint64_t value) {
  return value == std::numeric_limits<uint64_t>::max() ? nlohmann::json() : nlohmann::json(value);
}

nlohmann::json Time(int64_t ns) {
  return ns ? nlohmann::json(FormatIsoTime(ns)) : nlohmann::json();
}

}  // namespace

nlohmann::json StatsReport(const Store& store) {
  const std::vector<std::shared_ptr<Scope>> scopes = store.List();
  uint64_t nodes = 0, links = 0;
  int64_t oldest = 0, newest = 0;
  for (const auto& scope : scopes) {
    const ScopeRecord& r = scope->record();
    nodes += r.total_nodes;
    links += r.total_links;
    if (oldest == 0 || r.created_ns < oldest) oldest = r.created_ns;
    newest = std::max(newest, r.created_ns);
  }
  const uint64_t entries = scopes.size();
  const uint64_t stored = store.stored_bytes();
  const uint64_t pending = store.pending_bytes();
  const CacheLimits& limits = store.limits();
  const StoreCounters counters = store.counters();
  auto average = [&](uint64_t total) { return entries ? double(total) / double(entries) : 0.0; };
  const bool bounded =
      limits.max_size != std::numeric_limits<uint64_t>::max() && limits.max_size > 0;
  return {
      {"total_entries", entries},
      {"total_size", stored},
      {"pending_entries", store.ListPending().size()},
      {"pending_size", pending},
      {"max_size", Limit(limits.max_size)},
      {"max_entries", Limit(limits.max_entries)},
      {"ttl_seconds", limits.ttl_ns / 1'000'000'000},
      {"utilization", bounded ? double(stored + pending) / double(limits.max_size) : 0.0},
      {"total_nodes", nodes},
      {"total_links", links},
      {"average_size", average(stored)},
      {"average_nodes", average(nodes)},
      {"average_links", average(links)},
      {"oldest_entry", Time(oldest)},
      {"newest_entry", Time(newest)},
      {"commits", counters.commits},
      {"rejected_commits", counters.rejected_commits},
      {"evictions", counters.evictions},
      {"expirations", counters.expirations},
      {"quarantined", counters.quarantined},
      {"mappings_encoded_as_written", counters.mappings_encoded_as_written},
      {"mappings_compressed_at_commit", counters.mappings_compressed_at_commit},
      {"adopted", counters.adopted},
      {"bytes_held_by_open_files", store.held_bytes()},
      {"member_cache_bytes", store.member_cache_bytes()},
  };
}

nlohmann::json ScopesReport(const Store& store) {
  std::vector<std::shared_ptr<Scope>> scopes = store.List();
  // Read each access time once: they move while we sort.
  std::vector<std::pair<int64_t, std::shared_ptr<Scope>>> by_access;
  for (auto& scope : scopes) by_access.emplace_back(scope->last_access_ns(), std::move(scope));
  std::sort(by_access.begin(), by_access.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->key() < b.second->key();
  });
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [accessed, scope] : by_access) {
    list.push_back(UserMeta(scope->record(), scope->key(), accessed));
  }
  return list;
}

}  // namespace scopefs::store
