#!/usr/bin/env bash
# Benchmarks, each figure beside a baseline measured in the same run.
#
#   tools/bench.sh [--nodes N] [--links M] [--reps R] [--chunk-kb K]
#
# Builds (Release), generates a synthetic scope with `scopectl gen` (default
# 4 M nodes / 8 M links, ~426 MB of JSON) in a temp dir, and runs bench_codec:
# compress vs gzip -6, inflate vs gzip -dc, size vs gzip -6, and a full commit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

nodes=4000000 links=8000000 reps=3 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --chunk-kb) extra+=(--chunk-kb "$2"); shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: tools/bench.sh [--nodes N] [--links M] [--reps R]" >&2; exit 2 ;;
  esac
done

install_missing_packages
build_release scopectl bench_codec
build=$BUILD_RELEASE

tmp=$(mktemp -d "${TMPDIR:-/tmp}/scopefs-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$build/tools/scopectl" gen --nodes "$nodes" --links "$links" "$tmp/scope"
echo "machine: $(nproc) cores, $(uname -r)"
"$build/tools/bench_codec" "$tmp/scope" --reps "$reps" --tmp "$tmp" "${extra[@]}"
