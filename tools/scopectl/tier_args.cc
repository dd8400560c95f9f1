#include "tools/scopectl/tier_args.h"

#include <cstdio>
#include <string_view>
#include <vector>

#include "store/s3/s3_error.h"
#include "tools/scopectl/cache_args.h"
#include "tools/scopectl/commands.h"

namespace scopefs::tools {

const char kTierOptionsHelp[] =
    "\n"
    "the shared tier (with --shared; no daemon or store is needed):\n"
    "  --shared s3://BUCKET[/PREFIX]   the tier, as the daemon's --shared names it\n"
    "  --shared-endpoint URL   http(s)://HOST[:PORT] of an S3 server other than AWS\n"
    "  --shared-region R       the bucket's region (default us-east-1)\n"
    "  --shared-credentials FILE   an AWS credentials file (mode 600); without it the\n"
    "                          keys come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\n"
    "                          and AWS_SESSION_TOKEN\n"
    "  --shared-profile NAME   the file's profile (default $AWS_PROFILE, else default)\n";

namespace {

constexpr OptionSpec kTierOptions[] = {
    {"shared", true},         {"shared-endpoint", true},
    {"shared-region", true},  {"shared-credentials", true},
    {"shared-profile", true}, {"json", false},
    {"help", false},
};

}  // namespace

bool WantsSharedTier(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--shared" || arg.starts_with("--shared=")) return true;
  }
  return false;
}

std::optional<int> ParseTierArgs(int argc, char** argv, std::span<const OptionSpec> own,
                                 const char* usage, TierArgs& out) {
  std::vector<OptionSpec> specs(std::begin(kTierOptions), std::end(kTierOptions));
  specs.insert(specs.end(), own.begin(), own.end());
  store::Result<ParsedArgs> parsed = ParseArgs(argc, argv, specs);
  if (!parsed.ok()) return UsageError(argv[0], parsed.status().message(), usage);
  if (parsed->Has("help")) {
    std::printf("%s%s%s", usage, kTierOptionsHelp, kCacheOptionsHelp);
    return kExitOk;
  }
  auto set = [&](const char* name, std::string& field) {
    if (auto value = parsed->Get(name)) field = std::string(*value);
  };
  set("shared", out.config.url);
  set("shared-endpoint", out.config.endpoint);
  set("shared-region", out.config.region);
  set("shared-credentials", out.config.credentials_file);
  set("shared-profile", out.config.profile);
  if (out.config.url.empty())
    return UsageError(argv[0], "--shared needs s3://BUCKET[/PREFIX]", usage);
  if (store::Result<s3::SharedTierUrl> url = s3::ParseSharedTierUrl(out.config.url); !url.ok()) {
    return UsageError(argv[0], url.status().message(), usage);
  }
  out.json = parsed->Has("json");
  out.args = std::move(parsed).value();
  return std::nullopt;
}

std::unique_ptr<s3::S3Tier> OpenTierOrReport(const char* command,
                                             const s3::SharedTierConfig& config) {
  store::Result<std::unique_ptr<s3::S3Tier>> tier = s3::OpenSharedTier(config);
  if (!tier.ok()) {
    ReportError(command, tier.status());
    return nullptr;
  }
  const store::Status probe = (*tier)->Probe();
  if (probe.ok()) return std::move(tier).value();
  const std::string server =
      config.endpoint.empty() ? "AWS S3 (" + config.region + ")" : config.endpoint;
  if (s3::ErrorKindOf(probe) == s3::S3ErrorKind::kNotFound) {
    ReportError(command, store::Status::NotFound("bucket " + (*tier)->client().bucket() +
                                                 " does not exist on " + server + " (--shared " +
                                                 (*tier)->url() + ")"));
  } else if (s3::ErrorKindOf(probe) == s3::S3ErrorKind::kDenied) {
    ReportError(command, probe.Annotate((*tier)->url() + " on " + server +
                                        ": the credentials were refused (check the keys, "
                                        "their right to the bucket, and this host's clock)"));
  } else {
    ReportError(command, probe.Annotate((*tier)->url() + " on " + server));
  }
  return nullptr;
}

}  // namespace scopefs::tools
