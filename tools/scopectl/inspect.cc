// scopectl stats, ls, info: what is in the cache. Reading is never an access.
#include <algorithm>
#include <cstdio>

#include "store/clock.h"
#include "tools/scopectl/cache_args.h"
#include "tools/scopectl/commands.h"
#include "tools/scopectl/format.h"
#include "tools/scopectl/tier_args.h"

namespace scopefs::tools {
namespace {

constexpr char kStatsUsage[] =
    "usage: scopectl stats [--mount DIR | --store DIR] [--json]\n"
    "\n"
    "Cache-wide figures: entries and bytes against the limits, totals, the oldest\n"
    "and newest scope, and what the cache did (commits, evictions, expirations...).\n"
    "--json prints the mount's .scopefs/stats.json object.\n";

constexpr char kLsUsage[] =
    "usage: scopectl ls [--mount DIR | --store DIR] [--json]\n"
    "       scopectl ls --shared s3://BUCKET[/PREFIX] [tier options] [--json]\n"
    "\n"
    "Lists the scopes, most recently used first: key, stored size, nodes, links,\n"
    "when it was created and last accessed, and how long until the TTL expires it.\n"
    "--json prints every scope's meta.json as one array.\n"
    "\n"
    "With --shared, lists what the shared tier holds, in key order: key, size of its\n"
    "objects, how many, when and by which host it was published. --json prints one\n"
    "object per scope (key, bytes, publisher, published_at, objects...).\n";

constexpr char kInfoUsage[] =
    "usage: scopectl info [--mount DIR | --store DIR] [--json] KEY\n"
    "\n"
    "Shows one scope's metadata (its meta.json). Exit 1 if there is no such scope.\n";

int64_t Now() { return store::SystemClock()->NowNanos(); }

int64_t TimeField(const nlohmann::json& meta, const char* name) {
  auto it = meta.find(name);
  if (it == meta.end() || !it->is_string()) return 0;
  return store::ParseIsoTime(it->get<std::string>()).value_or(0);
}

uint64_t Number(const nlohmann::json& doc, const char* name) {
  auto it = doc.find(name);
  return it != doc.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

uint64_t StoredSize(const nlohmann::json& meta) {
  return Number(meta, "nodes_file_size") + Number(meta, "links_file_size") +
         Number(meta, "mappings_file_size");
}

// "3h 5m", "expired", or "never" (no TTL).
std::string TtlLeft(const nlohmann::json& meta, int64_t ttl_seconds, int64_t now) {
  if (ttl_seconds <= 0) return "never";
  const int64_t left = TimeField(meta, "last_accessed") + ttl_seconds * 1'000'000'000 - now;
  return left > 0 ? HumanDuration(left) : "expired";
}

std::string Limit(const nlohmann::json& value, bool size) {
  if (!value.is_number_unsigned()) return "unlimited";
  return size ? HumanSize(value.get<uint64_t>()) : std::to_string(value.get<uint64_t>());
}

void PrintJson(const nlohmann::json& doc) { std::printf("%s\n", doc.dump(2).c_str()); }

}  // namespace

int RunStats(int argc, char** argv) {
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kStatsUsage, a)) return *exit;
  if (!a.args.positional.empty()) return UsageError("stats", "takes no arguments", kStatsUsage);
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  store::Result<nlohmann::json> stats = cache->Stats();
  if (!stats.ok()) return ReportError("stats", stats.status()), kExitFailure;
  const nlohmann::json& s = *stats;
  if (a.json) return PrintJson(s), kExitOk;
  const int64_t now = Now();
  auto row = [](const char* name, const std::string& value) {
    std::printf("%-13s %s\n", name, value.c_str());
  };
  const uint64_t size = Number(s, "total_size") + Number(s, "pending_size");
  std::string used = HumanSize(size) + " of " + Limit(s["max_size"], true);
  if (s["max_size"].is_number_unsigned() && Number(s, "max_size") > 0) {
    used += " (" + std::to_string(size * 100 / Number(s, "max_size")) + "%)";
  }
  row("cache", cache->where());
  row("entries", std::to_string(Number(s, "total_entries")) + " of " +
                     Limit(s["max_entries"], false) + ", " +
                     std::to_string(Number(s, "pending_entries")) + " pending");
  row("size", used + ", " + HumanSize(Number(s, "pending_size")) + " pending");
  const int64_t ttl = s.value("ttl_seconds", int64_t{0});
  row("ttl", ttl > 0 ? HumanDuration(ttl * 1'000'000'000) : "never");
  row("nodes", std::to_string(Number(s, "total_nodes")) + " in all");
  row("links", std::to_string(Number(s, "total_links")) + " in all");
  auto when = [&](const char* name) {
    const auto it = s.find(name);
    if (it == s.end() || !it->is_string()) return std::string("-");
    return HumanAgo(store::ParseIsoTime(it->get<std::string>()).value_or(0), now);
  };
  row("oldest", when("oldest_entry"));
  row("newest", when("newest_entry"));
  row("activity", std::to_string(Number(s, "commits")) + " committed, " +
                      std::to_string(Number(s, "rejected_commits")) + " refused, " +
                      std::to_string(Number(s, "evictions")) + " evicted, " +
                      std::to_string(Number(s, "expirations")) + " expired, " +
                      std::to_string(Number(s, "quarantined")) + " quarantined");
  if (s.contains("hits")) {
    row("served", std::to_string(Number(s, "hits")) + " hits, " +
                      std::to_string(Number(s, "misses")) + " misses, " +
                      HumanSize(Number(s, "bytes_served")) + " read");
  }
  row("held open", HumanSize(Number(s, "bytes_held_by_open_files")) + " of removed scopes");
  return kExitOk;
}

int RunLs(int argc, char** argv) {
  if (WantsSharedTier(argc, argv)) return RunSharedLs(argc, argv, kLsUsage);
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kLsUsage, a, kTierOptionsHelp)) return *exit;
  if (!a.args.positional.empty()) return UsageError("ls", "takes no arguments", kLsUsage);
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  store::Result<nlohmann::json> scopes = cache->Scopes();
  if (!scopes.ok()) return ReportError("ls", scopes.status()), kExitFailure;
  if (a.json) return PrintJson(*scopes), kExitOk;
  store::Result<nlohmann::json> stats = cache->Stats();
  if (!stats.ok()) return ReportError("ls", stats.status()), kExitFailure;
  const int64_t ttl = stats->value("ttl_seconds", int64_t{0});
  const int64_t now = Now();
  Table table({"KEY", ">SIZE", ">NODES", ">LINKS", "CREATED", "ACCESSED", "TTL LEFT"});
  for (const nlohmann::json& meta : *scopes) {
    table.Add({meta.value("scope_key", ""), HumanSize(StoredSize(meta)),
               std::to_string(Number(meta, "total_nodes")),
               std::to_string(Number(meta, "total_links")),
               HumanAgo(TimeField(meta, "created_at"), now),
               HumanAgo(TimeField(meta, "last_accessed"), now), TtlLeft(meta, ttl, now)});
  }
  table.Print(stdout);
  return kExitOk;
}

int RunInfo(int argc, char** argv) {
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kInfoUsage, a)) return *exit;
  if (a.args.positional.size() != 1) return UsageError("info", "give exactly one KEY", kInfoUsage);
  const std::string& key = a.args.positional[0];
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  store::Result<nlohmann::json> meta = cache->Info(key);
  if (!meta.ok()) return ReportError("info", meta.status()), kExitFailure;
  if (a.json) return PrintJson(*meta), kExitOk;
  store::Result<nlohmann::json> stats = cache->Stats();
  if (!stats.ok()) return ReportError("info", stats.status()), kExitFailure;
  const nlohmann::json& m = *meta;
  const int64_t now = Now();
  auto row = [](const char* name, const std::string& value) {
    std::printf("%-18s %s\n", name, value.c_str());
  };
  auto time = [&](const char* name) {
    return m.value(name, std::string("-")) + " (" + HumanAgo(TimeField(m, name), now) + ")";
  };
  row("key", key);
  row("created", time("created_at"));
  row("last accessed", time("last_accessed"));
  row("ttl left", TtlLeft(m, stats->value("ttl_seconds", int64_t{0}), now));
  row("nodes", std::to_string(Number(m, "total_nodes")));
  row("links", std::to_string(Number(m, "total_links")));
  row("stored", HumanSize(StoredSize(m)) + " (" + std::to_string(StoredSize(m)) + " bytes)");
  row("nodes.bits", std::to_string(Number(m, "nodes_file_size")) + " bytes");
  row("links.bits", std::to_string(Number(m, "links_file_size")) + " bytes");
  row("mappings.json", std::to_string(Number(m, "mappings_size")) + " bytes, " +
                           std::to_string(Number(m, "mappings_file_size")) + " stored gzip");
  row("config_attributes", m.value("config_attributes", nlohmann::json::object()).dump());
  for (const auto& [name, value] : m.items()) {
    static constexpr const char* kShown[] = {
        "scope_key",     "created_at",       "last_accessed",   "total_nodes",
        "total_links",   "nodes_file_size",  "links_file_size", "mappings_file_size",
        "mappings_size", "config_attributes"};
    if (std::find(std::begin(kShown), std::end(kShown), name) != std::end(kShown)) continue;
    row(name.c_str(), value.dump());
  }
  return kExitOk;
}

}  // namespace scopefs::tools
