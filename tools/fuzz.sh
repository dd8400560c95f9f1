#!/usr/bin/env bash
# Fuzzes the store's parsers with clang's libFuzzer under ASan+UBSan.
#
#   tools/fuzz.sh [SECONDS]            build, then fuzz every target SECONDS each (default 60)
#   tools/fuzz.sh build                configure and build build-fuzz/ only
#   tools/fuzz.sh run TARGET SECONDS   fuzz one target: input_meta, mappings, gzip_reader, key,
#                                      mapping_index
#
# Seeds come from tests/fuzz/corpus/TARGET/ and the corpus grows in
# build-fuzz/corpus/TARGET/. A crash or a violated property leaves the input in
# build-fuzz/crashes/; copy it into tests/fuzz/corpus/TARGET/ and the unit tests
# (store_tests, FuzzCorpusTest) replay it from then on. Exit non-zero on a finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"
BUILD=$ROOT/build-fuzz
TARGETS=(input_meta mappings gzip_reader key mapping_index)

build() {
  command -v clang++-14 >/dev/null || { log "clang++-14 is missing (apt-get install clang-14 libclang-rt-14-dev)"; exit 1; }
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DSCOPEFS_FUZZ=ON -DSCOPEFS_SANITIZE=address,undefined \
    -DSCOPEFS_WERROR=OFF -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$BUILD" --target "${TARGETS[@]/#/fuzz_}" -j"$(nproc)"
}

run() {
  local target=$1 seconds=$2
  mkdir -p "$BUILD/corpus/$target" "$BUILD/crashes"
  local out=$BUILD/fuzz_$target.log
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$BUILD/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=16384 -print_final_stats=1 -artifact_prefix="$BUILD/crashes/$target-" \
      "$BUILD/corpus/$target" "$ROOT/tests/fuzz/corpus/$target" >"$out" 2>&1; then
    tail -40 "$out"
    log "fuzz $target: FOUND A PROBLEM; its input is in $BUILD/crashes/"
    exit 1
  fi
  local runs per_s cov
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$out")
  per_s=$(awk '/stat::average_exec_per_sec/ {print $2}' "$out")
  cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1)
  echo "fuzz $target: ${runs:-?} inputs in ${seconds} s (${per_s:-?}/s), ${cov:-cov: ?} edges, 0 findings"
}

case "${1:-60}" in
  build) build ;;
  run) run "$2" "$3" ;;
  *)
    seconds=${1:-60}
    build
    for target in "${TARGETS[@]}"; do run "$target" "$seconds"; done
    ;;
esac
