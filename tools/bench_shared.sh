#!/usr/bin/env bash
# The shared tier through real mounts (issue 15), each figure beside a
# baseline from the same run. Starts a throwaway radosgw (tools/radosgw.sh)
# and two daemons on one bucket, as two hosts, A and B:
#
#   tools/bench_shared.sh [--nodes N] [--links M] [--reps R]
#
#   publish      cp -r of a `scopectl gen` scope into A, until A's stats.json
#                says it is published        vs  the cp -r alone
#   read-through the first `cat` of every file of the scope on B (the lookup
#                fetches it)                 vs  cp -r of the same scope into a
#                mount (the local way to have it), and the same cat on A
#   absent key   stat of a key nobody has, on B: first (asks the tier), then
#                again (remembered)          vs  stat on a mount without --shared
# Times are medians of R reps, each on a key of its own. As root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

nodes=1000000 links=2000000 reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --links) links=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "usage: tools/bench_shared.sh [--nodes N] [--links M] [--reps R]" >&2; exit 2 ;;
  esac
done
install_missing_packages "${SCOPEFS_S3_TEST_PACKAGES[@]}"
bench_workspace scopefs scopectl
pids=() mnts=()
cleanup() {
  for m in "${mnts[@]}"; do fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bash "$ROOT/tools/radosgw.sh" stop "$tmp/rgw" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }
row() { # row LABEL OURS BASE BASELABEL
  printf '%-36s %8.3f s | %-30s %8.3f s | %6.2fx\n' "$1" "$2" "$4" "$3" "$(echo "$2 / $3" | bc -l)"
}
stat_field() { # stat_field MOUNT FIELD: shared.FIELD of the mount's stats.json
  /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["shared"][sys.argv[2]])' \
    "$1/.scopefs/stats.json" "$2"
}

bash "$ROOT/tools/radosgw.sh" start --watch $$ "$tmp/rgw" >/dev/null
set -a
source "$tmp/rgw/env"
set +a
# The bucket, by a signed PUT; the keys go to curl on stdin, never on a command line.
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |
  curl -sS -K - --max-time 10 -X PUT --aws-sigv4 "aws:amz:$SCOPEFS_TEST_S3_REGION:s3" \
    -H "x-amz-content-sha256: $(sha256sum </dev/null | cut -d' ' -f1)" -o /dev/null \
    "$SCOPEFS_TEST_S3_ENDPOINT/bench"
shared=(--shared s3://bench/run --shared-endpoint "$SCOPEFS_TEST_S3_ENDPOINT")
for host in a b plain; do
  opts=("${shared[@]}")
  [ "$host" = plain ] && opts=()
  start_scopefs "$tmp/store-$host" "$tmp/mnt-$host" "$tmp/daemon-$host.log" "${opts[@]}"
  pids+=("$SCOPEFS_PID") mnts+=("$tmp/mnt-$host")
done
SCOPEFS_PID=  # cleanup stops them all
A=$tmp/mnt-a B=$tmp/mnt-b PLAIN=$tmp/mnt-plain

"$build/tools/scopectl" gen --quiet --nodes "$nodes" --links "$links" "$tmp/src"
echo "machine: $(nproc) cores, $(uname -r); ${nodes} nodes / ${links} links" \
  "($(du -sb "$tmp/src" | cut -f1) bytes raw); reps=$reps"

cp_s=() publish_s=() fetch_s=() local_cp_s=() local_cat_s=() miss_s=() remembered_s=() plain_s=()
for r in $(seq "$reps"); do
  t0=$(now)
  cp -r "$tmp/src" "$A/k$r"
  cp_s+=("$(since "$t0")")
  for _ in $(seq 1200); do
    [ "$(stat_field "$A" publishes)" -ge "$r" ] && [ "$(stat_field "$A" queued)" -eq 0 ] && break
    sleep 0.05
  done
  [ "$(stat_field "$A" publishes)" -ge "$r" ] || { log "k$r was not published: $(tail "$tmp/daemon-a.log")"; exit 1; }
  publish_s+=("$(since "$t0")")

  t0=$(now)
  cat "$B/k$r"/* >/dev/null
  fetch_s+=("$(since "$t0")")
  t0=$(now)
  cp -r "$tmp/src" "$PLAIN/k$r"
  local_cp_s+=("$(since "$t0")")
  t0=$(now)
  cat "$A/k$r"/* >/dev/null
  local_cat_s+=("$(since "$t0")")

  t0=$(now)
  stat "$B/absent$r" >/dev/null 2>&1 && { log "absent$r exists?"; exit 1; }
  miss_s+=("$(since "$t0")")
  t0=$(now)
  stat "$B/absent$r" >/dev/null 2>&1 || true
  remembered_s+=("$(since "$t0")")
  t0=$(now)
  stat "$PLAIN/absent$r" >/dev/null 2>&1 || true
  plain_s+=("$(since "$t0")")
done
med() { printf '%s\n' "$@" | median; }
[ "$(stat_field "$B" fetches)" -eq "$reps" ] || { log "B fetched $(stat_field "$B" fetches), not $reps"; exit 1; }
row "cp -r into A, until published" "$(med "${publish_s[@]}")" "$(med "${cp_s[@]}")" "the cp -r alone"
row "first cat of the scope on B (fetch)" "$(med "${fetch_s[@]}")" "$(med "${local_cp_s[@]}")" "cp -r into a local mount"
row "  the same, vs the cat on A (local)" "$(med "${fetch_s[@]}")" "$(med "${local_cat_s[@]}")" "cat of the scope on A"
row "stat of an absent key on B, first" "$(med "${miss_s[@]}")" "$(med "${plain_s[@]}")" "stat, mount without --shared"
row "  again (remembered absent)" "$(med "${remembered_s[@]}")" "$(med "${plain_s[@]}")" "stat, mount without --shared"
echo "bytes: published $(stat_field "$A" bytes_published), fetched $(stat_field "$B" bytes_fetched)"
