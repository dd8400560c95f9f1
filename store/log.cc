#include "store/log.h"

#include <errno.h>  // program_invocation_short_name
#include <unistd.h>

#include <string>

namespace scopefs::store {
namespace {

void Write(std::string_view level, std::string_view message) {
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

void LogInfo(std::string_view message) { Write("", message); }
void LogWarning(std::string_view message) { Write("warning: ", message); }
void LogError(std::string_view message) { Write("error: ", message); }

}  // namespace scopefs::store
