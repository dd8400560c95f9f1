#!/usr/bin/env bash
# Benchmark through a real mount, each figure beside a baseline from the same run.
#
#   tools/bench_mount.sh [--nodes N] [--links M] [--reps R] [--read-ahead-kb K]
#
# On a `scopectl gen` scope (default 4 M nodes / 8 M links), as root:
#   cp -r into the mount        vs  cp -r to a local dir + gzip -6 of mappings.json
#   the last close() of a copy  vs  the whole copy (the commit's share)
#   stored mappings size        vs  gzip -6 of mappings.json
#   cold cat of each file       vs  cat of the stored file (bits) / gzip -dc (mappings)
#   warm cat of each file       vs  cat of a plain local copy
#   Python full load            vs  the old way: bitarray + json.load(gzip.open(...))
#   1,000 random 4 KiB preads   vs  the same on a plain uncompressed copy (both cold)
#   the daemon's peak RSS
# "Cold" drops the page cache (and restarts the daemon, emptying its member
# cache). Times are medians of R reps (Python loads: one rep each, they are long).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

nodes=4000000 links=8000000 reps=3 ra=1024
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --read-ahead-kb) ra=$2; shift 2 ;;
    *) echo "usage: tools/bench_mount.sh [--nodes N] [--links M] [--reps R] [--read-ahead-kb K]" >&2; exit 2 ;;
  esac
done
bench_workspace scopefs scopectl
mnt=$tmp/mnt store=$tmp/store
start_daemon() { start_scopefs "$store" "$mnt" "$tmp/daemon.log" --read-ahead-kb "$ra"; }
stop_daemon() { stop_scopefs; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
cold() { stop_daemon; drop_caches; start_daemon; }
now() { date +%s.%N; }
# seconds COMMAND...: wall time of one run.
seconds() { local t0; t0=$(now); "$@" >/dev/null; echo "$(now) - $t0" | bc -l; }
row() { # row LABEL OURS BASE BASELABEL
  printf '%-34s %8.2f s | %-30s %8.2f s | %5.2fx\n' "$1" "$2" "$4" "$3" "$(echo "$2 / $3" | bc -l)"
}

mkdir -p "$mnt"
"$build/tools/scopectl" gen --nodes "$nodes" --links "$links" "$tmp/src"
cp -r "$tmp/src" "$tmp/plain"                      # a plain uncompressed copy
gzip -6 -c "$tmp/src/mappings.json" >"$tmp/plain/mappings.json.gz"
echo "machine: $(nproc) cores, $(uname -r); read_ahead_kb=$ra; reps=$reps"
start_daemon

# --- cp -r into the mount vs cp -r to a local directory + gzip -6.
ours=() base=() gz=()
for r in $(seq "$reps"); do
  drop_caches
  ours+=("$(seconds cp -r "$tmp/src" "$mnt/k$r")")
  drop_caches
  base+=("$(seconds cp -r "$tmp/src" "$tmp/local$r")")
  gz+=("$(seconds gzip -6 -c "$tmp/local$r/mappings.json")")
  rm -rf "$tmp/local$r"
done
cp_ours=$(printf '%s\n' "${ours[@]}" | median)
cp_base=$(printf '%s\n' "${base[@]}" | median)
gz_base=$(printf '%s\n' "${gz[@]}" | median)
row "cp -r into the mount" "$cp_ours" "$(echo "$cp_base + $gz_base" | bc -l)" "cp -r local + gzip -6"
row "cp -r into the mount" "$cp_ours" "$gz_base" "gzip -6 alone (target <= 0.25x)"
rss_ingest_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SCOPEFS_PID/status")

# --- The commit's share: meta.json copied last, so its close() commits.
last=() whole=()
for r in $(seq "$reps"); do
  drop_caches
  t0=$(now)
  mkdir "$mnt/c$r"
  cp "$tmp/src/nodes.bits" "$tmp/src/links.bits" "$tmp/src/mappings.json" "$mnt/c$r/"
  t1=$(now)
  cp "$tmp/src/meta.json" "$mnt/c$r/"
  t2=$(now)
  last+=("$(echo "$t2 - $t1" | bc -l)") whole+=("$(echo "$t2 - $t0" | bc -l)")
  rm -r "$mnt/c$r"
done
row "last close() of a copy (commit)" "$(printf '%s\n' "${last[@]}" | median)" \
    "$(printf '%s\n' "${whole[@]}" | median)" "the whole copy (target <= 0.2x)"

stored_size=$(stat -c %s "$store/scopes/k1/mappings.json.gz")
gzip_size=$(stat -c %s "$tmp/plain/mappings.json.gz")
printf '%-34s %8d B | %-30s %8d B | %5.3fx\n' "stored mappings" "$stored_size" \
  "gzip -6 (target <= 0.95x)" "$gzip_size" "$(echo "$stored_size / $gzip_size" | bc -l)"

stored=$store/scopes/k1
# --- cold and warm cat, per file.
for f in nodes.bits links.bits mappings.json; do
  cold_o=() cold_b=() warm_o=() warm_b=()
  for r in $(seq "$reps"); do
    cold; cold_o+=("$(seconds cat "$mnt/k1/$f")")
    warm_o+=("$(seconds cat "$mnt/k1/$f")")
    drop_caches
    if [ "$f" = mappings.json ]; then
      cold_b+=("$(seconds gzip -dc "$stored/mappings.json.gz")")
    else
      cold_b+=("$(seconds cat "$stored/$f")")
    fi
    cat "$tmp/plain/$f" >/dev/null
    warm_b+=("$(seconds cat "$tmp/plain/$f")")
  done
  base_name="cat of the stored file (cold)"
  [ "$f" = mappings.json ] && base_name="gzip -dc of the stored .gz"
  row "cold cat $f" "$(printf '%s\n' "${cold_o[@]}" | median)" \
      "$(printf '%s\n' "${cold_b[@]}" | median)" "$base_name"
  row "warm cat $f" "$(printf '%s\n' "${warm_o[@]}" | median)" \
      "$(printf '%s\n' "${warm_b[@]}" | median)" "cat of a plain copy (warm)"
done

# --- 1,000 random 4 KiB preads, cold, vs a plain uncompressed copy.
preads='
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
rng = random.Random(1)
offs = [rng.randrange(0, size - 4096) for _ in range(1000)]
t = time.monotonic()
for o in offs:
    os.pread(fd, 4096, o)
print(time.monotonic() - t)
'
ours=() base=()
for r in $(seq "$reps"); do
  cold; ours+=("$(/usr/bin/python3 -c "$preads" "$mnt/k1/mappings.json")")
  drop_caches; base+=("$(/usr/bin/python3 -c "$preads" "$tmp/plain/mappings.json")")
done
row "1,000 random 4 KiB preads (cold)" "$(printf '%s\n' "${ours[@]}" | median)" \
    "$(printf '%s\n' "${base[@]}" | median)" "same on a plain file (cold)"

# --- Python full load: bitarray x2 + json.load, through the mount vs the old way.
load_mount='
import json, sys
from bitarray import bitarray
d = sys.argv[1]
for f in ("nodes.bits", "links.bits"):
    b = bitarray(endian="big")
    with open(d + "/" + f, "rb") as fh: b.fromfile(fh)
with open(d + "/mappings.json") as fh: m = json.load(fh)
'
load_old='
import gzip, json, sys
from bitarray import bitarray
d = sys.argv[1]
for f in ("nodes.bits", "links.bits"):
    b = bitarray(endian="big")
    with open(d + "/" + f, "rb") as fh: b.fromfile(fh)
with gzip.open(d + "/mappings.json.gz", "rt") as fh: m = json.load(fh)
'
load_plain='
import json, sys
with open(sys.argv[1] + "/mappings.json") as fh: m = json.load(fh)
'
cold; py_ours=$(seconds /usr/bin/python3 -c "$load_mount" "$mnt/k1")
drop_caches; py_old=$(seconds /usr/bin/python3 -c "$load_old" "$tmp/plain")
cat "$tmp/plain/mappings.json" >/dev/null; py_plain=$(seconds /usr/bin/python3 -c "$load_plain" "$tmp/plain")
row "Python full load via the mount" "$py_ours" "$py_old" "old way: json.load(gzip.open())"
row "Python full load via the mount" "$py_ours" "$py_plain" "json.load of a plain file (warm)"

rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SCOPEFS_PID/status")
printf '%-34s %8.1f MiB\n' "daemon peak RSS while ingesting" "$(echo "$rss_ingest_kb / 1024" | bc -l)"
printf '%-34s %8.1f MiB\n' "daemon peak RSS at the end" "$(echo "$rss_kb / 1024" | bc -l)"
