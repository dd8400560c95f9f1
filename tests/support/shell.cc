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
  std::string full = "timeout -k 5 " + std::to_string(timeout_s) + " sh -c " + Quote(command) + " 2>&1";
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

ShellResult Python(const std::string& script, const std::vector<std::string>& args, int timeout_s) {
  std::string cmd = "/usr/bin/python3 -c " + Quote(script);
  for (const std::string& a : args) cmd += " " + Quote(a);
  return Shell(cmd, timeout_s);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace scopefs::testing
