#include "fs/control_files.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/scope_record.h"

namespace scopefs::fs {
namespace {

constexpr ControlFile kFiles[] = {
    {3, "stats.json"},
    {4, "scopes.json"},
    {5, "metrics"},
};

// The cache-wide figures both stats.json and metrics show.
struct Figures {
  uint64_t entries = 0, stored = 0, pending = 0, held = 0, nodes = 0, links = 0;
  int64_t oldest = 0, newest = 0;
  size_t pending_entries = 0;
  store::CacheLimits limits;
  store::StoreCounters counters;
  ServeCounters served;
};

Figures Collect(const store::Store& store, const ServeCounters& served) {
  Figures f;
  auto scopes = store.List();
  f.entries = scopes.size();
  for (const auto& scope : scopes) {
    const store::ScopeRecord& r = scope->record();
    f.nodes += r.total_nodes;
    f.links += r.total_links;
    if (f.oldest == 0 || r.created_ns < f.oldest) f.oldest = r.created_ns;
    f.newest = std::max(f.newest, r.created_ns);
  }
  f.stored = store.stored_bytes();
  f.pending = store.pending_bytes();
  f.held = store.held_bytes();
  f.served = served;
  f.pending_entries = store.ListPending().size();
  f.limits = store.limits();
  f.counters = store.counters();
  return f;
}

int64_t LastAccess(const store::Scope& scope) { return scope.last_access_ns(); }

std::string Stats(const store::Store& store, const ServeCounters& served) {
  const Figures f = Collect(store, served);
  auto average = [&](uint64_t total) { return f.entries ? double(total) / double(f.entries) : 0.0; };
  auto time = [](int64_t ns) { return ns ? nlohmann::json(store::FormatIsoTime(ns)) : nlohmann::json(); };
  nlohmann::json stats = {
      {"total_entries", f.entries},
      {"total_size", f.stored},
      {"pending_entries", f.pending_entries},
      {"pending_size", f.pending},
      {"max_size", f.limits.max_size},
      {"max_entries", f.limits.max_entries},
      {"ttl_seconds", f.limits.ttl_ns / 1'000'000'000},
      {"utilization", f.limits.max_size ? double(f.stored + f.pending) / double(f.limits.max_size) : 0.0},
      {"total_nodes", f.nodes},
      {"total_links", f.links},
      {"average_size", average(f.stored)},
      {"average_nodes", average(f.nodes)},
      {"average_links", average(f.links)},
      {"oldest_entry", time(f.oldest)},
      {"newest_entry", time(f.newest)},
      {"commits", f.counters.commits},
      {"rejected_commits", f.counters.rejected_commits},
      {"evictions", f.counters.evictions},
      {"expirations", f.counters.expirations},
      {"hits", f.served.hits},
      {"misses", f.served.misses},
      {"bytes_served", f.served.bytes_served},
      {"bytes_held_by_open_files", f.held},
  };
  return stats.dump(2) + "\n";
}

std::string Metrics(const store::Store& store, const ServeCounters& served) {
  const Figures f = Collect(store, served);
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP scopefs_") + name + " " + help + "\n";
    out += std::string("# TYPE scopefs_") + name + " " + type + "\n";
    out += std::string("scopefs_") + name + " " + std::to_string(value) + "\n";
  };
  metric("entries", "gauge", "Committed scopes in the cache.", f.entries);
  metric("stored_bytes", "gauge", "Bytes stored for committed scopes.", f.stored);
  metric("pending_entries", "gauge", "Scopes being written.", f.pending_entries);
  metric("pending_bytes", "gauge", "Bytes written to pending scopes.", f.pending);
  metric("max_size_bytes", "gauge", "The max_size limit.", f.limits.max_size);
  metric("max_entries", "gauge", "The max_entries limit.", f.limits.max_entries);
  metric("commits_total", "counter", "Scopes committed since start.", f.counters.commits);
  metric("rejected_commits_total", "counter", "Commits refused by validation since start.",
         f.counters.rejected_commits);
  metric("evictions_total", "counter", "Scopes evicted by the size or entry limit since start.",
         f.counters.evictions);
  metric("expirations_total", "counter", "Scopes expired by the TTL since start.",
         f.counters.expirations);
  metric("hits_total", "counter", "Lookups of committed keys since start.", f.served.hits);
  metric("misses_total", "counter", "Lookups of absent keys since start.", f.served.misses);
  metric("served_bytes_total", "counter", "Bytes read from committed files since start.",
         f.served.bytes_served);
  metric("held_bytes", "gauge", "Bytes of removed scopes still held by open files.", f.held);
  return out;
}

std::string Scopes(const store::Store& store) {
  auto scopes = store.List();
  std::sort(scopes.begin(), scopes.end(), [](const auto& a, const auto& b) {
    return LastAccess(*a) != LastAccess(*b) ? LastAccess(*a) > LastAccess(*b) : a->key() < b->key();
  });
  nlohmann::json list = nlohmann::json::array();
  for (const auto& scope : scopes) list.push_back(store::UserMeta(scope->record(), scope->key(), LastAccess(*scope)));
  return list.dump(2) + "\n";
}

}  // namespace

std::span<const ControlFile> ControlFiles() { return kFiles; }

std::string GenerateControlFile(fuse_ino_t ino, const store::Store& store,
                                const ServeCounters& served) {
  if (ino == kFiles[0].ino) return Stats(store, served);
  if (ino == kFiles[1].ino) return Scopes(store);
  return Metrics(store, served);
}

}  // namespace scopefs::fs
