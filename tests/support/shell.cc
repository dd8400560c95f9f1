#include "tests/support/shell.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace scopefs::testing {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

ShellResult Shell(const std::string& command, int timeout_s) {
  std::string full =
      "timeout -k 5 " + std::to_string(timeout_s) + " sh -c " + Quote(command) + " 2>&1";
  ShellResult r;
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

namespace {

ShellResult RunPython(std::string command, const std::vector<std::string>& args, int timeout_s) {
  for (const std::string& a : args) command += " " + Quote(a);
  return Shell(command, timeout_s);
}

}  // namespace

ShellResult Python(const std::string& code, const std::vector<std::string>& args, int timeout_s) {
  return RunPython("/usr/bin/python3 -c " + Quote(code), args, timeout_s);
}

ShellResult PythonScript(const std::string& path, const std::vector<std::string>& args,
                         int timeout_s) {
  return RunPython("/usr/bin/python3 " + Quote(path), args, timeout_s);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace scopefs::testing
