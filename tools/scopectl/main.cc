// scopectl: the command-line tool for scopefs stores, for people and scripts.
//
// main() only dispatches: global --help / --version, then the subcommand named by
// the first argument, which parses the rest itself (commands.h).
#include <cstdio>
#include <string_view>
#include <vector>

#include "store/log.h"
#include "tools/scopectl/commands.h"

namespace scopefs::tools {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

constexpr Command kCommands[] = {
    {"stats", "cache-wide figures against the limits", RunStats},
    {"ls", "list scopes, most recently used first", RunLs},
    {"info", "show one scope's metadata", RunInfo},
    {"rm", "remove scopes", RunRm},
    {"clear", "remove every scope (asks first)", RunClear},
    {"gc", "remove expired scopes and orphans now", RunGc},
    {"verify", "re-read stored bytes and check their checksums", RunVerify},
    {"import", "import the old Python cache's directory", RunImport},
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
      "'scopectl COMMAND --help' shows a command's options. Cache commands work on a\n"
      "live mount (--mount DIR, default $SCOPEFS_MOUNT or /mnt/scopes) or, with the\n"
      "daemon stopped, on its store directory (--store DIR). ls, rm and gc with\n"
      "--shared s3://BUCKET[/PREFIX] work on the shared tier instead. --json for scripts.\n"
      "Exit status: 0 success, 1 failure, 2 bad arguments.\n",
      out);
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// True for the cache and tier options a user may put before the command
// ("scopectl --mount /mnt/x ls"); *takes_value if the next argument is its value.
bool IsLeadingOption(std::string_view arg, bool* takes_value) {
  for (std::string_view name : {"--mount", "--store", "--ttl", "--shared", "--shared-endpoint",
                                "--shared-region", "--shared-credentials", "--shared-profile"}) {
    if (arg == name) return *takes_value = true;
    if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=') {
      *takes_value = false;
      return true;
    }
  }
  *takes_value = false;
  return arg == "--json";
}

int Main(int argc, char** argv) {
  store::SetLogLevel(store::LogLevel::kError);  // commands report for themselves
  // Cache options before the command move after it, where the command parses them.
  std::vector<char*> args(argv, argv + argc);
  std::vector<char*> leading;
  size_t first_command = 1;
  for (bool takes_value = false;
       first_command < args.size() && IsLeadingOption(args[first_command], &takes_value);) {
    leading.push_back(args[first_command++]);
    if (takes_value && first_command < args.size()) leading.push_back(args[first_command++]);
  }
  if (!leading.empty()) {
    args.erase(args.begin() + 1, args.begin() + static_cast<std::ptrdiff_t>(first_command));
    args.insert(args.end(), leading.begin(), leading.end());
    args.push_back(nullptr);
    argc = static_cast<int>(args.size() - 1);
    argv = args.data();
  }
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
