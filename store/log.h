// Logging: one line per event on stderr (the journal under systemd),
// prefixed with the program's name.
//
// Each line is written with a single write(2), so lines from concurrent
// threads never interleave. No state: nothing to configure or tear down.
// Thread-safety: safe from any thread.
#pragma once

#include <string_view>

namespace scopefs::store {

void LogInfo(std::string_view message);
void LogWarning(std::string_view message);
void LogError(std::string_view message);

}  // namespace scopefs::store
