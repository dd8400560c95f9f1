#include "store/log.h"

#include <errno.h>  // program_invocation_short_name
#include <unistd.h>

#include <atomic>
#include <string>

namespace scopefs::store {
namespace {

std::atomic<LogLevel> least_level{LogLevel::kInfo};

void Write(LogLevel severity, std::string_view level, std::string_view message) {
  if (severity < least_level.load(std::memory_order_relaxed)) return;
  std::string line = program_invocation_short_name;  // scopefs, or scopectl
  line += ": ";
  line += level;
  line += message;
  line += '\n';
  // Best effort: there is nowhere else to report a failed log write.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

void SetLogLevel(LogLevel least) { least_level.store(least, std::memory_order_relaxed); }

void LogInfo(std::string_view message) { Write(LogLevel::kInfo, "", message); }
void LogWarning(std::string_view message) { Write(LogLevel::kWarning, "warning: ", message); }
void LogError(std::string_view message) { Write(LogLevel::kError, "error: ", message); }

}  // namespace scopefs::store
