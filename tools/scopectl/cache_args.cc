#include "tools/scopectl/cache_args.h"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "store/units.h"
#include "tools/scopectl/commands.h"

namespace scopefs::tools {

const char kCacheOptionsHelp[] =
    "\n"
    "where the cache is:\n"
    "  --mount DIR    a live scopefs mount (default: $SCOPEFS_MOUNT, else /mnt/scopes)\n"
    "  --store DIR    a store directory, with its daemon stopped (scopectl takes the\n"
    "                 store's lock; it refuses while a scopefs serves the store)\n"
    "  --ttl D        with --store: what counts as expired (default 24h; 0: never)\n"
    "output:\n"
    "  --json         machine-readable JSON on stdout\n"
    "  -h, --help     show this help\n"
    "\n"
    "exit status: 0 success, 1 failure (message on stderr), 2 bad arguments.\n";

namespace {

constexpr OptionSpec kShared[] = {
    {"mount", true}, {"store", true}, {"ttl", true}, {"json", false}, {"help", false},
};

}  // namespace

std::optional<int> ParseCacheArgs(int argc, char** argv, std::span<const OptionSpec> own,
                                  const char* usage, CacheArgs& out, const char* more_help) {
  std::vector<OptionSpec> specs(std::begin(kShared), std::end(kShared));
  specs.insert(specs.end(), own.begin(), own.end());
  auto fail = [&](const std::string& message) { return UsageError(argv[0], message, usage); };
  store::Result<ParsedArgs> parsed = ParseArgs(argc, argv, specs);
  if (!parsed.ok()) return fail(parsed.status().message());
  if (parsed->Has("help")) {
    std::printf("%s%s%s", usage, more_help, kCacheOptionsHelp);
    return kExitOk;
  }
  if (parsed->Has("mount") && parsed->Has("store"))
    return fail("give --mount or --store, not both");
  if (auto mount = parsed->Get("mount")) out.client.mount = std::string(*mount);
  if (auto store = parsed->Get("store")) out.client.store = std::string(*store);
  if (auto ttl = parsed->Get("ttl")) {
    if (!out.client.store) return fail("--ttl is for --store; a mount uses its daemon's ttl");
    store::Result<int64_t> seconds = store::ParseDuration(std::string(*ttl));
    if (!seconds.ok()) return fail(seconds.status().message());
    if (*seconds > INT64_MAX / 1'000'000'000)
      return fail("--ttl " + std::string(*ttl) + " is too long");
    out.client.ttl_ns = *seconds * 1'000'000'000;
  }
  out.json = parsed->Has("json");
  out.args = std::move(parsed).value();
  return std::nullopt;
}

std::unique_ptr<CacheClient> OpenCacheOrReport(const ClientOptions& options) {
  store::Result<std::unique_ptr<CacheClient>> client = OpenCacheClient(options);
  if (!client.ok()) {
    std::fprintf(stderr, "scopectl: %s\n", client.status().message().c_str());
    return nullptr;
  }
  return std::move(client).value();
}

int UsageError(const char* command, const std::string& message, const char* usage) {
  std::fprintf(stderr, "scopectl %s: %s\n\n%s", command, message.c_str(), usage);
  return kExitUsage;
}

void ReportError(const char* command, const store::Status& status) {
  std::fprintf(stderr, "scopectl %s: %s\n", command, status.message().c_str());
}

}  // namespace scopefs::tools
