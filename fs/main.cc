// scopefs: serves a scope cache as a filesystem. See options.h and README.md.
#include <cstdio>

#include "fs/daemon.h"
#include "fs/options.h"

int main(int argc, char** argv) {
  using scopefs::fs::Action;
  auto inv = scopefs::fs::ParseCommandLine(argc, argv);
  if (!inv.ok()) {
    std::fprintf(stderr, "scopefs: %s\n\n%s", inv.status().message().c_str(), scopefs::fs::kUsage);
    return 2;
  }
  switch (inv->action) {
    case Action::kHelp: std::fputs(scopefs::fs::kUsage, stdout); return 0;
    case Action::kVersion: std::printf("scopefs %s\n", SCOPEFS_VERSION); return 0;
    case Action::kRun: break;
  }
  return scopefs::fs::RunDaemon(inv->config);
}
