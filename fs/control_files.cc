#include "fs/control_files.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/report.h"

namespace scopefs::fs {
namespace {

enum : fuse_ino_t { kStatsIno = 3, kScopesIno, kMetricsIno, kGcIno, kVerifyIno };

constexpr ControlEntry kFiles[] = {
    {kStatsIno, store::kStatsFile},           {kScopesIno, store::kScopesFile},
    {kMetricsIno, store::kMetricsFile},       {kGcIno, store::kGcAction, true},
    {kVerifyIno, store::kVerifyAction, true},
};

std::string Stats(const store::Store& store, const ServeCounters& served,
                  const store::SharedStats* shared) {
  nlohmann::json stats = store::StatsReport(store);
  stats["hits"] = served.hits;
  stats["misses"] = served.misses;
  stats["bytes_served"] = served.bytes_served;
  stats["bits_verified"] = served.bits_verified;
  stats["inodes"] = served.inodes;
  if (shared != nullptr) stats["shared"] = store::SharedStatsJson(*shared);
  return stats.dump(2) + "\n";
}

std::string Metrics(const store::Store& store, const ServeCounters& served,
                    const store::SharedStats* shared) {
  const nlohmann::json stats = store::StatsReport(store);
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help,
                    const nlohmann::json& value) {
    if (!value.is_number()) return;  // a limit the store does not enforce
    out += std::string("# HELP scopefs_") + name + " " + help + "\n";
    out += std::string("# TYPE scopefs_") + name + " " + type + "\n";
    out += std::string("scopefs_") + name + " " + value.dump() + "\n";
  };
  metric("entries", "gauge", "Committed scopes in the cache.", stats["total_entries"]);
  metric("stored_bytes", "gauge", "Bytes stored for committed scopes.", stats["total_size"]);
  metric("pending_entries", "gauge", "Scopes being written.", stats["pending_entries"]);
  metric("pending_bytes", "gauge", "Bytes written to pending scopes.", stats["pending_size"]);
  metric("max_size_bytes", "gauge", "The max_size limit.", stats["max_size"]);
  metric("max_entries", "gauge", "The max_entries limit.", stats["max_entries"]);
  metric("commits_total", "counter", "Scopes committed since start.", stats["commits"]);
  metric("adopted_total", "counter", "Scopes read through from the shared tier and committed.",
         stats["adopted"]);
  metric("rejected_commits_total", "counter", "Commits refused by validation since start.",
         stats["rejected_commits"]);
  metric("evictions_total", "counter", "Scopes evicted by the size or entry limit since start.",
         stats["evictions"]);
  metric("expirations_total", "counter", "Scopes expired by the TTL since start.",
         stats["expirations"]);
  metric("quarantined_total", "counter", "Scopes removed because their stored bytes were damaged.",
         stats["quarantined"]);
  metric("hits_total", "counter", "Lookups of committed keys since start.", served.hits);
  metric("misses_total", "counter", "Lookups of absent keys since start.", served.misses);
  metric("served_bytes_total", "counter", "Bytes read from committed files since start.",
         served.bytes_served);
  metric("inodes", "gauge", "Inodes the kernel holds (looked up and not yet forgotten).",
         served.inodes);
  metric("held_bytes", "gauge", "Bytes of removed scopes still held by open files.",
         stats["bytes_held_by_open_files"]);
  if (shared == nullptr) return out;
  metric("shared_reachable", "gauge", "1 while the shared tier answers (its breaker is closed).",
         shared->reachable ? 1 : 0);
  metric("shared_fetches_total", "counter", "Scopes read through from the shared tier.",
         shared->fetches);
  metric("shared_fetch_errors_total", "counter",
         "Fetches from the shared tier that failed or whose bytes failed a check.",
         shared->fetch_errors);
  metric("shared_fetched_bytes_total", "counter", "Bytes downloaded from the shared tier.",
         shared->bytes_fetched);
  metric("shared_publishes_total", "counter", "Scopes published to the shared tier.",
         shared->publishes);
  metric("shared_publish_errors_total", "counter", "Failed publish attempts (each retry counts).",
         shared->publish_errors);
  metric("shared_published_bytes_total", "counter", "Bytes uploaded to the shared tier.",
         shared->bytes_published);
  metric("shared_queued", "gauge", "Scopes waiting to be published.", shared->queued);
  metric("shared_leases_held", "gauge", "Computation leases this host holds.", shared->leases_held);
  metric("shared_lease_waits_total", "counter",
         "Lookups that waited for another host's computation.", shared->lease_waits);
  return out;
}

}  // namespace

std::span<const ControlEntry> ControlFiles() { return kFiles; }

bool IsControlAction(fuse_ino_t ino) {
  for (const ControlEntry& file : kFiles) {
    if (file.ino == ino) return file.action;
  }
  return false;
}

std::string GenerateControlFile(fuse_ino_t ino, const store::Store& store,
                                const ServeCounters& served, const store::SharedStats* shared) {
  switch (ino) {
    case kStatsIno: return Stats(store, served, shared);
    case kScopesIno: return store::ScopesReport(store).dump(2) + "\n";
    case kMetricsIno: return Metrics(store, served, shared);
    case kGcIno:
      return "Write anything here (as root) to remove expired scopes, idle pending scopes and\n"
             "orphaned files now; read the result back from the same open file.\n";
    default:
      return "Write scope keys here (as root), one per line, to re-read and check every\n"
             "stored byte; read the results back from the same open file. A damaged scope\n"
             "is quarantined and the write fails with EIO.\n";
  }
}

ActionResult RunControlAction(fuse_ino_t ino, std::string_view request, store::Store& store) {
  if (ino == kGcIno) {
    const store::GarbageReport r = store.CollectGarbage();
    nlohmann::json out = {
        {"expired", r.expired}, {"pending_dropped", r.pending_dropped}, {"orphans", r.orphans}};
    return {out.dump() + "\n", store::Status::Ok()};
  }
  ActionResult result;
  store::Status damage, missing;  // the first of each
  size_t start = 0;
  while (start < request.size()) {
    size_t end = std::min(request.find('\n', start), request.size());
    std::string key(request.substr(start, end - start));
    start = end + 1;
    if (!key.empty() && key.back() == '\r') key.pop_back();
    if (key.empty()) continue;
    const store::Status st = store.Verify(key);
    nlohmann::json line = {{"key", key}, {"status", "ok"}};
    if (!st.ok()) {
      line["status"] = st.code() == store::Status::Code::kCorruption ? "corrupt"
                       : st.code() == store::Status::Code::kNotFound ? "missing"
                                                                     : "error";
      line["error"] = st.message();
      store::Status& first = st.code() == store::Status::Code::kNotFound ? missing : damage;
      if (first.ok()) first = st;
    }
    result.output += line.dump() + "\n";
  }
  result.status = damage.ok() ? missing : damage;
  return result;
}

}  // namespace scopefs::fs
