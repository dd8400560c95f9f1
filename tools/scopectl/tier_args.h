// The command line of scopectl's shared-tier commands (ls, rm and gc with
// --shared): the tier options, which fill an s3::SharedTierConfig, plus
// --json and the command's own options. These commands talk to the bucket
// directly; no daemon or store is involved.
//
// Thread-safety: pure functions.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "store/s3/s3_tier.h"
#include "store/s3/tier_config.h"
#include "tools/scopectl/args.h"

namespace scopefs::tools {

// The tier options' help, for the usage text of ls, rm and gc.
extern const char kTierOptionsHelp[];

struct TierArgs {
  ParsedArgs args;  // the command's own options and its operands
  s3::SharedTierConfig config;
  bool json = false;
};

// True if argv asks for the shared tier: a "--shared" or "--shared=..." before
// any "--".
bool WantsSharedTier(int argc, char** argv);

// Parses a shared-tier command's argv with the tier options plus `own`. On
// --help prints `usage`, kTierOptionsHelp and the cache options' help to
// stdout and returns kExitOk; on a bad argument prints the error and the
// usage to stderr and returns kExitUsage; otherwise fills `out` and returns
// nullopt.
std::optional<int> ParseTierArgs(int argc, char** argv, std::span<const OptionSpec> own,
                                 const char* usage, TierArgs& out);

// Opens the tier and checks that its bucket is there (one request). On
// failure prints "scopectl CMD: <error>" to stderr and returns nullptr.
std::unique_ptr<s3::S3Tier> OpenTierOrReport(const char* command,
                                             const s3::SharedTierConfig& config);

}  // namespace scopefs::tools
