#!/usr/bin/env bash
# The index files through a real mount (issue 14), each figure beside a
# baseline from the same run.
#
#   tools/bench_index_mount.sh [--nodes N] [--links M] [--reps R]
#
# On a `scopectl gen` scope (default 4 M nodes / 8 M links), as root:
#   cp -r into a mount with -o index=commit  vs  the same into one with index=off,
#     alternating rep by rep (the commit time the index adds), and each
#     daemon's peak RSS
#   stored index bytes                        vs  the raw mappings.json
#   tools/bench_python.py on the mounted scope: open_scope to the first lookup,
#     one lookup, get_many of 1 M ids, ids_of, anonymous RSS, against json.load
#     of the mounted mappings.json
#   the old class's way, json.load(gzip.open(...)) of a local .gz, once
# Times are medians of R reps (json loads: one rep, they are long).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

nodes=4000000 links=8000000 reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: tools/bench_index_mount.sh [--nodes N] [--links M] [--reps R]" >&2; exit 2 ;;
  esac
done
bench_workspace scopefs scopectl
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
now() { date +%s.%N; }
seconds() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc -l; }
row() { # row LABEL OURS BASE BASELABEL UNIT
  printf '%-34s %10.2f %s | %-28s %10.2f %s | %5.2fx\n' "$1" "$2" "$5" "$4" "$3" "$5" \
    "$(echo "$2 / $3" | bc -l)"
}
peak_rss_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SCOPEFS_PID/status"; }

"$build/tools/scopectl" gen --quiet --nodes "$nodes" --links "$links" "$tmp/src"
gzip -6 -c "$tmp/src/mappings.json" >"$tmp/old-cache.json.gz"
echo "machine: $(nproc) cores, $(uname -r); ${nodes} nodes / ${links} links; reps=$reps"

# --- The commit's cost: index=off and index=commit alternate, rep by rep (which
# goes first alternates too), each on a daemon of its own started for the rep:
# this machine's speed drifts over minutes, and a drift must not favor one side.
with=() without=() rss_off=0 rss_commit=0
copy_once() { # copy_once MODE REP: one timed cp -r into a fresh daemon of MODE
  local mode=$1 r=$2 t rss
  start_scopefs "$tmp/store-$mode" "$tmp/mnt-$mode" "$tmp/daemon-$mode.log" -o "index=$mode"
  drop_caches
  t=$(seconds cp -r "$tmp/src" "$tmp/mnt-$mode/k$r")
  rss=$(peak_rss_mb)
  stop_scopefs
  if [ "$mode" = commit ]; then
    with+=("$t")
    if [ "$rss" -gt "$rss_commit" ]; then rss_commit=$rss; fi
  else
    without+=("$t")
    if [ "$rss" -gt "$rss_off" ]; then rss_off=$rss; fi
  fi
}
for r in $(seq "$reps"); do
  if [ $((r % 2)) -eq 1 ]; then order="off commit"; else order="commit off"; fi
  for mode in $order; do copy_once "$mode" "$r"; done
done
start_scopefs "$tmp/store-commit" "$tmp/mnt-commit" "$tmp/daemon-commit.log" -o index=commit
mnt=$tmp/mnt-commit
with_s=$(printf '%s\n' "${with[@]}" | median)
without_s=$(printf '%s\n' "${without[@]}" | median)
row "cp -r, index=commit" "$with_s" "$without_s" "cp -r, index=off" s
echo "  the index adds $(echo "($with_s - $without_s) * 100 / $with_s" | bc -l | xargs printf '%.0f')% of the commit"
row "daemon peak RSS, index=commit" "$rss_commit" "$rss_off" "index=off" MiB
idx=$(($(stat -c %s "$mnt/k1/nodes.idx") + $(stat -c %s "$mnt/k1/links.idx")))
row "nodes.idx + links.idx" "$((idx >> 20))" "$(($(stat -c %s "$tmp/src/mappings.json") >> 20))" \
  "raw mappings.json" MiB

# --- Python, on the mounted scope, against json.load.
drop_caches
/usr/bin/python3 "$ROOT/tools/bench_python.py" "$mnt/k1" --reps 5 --json-reps 1
old=$(/usr/bin/python3 -c '
import gzip, json, sys, time
t = time.perf_counter(); json.load(gzip.open(sys.argv[1])); print(time.perf_counter() - t)' \
  "$tmp/old-cache.json.gz")
printf 'the old way, json.load(gzip.open(local .gz)): %.2f s\n' "$old"
stop_scopefs
