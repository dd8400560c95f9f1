#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors, and runs every test.
#
#   tools/test.sh            the normal build: unit, mount and shared tests (the
#                            shared ones against a real radosgw, tools/radosgw.sh)
#   tools/test.sh --asan     the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   tools/test.sh --tsan     the same under ThreadSanitizer
#   tools/test.sh --thread-safety
#                            clang-14 with -Wthread-safety as errors (the lock
#                            annotations of store/mutex.h): builds the libraries
#                            and the store unit tests, and runs those tests
#   tools/test.sh --soak     the long tier: the mount smoke tests with the daemon under
#                            valgrind, 1,000 kill -9 iterations, 30 minutes of churn (RSS
#                            and fd growth checked), 10 minutes per fuzz target
#   tools/test.sh -L unit    extra arguments go to ctest (here: only the unit tests)
#
# Exits non-zero if anything fails to build or any test fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

build_dir=$ROOT/build
cmake_args=(-DSCOPEFS_SANITIZE= -DSCOPEFS_SOAK=OFF -DSCOPEFS_FUZZ_SECONDS=60)
soak=
case "${1:-}" in
  --asan) build_dir=$ROOT/build-asan; cmake_args=(-DSCOPEFS_SANITIZE=address,undefined -DSCOPEFS_SOAK=OFF); shift ;;
  --tsan) build_dir=$ROOT/build-tsan; cmake_args=(-DSCOPEFS_SANITIZE=thread -DSCOPEFS_SOAK=OFF); shift ;;
  --thread-safety)
    # The compiler checks the locking; the unit tests of the code it checked run
    # as a sanity check (the other suites add nothing a GCC build does not).
    install_missing_packages
    build_dir=$ROOT/build-tsa
    CC=clang-14 CXX=clang++-14 configure "$build_dir" -DSCOPEFS_THREAD_SAFETY=ON \
      -DSCOPEFS_SANITIZE= -DSCOPEFS_SOAK=OFF -DSCOPEFS_FUZZ_SECONDS=0
    cmake --build "$build_dir" -j"$(nproc)" --target scopefs_store scopefs_fs store_tests
    exec "$build_dir/tests/store_tests"
    ;;
  --soak)
    soak=1
    cmake_args=(-DSCOPEFS_SANITIZE= -DSCOPEFS_SOAK=ON -DSCOPEFS_FUZZ_SECONDS=600)
    export SCOPEFS_KILL_ITERATIONS=1000 SCOPEFS_CHURN_SECONDS=1800
    shift
    ;;
esac

install_missing_packages "${SCOPEFS_PACKAGES[@]}" "${SCOPEFS_S3_TEST_PACKAGES[@]}"
configure "$build_dir" "${cmake_args[@]}"
cmake --build "$build_dir" -j"$(nproc)"

# Sanitizers fail loudly; the daemons the mount tests start inherit these.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tools/tsan.supp}

cd "$build_dir"
if [ -n "$soak" ]; then
  # The mount smoke tests with the daemon under valgrind (any error fails its
  # exit status), then the tests the long tier lengthens, one at a time.
  SCOPEFS_DAEMON_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
    ctest --output-on-failure -R '^MountTest\.' "$@"
  exec ctest --output-on-failure -R 'KillTest|LoadTest|Fuzz' "$@"
fi
# The shared tests' radosgw is a CTest fixture (tests/CMakeLists.txt): it stops
# after its last test, and within a second if ctest dies. This stops it too
# when test.sh ends in any other way (Ctrl-C, TERM, a failure).
trap 'status=$?; "$ROOT/tools/radosgw.sh" stop "$build_dir/radosgw"; exit "$status"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# Every test has its own timeout (tests/CMakeLists.txt); this bounds the whole run.
ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@"
