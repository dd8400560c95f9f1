#!/usr/bin/env bash
# Benchmark of many scopes through a real mount, beside a plain directory
# measured in the same run:
#   - open + read throughput: 16 reader processes, each opening and reading
#     nodes.bits and meta.json of random scopes in a loop, over 1,000 scopes
#     (opening nodes.bits is an access: the LRU update is on this path);
#   - `ls -l` of 10,000 scopes.
#
#   tools/bench_many.sh [--scopes N] [--list-scopes M] [--seconds S] [--reps R]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

scopes=1000 list_scopes=10000 seconds=5 reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --scopes) scopes=$2; shift 2 ;;
    --list-scopes) list_scopes=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: tools/bench_many.sh [--scopes N] [--list-scopes M] [--seconds S] [--reps R]" >&2; exit 2 ;;
  esac
done
bench_workspace scopefs bench_fill
mount_store() { start_scopefs "$1" "$tmp/mnt" "$tmp/daemon.log" --max-entries $((list_scopes + 1)); }

readers='
import multiprocessing, os, random, sys, time
root, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def reader(seed):
    rng = random.Random(seed)
    ops, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        d = "%s/scope-%d/" % (root, rng.randrange(n))
        for f in ("nodes.bits", "meta.json"):
            with open(d + f, "rb") as fh:
                fh.read()
            ops += 1
    return ops
with multiprocessing.Pool(16) as pool:
    print(sum(pool.map(reader, range(16))) / seconds)
'

echo "machine: $(nproc) cores, $(uname -r); $scopes scopes for reads, $list_scopes for ls; reps=$reps"
"$build/tools/bench_fill" "$tmp/store" "$scopes" 2>/dev/null
mount_store "$tmp/store"
cp -r "$tmp/mnt/." "$tmp/plain"  # the same files as a plain directory
rm -rf "$tmp/plain/.scopefs"
ours=() base=()
for r in $(seq "$reps"); do
  ours+=("$(/usr/bin/python3 -c "$readers" "$tmp/mnt" "$scopes" "$seconds")")
  base+=("$(/usr/bin/python3 -c "$readers" "$tmp/plain" "$scopes" "$seconds")")
done
o=$(printf '%s\n' "${ours[@]}" | median) b=$(printf '%s\n' "${base[@]}" | median)
printf 'open+read, 16 readers, %d scopes  %9.0f ops/s | plain directory %9.0f ops/s | %.2fx the plain rate\n' \
  "$scopes" "$o" "$b" "$(echo "$o / $b" | bc -l)"
stop_scopefs

"$build/tools/bench_fill" "$tmp/store-ls" "$list_scopes" 2>/dev/null
mount_store "$tmp/store-ls"
mkdir -p "$tmp/plain-ls"
(cd "$tmp/plain-ls" && for i in $(seq 0 $((list_scopes - 1))); do mkdir "scope-$i"; done)
ours=() base=()
for r in $(seq "$reps"); do
  t0=$(date +%s.%N); ls -l "$tmp/mnt" >/dev/null; t1=$(date +%s.%N)
  ours+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(date +%s.%N); ls -l "$tmp/plain-ls" >/dev/null; t1=$(date +%s.%N)
  base+=("$(echo "$t1 - $t0" | bc -l)")
done
o=$(printf '%s\n' "${ours[@]}" | median) b=$(printf '%s\n' "${base[@]}" | median)
printf 'ls -l of %d scopes                %9.3f s    | plain directory %9.3f s    | %.2fx\n' \
  "$list_scopes" "$o" "$b" "$(echo "$o / $b" | bc -l)"
