// scopefs daemon entry point. The mount itself is not built yet: this stub
// keeps the target, --version and --help real so scripts can depend on them.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0) {
      std::printf("scopefs 0.1.0\n");
      return 0;
    }
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: scopefs [options] STORE_DIR MOUNTPOINT\n"
                  "The mount is not implemented yet in this build.\n");
      return 0;
    }
  }
  std::fprintf(stderr, "scopefs: the mount is not implemented yet in this build\n");
  return 2;
}
