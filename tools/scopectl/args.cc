#include "tools/scopectl/args.h"

#include <charconv>
#include <cmath>

namespace scopefs::tools {

std::optional<std::string_view> ParsedArgs::Get(std::string_view name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return std::string_view(it->second);
}

store::Result<ParsedArgs> ParseArgs(int argc, char** argv, std::span<const OptionSpec> specs) {
  ParsedArgs parsed;
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (options_ended || arg == "-" || !arg.starts_with("-")) {
      parsed.positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h") arg = "--help";
    if (!arg.starts_with("--"))
      return store::Status::Invalid("unknown option '" + std::string(arg) + "'");

    std::string_view name = arg.substr(2);
    std::optional<std::string_view> inline_value;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      return store::Status::Invalid("unknown option '--" + std::string(name) + "'");
    }
    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return store::Status::Invalid("option '--" + std::string(name) + "' needs a value");
      }
    } else if (inline_value) {
      return store::Status::Invalid("option '--" + std::string(name) + "' takes no value");
    }
    parsed.options.insert_or_assign(std::string(name), std::move(value));
  }
  return parsed;
}

std::optional<uint64_t> ParseUint64(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace scopefs::tools
