// scopectl rm, clear, gc, verify: changing and checking what is in the cache.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <string>

#include "tools/scopectl/cache_args.h"
#include "tools/scopectl/commands.h"
#include "tools/scopectl/format.h"
#include "tools/scopectl/tier_args.h"

namespace scopefs::tools {
namespace {

constexpr char kRmUsage[] =
    "usage: scopectl rm [--mount DIR | --store DIR] [--json] KEY...\n"
    "       scopectl rm --shared s3://BUCKET[/PREFIX] [tier options] [--json] KEY...\n"
    "\n"
    "Removes scopes. Readers that have a file of one open keep reading it; its space\n"
    "is reclaimed when the last of them closes. Exit 1 if any KEY could not be removed\n"
    "(every other KEY still is).\n"
    "\n"
    "With --shared, removes them from the shared tier: the manifest first, so no host\n"
    "fetches the scope after, then its objects. Hosts that already have a copy keep it.\n";

constexpr char kClearUsage[] =
    "usage: scopectl clear [--mount DIR | --store DIR] [--json] [--yes]\n"
    "\n"
    "Removes every committed scope. Asks first, on the terminal or stdin, unless\n"
    "--yes is given. Pending scopes (being written) are left alone.\n"
    "\n"
    "  --yes          do not ask\n";

constexpr char kGcUsage[] =
    "usage: scopectl gc [--mount DIR | --store DIR] [--json]\n"
    "       scopectl gc --shared s3://BUCKET[/PREFIX] [tier options] --older-than D\n"
    "                   [--dry-run] [--json]\n"
    "\n"
    "Runs a maintenance pass now instead of waiting for the next one: removes\n"
    "expired scopes, pending scopes idle past pending_timeout, and orphaned\n"
    "directories in the store. Through a mount this needs root.\n"
    "\n"
    "With --shared, removes from the shared tier every scope published more than D\n"
    "ago (30m, 12h, 7d), manifest first, and lists each one.\n"
    "  --older-than D  the age past which a published scope goes\n"
    "  --dry-run       list what would be removed, remove nothing\n";

constexpr char kVerifyUsage[] =
    "usage: scopectl verify [--mount DIR | --store DIR] [--json] [KEY...]\n"
    "\n"
    "Re-reads every stored byte of the given scopes (default: all) and checks them\n"
    "against their checksums: the record, both bits files' CRC-32, the .gz file's\n"
    "CRC-32, and every gzip member's own CRC and length. Then it checks the index\n"
    "files (nodes.idx, links.idx) against the mappings: it rebuilds them from the\n"
    "stored mappings, in bounded memory with scratch files in the store, and\n"
    "compares them byte for byte (a scope without index files skips this). A\n"
    "damaged scope is quarantined (removed from the cache, and logged by the\n"
    "daemon) and listed. Through a mount this needs root. Exit 1 if any scope is\n"
    "damaged or missing.\n";

// Asks on stderr, reads the answer from stdin: only "y" or "yes" is yes.
bool Confirm(const std::string& question) {
  std::fprintf(stderr, "%s [y/N] ", question.c_str());
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

// Removes `keys`, one line each; exit status 1 if any failed.
int RemoveKeys(CacheClient& cache, const std::vector<std::string>& keys, bool json,
               const char* command) {
  nlohmann::json results = nlohmann::json::array();
  int exit = kExitOk;
  for (const std::string& key : keys) {
    store::Status st = cache.Remove(key);
    if (!st.ok()) exit = kExitFailure;
    if (json) {
      results.push_back(
          st.ok() ? nlohmann::json{{"key", key}, {"status", "removed"}}
                  : nlohmann::json{{"key", key}, {"status", "error"}, {"error", st.message()}});
    } else if (st.ok()) {
      std::printf("removed %s\n", key.c_str());
    } else {
      ReportError(command, st);
    }
  }
  if (json) std::printf("%s\n", results.dump(2).c_str());
  return exit;
}

}  // namespace

int RunRm(int argc, char** argv) {
  if (WantsSharedTier(argc, argv)) return RunSharedRm(argc, argv, kRmUsage);
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kRmUsage, a, kTierOptionsHelp)) return *exit;
  if (a.args.positional.empty()) return UsageError("rm", "give at least one KEY", kRmUsage);
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  return RemoveKeys(*cache, a.args.positional, a.json, "rm");
}

int RunClear(int argc, char** argv) {
  static constexpr OptionSpec kOwn[] = {{"yes", false}};
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, kOwn, kClearUsage, a)) return *exit;
  if (!a.args.positional.empty()) return UsageError("clear", "takes no KEY; use rm", kClearUsage);
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  store::Result<nlohmann::json> scopes = cache->Scopes();
  if (!scopes.ok()) return ReportError("clear", scopes.status()), kExitFailure;
  std::vector<std::string> keys;
  uint64_t bytes = 0;
  for (const nlohmann::json& meta : *scopes) {
    keys.push_back(meta.value("scope_key", ""));
    for (const char* f : {"nodes_file_size", "links_file_size", "mappings_file_size"}) {
      bytes += meta.value(f, uint64_t{0});
    }
  }
  if (keys.empty()) {
    std::fputs(a.json ? "[]\n" : "the cache is empty\n", stdout);
    return kExitOk;
  }
  if (!a.args.Has("yes") && !Confirm("Remove all " + std::to_string(keys.size()) + " scopes (" +
                                     HumanSize(bytes) + ") from " + cache->where() + "?")) {
    std::fprintf(stderr, "scopectl clear: nothing removed\n");
    return kExitFailure;
  }
  return RemoveKeys(*cache, keys, a.json, "clear");
}

int RunGc(int argc, char** argv) {
  if (WantsSharedTier(argc, argv)) return RunSharedGc(argc, argv, kGcUsage);
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kGcUsage, a, kTierOptionsHelp)) return *exit;
  if (!a.args.positional.empty()) return UsageError("gc", "takes no arguments", kGcUsage);
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  store::Result<store::GarbageReport> r = cache->CollectGarbage();
  if (!r.ok()) return ReportError("gc", r.status()), kExitFailure;
  if (a.json) {
    nlohmann::json out = {
        {"expired", r->expired}, {"pending_dropped", r->pending_dropped}, {"orphans", r->orphans}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("removed %llu expired scopes, %llu idle pending scopes, %llu orphans\n",
                static_cast<unsigned long long>(r->expired),
                static_cast<unsigned long long>(r->pending_dropped),
                static_cast<unsigned long long>(r->orphans));
  }
  return kExitOk;
}

int RunVerify(int argc, char** argv) {
  CacheArgs a;
  if (auto exit = ParseCacheArgs(argc, argv, {}, kVerifyUsage, a)) return *exit;
  std::unique_ptr<CacheClient> cache = OpenCacheOrReport(a.client);
  if (!cache) return kExitFailure;
  std::vector<std::string> keys = a.args.positional;
  if (keys.empty()) {
    store::Result<nlohmann::json> scopes = cache->Scopes();
    if (!scopes.ok()) return ReportError("verify", scopes.status()), kExitFailure;
    for (const nlohmann::json& meta : *scopes) keys.push_back(meta.value("scope_key", ""));
  }
  // Scopes damaged so badly that opening the store dropped them count too.
  std::map<std::string, store::Status> dropped;
  for (auto& [key, why] : cache->DroppedAtOpen())
    dropped[key] = store::Status::Corruption("dropped when the store was opened: " + why.message());
  if (a.args.positional.empty()) {
    for (const auto& [key, why] : dropped) keys.push_back(key);
  }
  nlohmann::json results = nlohmann::json::array();
  std::vector<std::string> bad;
  for (const std::string& key : keys) {
    const auto was_dropped = dropped.find(key);
    const store::Status st =
        was_dropped != dropped.end() ? was_dropped->second : cache->Verify(key);
    const char* verdict = st.ok()                                         ? "ok"
                          : st.code() == store::Status::Code::kCorruption ? "corrupt"
                          : st.code() == store::Status::Code::kNotFound   ? "missing"
                                                                          : "error";
    if (!st.ok()) bad.push_back(key + ": " + verdict + ": " + st.message());
    if (a.json) {
      nlohmann::json line = {{"key", key}, {"status", verdict}};
      if (!st.ok()) line["error"] = st.message();
      results.push_back(std::move(line));
    } else {
      std::printf("%-8s %s%s%s\n", verdict, key.c_str(), st.ok() ? "" : ": ",
                  st.ok() ? "" : st.message().c_str());
      std::fflush(stdout);
    }
  }
  if (a.json) {
    std::printf("%s\n", results.dump(2).c_str());
  } else {
    std::printf("verified %zu scopes: %zu ok, %zu damaged or missing\n", keys.size(),
                keys.size() - bad.size(), bad.size());
  }
  if (!bad.empty() && !a.json) {
    std::fprintf(stderr,
                 "scopectl verify: %zu of %zu scopes failed (damaged ones are quarantined):\n",
                 bad.size(), keys.size());
    for (const std::string& line : bad) std::fprintf(stderr, "  %s\n", line.c_str());
  }
  return bad.empty() ? kExitOk : kExitFailure;
}

}  // namespace scopefs::tools
