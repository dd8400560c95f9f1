// The command line every cache command shares: where the cache is (--mount or
// --store, and --ttl offline) and --json, besides the command's own options.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "tools/scopectl/args.h"
#include "tools/scopectl/cache_client.h"

namespace scopefs::tools {

// The options' help, for the end of each command's usage text.
extern const char kCacheOptionsHelp[];

struct CacheArgs {
  ParsedArgs args;  // the command's own options and its operands
  ClientOptions client;
  bool json = false;
};

// Parses a cache command's argv with the shared options plus `own`. On --help
// prints `usage`, `more_help` and kCacheOptionsHelp to stdout and returns kExitOk; on a bad
// argument prints the error and the usage to stderr and returns kExitUsage;
// otherwise fills `out` and returns nullopt.
std::optional<int> ParseCacheArgs(int argc, char** argv, std::span<const OptionSpec> own,
                                  const char* usage, CacheArgs& out, const char* more_help = "");

// Opens the cache; on failure prints "scopectl: <error>" to stderr.
std::unique_ptr<CacheClient> OpenCacheOrReport(const ClientOptions& options);

// Prints "scopectl CMD: <message>" and the usage to stderr; returns kExitUsage.
int UsageError(const char* command, const std::string& message, const char* usage);

// Prints "scopectl CMD: <status>" to stderr.
void ReportError(const char* command, const store::Status& status);

}  // namespace scopefs::tools
