// Command-line parsing shared by scopectl's subcommands.
//
// A subcommand lists its options in a table of OptionSpec; ParseArgs accepts
// "--name VALUE", "--name=VALUE", valueless flags, "-h" as "--help", and "--" to
// end the options. It knows nothing of what values mean: commands convert them
// with ParseUint64 / ParseDouble and report their own range errors.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace scopefs::tools {

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;
};

struct ParsedArgs {
  // Option name → value ("" for a flag). A repeated option keeps its last value.
  std::map<std::string, std::string, std::less<>> options;
  std::vector<std::string> positional;

  bool Has(std::string_view name) const { return options.find(name) != options.end(); }
  // The option's value, or nullopt when it was not given.
  std::optional<std::string_view> Get(std::string_view name) const;
};

// Parses argv[1..argc); argv[0] is the command's name. Invalid on an unknown option,
// a missing value, or a value given to a flag; the message is fit to print before the
// usage text.
store::Result<ParsedArgs> ParseArgs(int argc, char** argv, std::span<const OptionSpec> specs);

// Plain decimal digits ("12"; not "-1", "+1", " 1", "0x1", "1e3"). nullopt otherwise
// or on overflow.
std::optional<uint64_t> ParseUint64(std::string_view text);

// A finite decimal number ("0.25", "1e-3"); the whole text must be the number.
std::optional<double> ParseDouble(std::string_view text);

}  // namespace scopefs::tools
