// scopectl ls, rm and gc with --shared: what the shared tier holds, and
// removing from it. They talk to the bucket directly (tier_args.h).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/clock.h"
#include "store/s3/s3_error.h"
#include "store/units.h"
#include "tools/scopectl/cache_args.h"
#include "tools/scopectl/commands.h"
#include "tools/scopectl/format.h"
#include "tools/scopectl/tier_args.h"

namespace scopefs::tools {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

nlohmann::json ScopeJson(const store::SharedScope& scope) {
  nlohmann::json objects = nlohmann::json::array();
  for (const store::SharedObject& object : scope.objects) {
    objects.push_back({{"name", object.name}, {"size", object.size}, {"sha256", object.sha256}});
  }
  return {{"key", scope.key},
          {"bytes", scope.bytes},
          {"publisher", scope.publisher},
          {"published_at", store::FormatIsoTime(scope.published_ns)},
          {"published_ns", scope.published_ns},
          {"publish_id", scope.publish_id},
          {"objects", std::move(objects)}};
}

// Removes `key` from the tier; a missing one gets a message naming the tier.
store::Status RemoveFromTier(const s3::S3Tier& tier, const std::string& key) {
  store::Status st = tier.Remove(key);
  if (s3::ErrorKindOf(st) == s3::S3ErrorKind::kNotFound) {
    return store::Status::NotFound("no scope " + key + " in " + tier.url());
  }
  return st;
}

// The tier's listing; a manifest it could not read is one warning line
// each (the rest are listed all the same).
store::Result<std::vector<store::SharedScope>> ListTier(const char* command,
                                                        const s3::S3Tier& tier) {
  ASSIGN_OR_RETURN(store::SharedListing listing, tier.List());
  for (const store::Status& skipped : listing.unreadable) {
    std::fprintf(stderr, "scopectl %s: skipped an unreadable manifest: %s\n", command,
                 skipped.message().c_str());
  }
  return std::move(listing.scopes);
}

}  // namespace

int RunSharedLs(int argc, char** argv, const char* usage) {
  TierArgs a;
  if (auto exit = ParseTierArgs(argc, argv, {}, usage, a)) return *exit;
  if (!a.args.positional.empty()) return UsageError("ls", "takes no arguments", usage);
  std::unique_ptr<s3::S3Tier> tier = OpenTierOrReport("ls", a.config);
  if (!tier) return kExitFailure;
  store::Result<std::vector<store::SharedScope>> scopes = ListTier("ls", *tier);
  if (!scopes.ok()) return ReportError("ls", scopes.status().Annotate(tier->url())), kExitFailure;
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const store::SharedScope& scope : *scopes) out.push_back(ScopeJson(scope));
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  const int64_t now = store::SystemClock()->NowNanos();
  Table table({"KEY", ">SIZE", ">OBJECTS", "PUBLISHED", "PUBLISHER"});
  for (const store::SharedScope& scope : *scopes) {
    table.Add({scope.key, HumanSize(scope.bytes), std::to_string(scope.objects.size()),
               HumanAgo(scope.published_ns, now), scope.publisher});
  }
  table.Print(stdout);
  return kExitOk;
}

int RunSharedRm(int argc, char** argv, const char* usage) {
  TierArgs a;
  if (auto exit = ParseTierArgs(argc, argv, {}, usage, a)) return *exit;
  if (a.args.positional.empty()) return UsageError("rm", "give at least one KEY", usage);
  std::unique_ptr<s3::S3Tier> tier = OpenTierOrReport("rm", a.config);
  if (!tier) return kExitFailure;
  nlohmann::json results = nlohmann::json::array();
  int exit = kExitOk;
  for (const std::string& key : a.args.positional) {
    const store::Status st = RemoveFromTier(*tier, key);
    if (!st.ok()) exit = kExitFailure;
    if (a.json) {
      results.push_back(
          st.ok() ? nlohmann::json{{"key", key}, {"status", "removed"}}
                  : nlohmann::json{{"key", key}, {"status", "error"}, {"error", st.message()}});
    } else if (st.ok()) {
      std::printf("removed %s from %s\n", key.c_str(), tier->url().c_str());
      std::fflush(stdout);
    } else {
      ReportError("rm", st);
    }
  }
  if (a.json) std::printf("%s\n", results.dump(2).c_str());
  return exit;
}

int RunSharedGc(int argc, char** argv, const char* usage) {
  static constexpr OptionSpec kOwn[] = {{"older-than", true}, {"dry-run", false}};
  TierArgs a;
  if (auto exit = ParseTierArgs(argc, argv, kOwn, usage, a)) return *exit;
  if (!a.args.positional.empty()) return UsageError("gc", "takes no arguments", usage);
  const std::optional<std::string_view> older_than = a.args.Get("older-than");
  if (!older_than) return UsageError("gc", "--shared needs --older-than D (7d, 12h, 30m)", usage);
  store::Result<int64_t> seconds = store::ParseDuration(std::string(*older_than));
  if (!seconds.ok()) return UsageError("gc", "--older-than: " + seconds.status().message(), usage);
  if (*seconds == 0) {
    return UsageError("gc", "--older-than 0 would remove every scope; rm --shared KEY... does that",
                      usage);
  }
  if (*seconds > INT64_MAX / kNsPerSecond) {
    return UsageError("gc", "--older-than " + std::string(*older_than) + " is too long", usage);
  }
  const bool dry_run = a.args.Has("dry-run");
  std::unique_ptr<s3::S3Tier> tier = OpenTierOrReport("gc", a.config);
  if (!tier) return kExitFailure;
  store::Result<std::vector<store::SharedScope>> scopes = ListTier("gc", *tier);
  if (!scopes.ok()) return ReportError("gc", scopes.status().Annotate(tier->url())), kExitFailure;

  const int64_t now = store::SystemClock()->NowNanos();
  const int64_t cutoff = now - *seconds * kNsPerSecond;
  nlohmann::json results = nlohmann::json::array();
  size_t removed = 0, kept = 0, failed = 0;
  uint64_t bytes = 0;
  for (const store::SharedScope& scope : *scopes) {
    if (scope.published_ns >= cutoff) {
      ++kept;
      continue;
    }
    store::Status st = dry_run ? store::Status::Ok() : RemoveFromTier(*tier, scope.key);
    // Removed by someone else since the listing: gone, as wanted.
    if (st.code() == store::Status::Code::kNotFound) st = store::Status::Ok();
    const std::string what = scope.key + " (" + HumanSize(scope.bytes) + ", published " +
                             HumanAgo(scope.published_ns, now) + " by " + scope.publisher + ")";
    nlohmann::json line = ScopeJson(scope);
    line.erase("objects");
    if (st.ok()) {
      ++removed;
      bytes += scope.bytes;
      line["status"] = dry_run ? "would remove" : "removed";
      if (!a.json) std::printf("%s %s\n", dry_run ? "would remove" : "removed", what.c_str());
    } else {
      ++failed;
      line["status"] = "error";
      line["error"] = st.message();
      if (!a.json) ReportError("gc", st);
    }
    if (!a.json) std::fflush(stdout);
    results.push_back(std::move(line));
  }
  if (a.json) {
    std::printf("%s\n", nlohmann::json{{"dry_run", dry_run},
                                       {"removed", removed},
                                       {"bytes", bytes},
                                       {"kept", kept},
                                       {"failed", failed},
                                       {"scopes", std::move(results)}}
                            .dump(2)
                            .c_str());
  } else {
    std::printf("%s %zu scopes (%s) published more than %s ago from %s; kept %zu\n",
                dry_run ? "would remove" : "removed", removed, HumanSize(bytes).c_str(),
                HumanDuration(*seconds * kNsPerSecond).c_str(), tier->url().c_str(), kept);
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace scopefs::tools
