// scopectl's subcommands, one function each, dispatched by main.cc.
//
// A subcommand gets argv with argv[0] set to its own name ("gen"), handles its own
// --help (usage on stdout, exit 0), and returns the process exit status: kExitOk,
// kExitFailure when it ran and failed (message on stderr naming the path and the
// error), or kExitUsage for bad arguments (message and usage on stderr).
#pragma once

namespace scopefs::tools {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// scopectl gen: writes a synthetic scope directory (see gen.cc's usage text).
int RunGen(int argc, char** argv);

// The cache commands (inspect.cc, manage.cc, import.cc; usage texts there).
int RunStats(int argc, char** argv);
int RunLs(int argc, char** argv);
int RunInfo(int argc, char** argv);
int RunRm(int argc, char** argv);
int RunClear(int argc, char** argv);
int RunGc(int argc, char** argv);
int RunVerify(int argc, char** argv);
int RunImport(int argc, char** argv);

// The --shared forms of ls, rm and gc (shared.cc), which RunLs, RunRm and RunGc
// hand their argv to; `usage` is the command's usage text.
int RunSharedLs(int argc, char** argv, const char* usage);
int RunSharedRm(int argc, char** argv, const char* usage);
int RunSharedGc(int argc, char** argv, const char* usage);

}  // namespace scopefs::tools
