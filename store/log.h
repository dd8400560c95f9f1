// Logging: one line per event on stderr (the journal under systemd),
// prefixed with the program's name.
//
// Each line is written with a single write(2), so lines from concurrent
// threads never interleave. One setting: the least severe level written
// (all, by default; scopectl shows only errors, its own lines say the rest).
// Thread-safety: safe from any thread.
#pragma once

#include <string_view>

namespace scopefs::store {

enum class LogLevel { kInfo, kWarning, kError };
void SetLogLevel(LogLevel least);

void LogInfo(std::string_view message);
void LogWarning(std::string_view message);
void LogError(std::string_view message);

}  // namespace scopefs::store
