// The shell around tests that drive real tools: sh commands and Debian's python3.
//
// Thread-safety: each call forks its own processes.
#pragma once

#include <string>
#include <vector>

namespace scopefs::testing {

struct ShellResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` with /bin/sh under `timeout` (so a hang fails the test).
ShellResult Shell(const std::string& command, int timeout_s = 120);
// Runs Python code with Debian's /usr/bin/python3 (it has bitarray).
ShellResult Python(const std::string& code, const std::vector<std::string>& args = {},
                   int timeout_s = 120);
// Runs the Python script at `path` with Debian's /usr/bin/python3.
ShellResult PythonScript(const std::string& path, const std::vector<std::string>& args = {},
                         int timeout_s = 120);
// Quotes `s` for /bin/sh.
std::string Quote(const std::string& s);
// The whole file's bytes ("" if it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace scopefs::testing
