// scopectl: the command-line tool for scopefs stores, for people and scripts.
//
// main() only dispatches: global --help / --version, then the subcommand named by
// the first argument, which parses the rest itself (commands.h).
#include <cstdio>
#include <string_view>

#include "tools/scopectl/commands.h"

namespace scopefs::tools {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

constexpr Command kCommands[] = {
    {"gen", "write a synthetic scope directory, for tests and benchmarks", RunGen},
};

void PrintUsage(std::FILE* out) {
  std::fputs(
      "usage: scopectl [--help] [--version] COMMAND [ARGS...]\n"
      "\n"
      "commands:\n",
      out);
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-8.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fputs(
      "  help     show a command's help: scopectl help COMMAND\n"
      "\n"
      "'scopectl COMMAND --help' shows a command's options.\n",
      out);
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  std::string_view first = argv[1];
  if (first == "--help" || first == "-h") {
    PrintUsage(stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::printf("scopectl %s\n", SCOPEFS_VERSION);
    return kExitOk;
  }
  if (first == "help") {
    if (argc == 2) {
      PrintUsage(stdout);
      return kExitOk;
    }
    const Command* command = FindCommand(argv[2]);
    if (command == nullptr) {
      std::fprintf(stderr, "scopectl: unknown command '%s'\n\n", argv[2]);
      PrintUsage(stderr);
      return kExitUsage;
    }
    char help_flag[] = "--help";
    char* help_argv[] = {argv[2], help_flag, nullptr};
    return command->run(2, help_argv);
  }
  const Command* command = FindCommand(first);
  if (command == nullptr) {
    std::fprintf(stderr, "scopectl: unknown %s '%s'\n\n",
                 first.starts_with("-") ? "option" : "command", argv[1]);
    PrintUsage(stderr);
    return kExitUsage;
  }
  return command->run(argc - 1, argv + 1);
}

}  // namespace
}  // namespace scopefs::tools

int main(int argc, char** argv) { return scopefs::tools::Main(argc, argv); }
