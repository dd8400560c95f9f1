// scopectl import: brings the old Python cache's entries into scopefs.
#include <cstdio>

#include "store/clock.h"
#include "tools/scopectl/cache_args.h"
#include "tools/scopectl/commands.h"
#include "tools/scopectl/format.h"
#include "tools/scopectl/old_cache.h"
#include "tools/scopectl/progress.h"

namespace scopefs::tools {
namespace {

constexpr char kImportUsage[] =
    "usage: scopectl import [--mount DIR | --store DIR] [--json] OLD_CACHE_DIR\n"
    "\n"
    "Imports the cache the old Python CacheScopeManager kept in OLD_CACHE_DIR\n"
    "({key}_nodes.bits, {key}_links.bits, {key}_mappings.json.gz and\n"
    "cache_metadata.json), keeping each entry's created_at, last_accessed and\n"
    "config_attributes. Entries go in oldest access first, so if the cache's limits\n"
    "bite, the most recently used ones stay. OLD_CACHE_DIR is only read.\n"
    "\n"
    "An entry is skipped, with the reason, when its files are missing or do not\n"
    "match its metadata, when the cache refuses it (e.g. invalid mappings), or when\n"
    "its TTL has already run out; the others still import. Entries already in the\n"
    "cache are left as they are, so running it again is safe: it imports only what\n"
    "is missing. Times without a UTC offset are read as local time, as the old\n"
    "class wrote them.\n"
    "\n"
    "On a terminal a progress bar shows entries and bytes done, the rate and the\n"
    "time left; otherwise one line per entry. Exit 1 if any entry was skipped for\n"
    "a problem (expired and already-present entries are not problems).\n";

}  // namespace

int RunImport(int argc, char** argv) {
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kImportUsage, a)) return *exit;
  if (a.args.positional.size() != 1)
    return UsageError("import", "give exactly one OLD_CACHE_DIR", kImportUsage);
  const std::string& dir = a.args.positional[0];

  store::Result<std::vector<OldCacheEntry>> entries = ReadOldCache(dir);
  if (!entries.ok()) return ReportError("import", entries.status()), kExitFailure;
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  store::Result<nlohmann::json> stats = cache->Stats();
  if (!stats.ok()) return ReportError("import", stats.status()), kExitFailure;
  const int64_t ttl_ns = stats->value("ttl_seconds", int64_t{0}) * 1'000'000'000;

  uint64_t total_bytes = 0;
  for (const OldCacheEntry& e : *entries) total_bytes += e.bytes;
  nlohmann::json report = {{"imported", nlohmann::json::array()},
                           {"present", nlohmann::json::array()},
                           {"expired", nlohmann::json::array()},
                           {"skipped", nlohmann::json::array()}};
  {
    Progress progress(a.json ? stderr : stdout, stderr, entries->size(), total_bytes);
    for (const OldCacheEntry& e : *entries) {
      const std::string& key = e.source.key;
      const int64_t now = store::SystemClock()->NowNanos();
      std::string outcome, reason;
      if (!e.problem.empty()) {
        outcome = "skipped", reason = e.problem;
      } else if (ttl_ns > 0 && now - e.source.accessed_ns >= ttl_ns) {
        outcome = "expired", reason = "last accessed " + HumanAgo(e.source.accessed_ns, now) +
                                      ", ttl " + HumanDuration(ttl_ns);
      } else if (store::Status st = cache->Add(e.source); st.ok()) {
        outcome = "imported", reason = HumanSize(e.bytes);
      } else if (st.code() == store::Status::Code::kExists) {
        outcome = "present", reason = "already in the cache";
      } else {
        outcome = "skipped", reason = st.message();
      }
      report[outcome].push_back(outcome == "imported" || outcome == "present"
                                    ? nlohmann::json(key)
                                    : nlohmann::json{{"key", key}, {"reason", reason}});
      progress.Done(e.bytes, a.json ? "" : outcome + " " + key + ": " + reason);
    }
  }
  if (a.json) {
    std::printf("%s\n", report.dump(2).c_str());
  } else {
    std::printf(
        "%zu imported, %zu already present, %zu expired, %zu skipped, of %zu entries in %s\n",
        report["imported"].size(), report["present"].size(), report["expired"].size(),
        report["skipped"].size(), entries->size(), dir.c_str());
  }
  return report["skipped"].empty() ? kExitOk : kExitFailure;
}

}  // namespace scopefs::tools
