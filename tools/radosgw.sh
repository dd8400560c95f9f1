#!/usr/bin/env bash
# A throwaway S3 server for the shared tier's tests: a single-node Ceph cluster
# (one mon, one memstore OSD, radosgw) living in one directory, on private
# loopback ports, with a fresh fsid and fresh S3 keys each time.
#
#   tools/radosgw.sh start [--watch PID|parent] DIR
#        stops whatever an earlier start left in DIR, starts the cluster, creates
#        an S3 user, waits (at most RADOSGW_START_TIMEOUT s, default 90) until
#        radosgw answers a signed S3 request, and writes DIR/env (mode 0600).
#        A port taken between the probe and the bind: it starts again on others.
#        --watch PID: a watchdog stops the cluster when PID exits; "parent" is
#        the caller's parent (the CTest fixture's: ctest, so a killed ctest
#        leaves nothing running).
#   tools/radosgw.sh stop DIR        TERM, then KILL after 5 s, every daemon by
#                                    its pid; removes DIR
#   tools/radosgw.sh stop-rgw DIR    stops radosgw only (an outage); the data stay
#   tools/radosgw.sh start-rgw DIR   starts it again, same port, same data, and
#                                    waits until it answers
#   tools/radosgw.sh status DIR      exit 0 if radosgw answers a signed request
#
# DIR/env holds KEY=value lines, to be read as a file or sourced (set -a):
#   SCOPEFS_TEST_S3_ENDPOINT=http://127.0.0.1:PORT  SCOPEFS_TEST_S3_REGION=us-east-1
#   AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY
#   RADOSGW_DIR  RADOSGW_SH (this script)  RADOSGW_PORT  RADOSGW_MON_PORT  RADOSGW_FSID
#   RADOSGW_MON_PID  RADOSGW_OSD_PID  RADOSGW_RGW_PID  RADOSGW_WATCH_PID
# The secret goes nowhere else: not to stdout, stderr or the logs in DIR/log.
#
# Sourced, it defines radosgw_start, radosgw_stop, radosgw_stop_rgw,
# radosgw_start_rgw and radosgw_status with the same arguments (radosgw_start
# returns 3 for a taken port, without retrying). Needs the packages of
# tools/lib.sh's SCOPEFS_S3_TEST_PACKAGES, and python3.

_rgw_log() { printf 'radosgw.sh: %s\n' "$*" >&2; }

_rgw_self=$(readlink -f "${BASH_SOURCE[0]}")

# _rgw_free_port: a TCP port below the ephemeral range that nothing on
# 127.0.0.1 holds now (outgoing connections never take it from us later).
_rgw_free_port() {
  /usr/bin/python3 - <<'EOF'
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
EOF
}

# _rgw_random N CHARSET: N random characters of CHARSET (a tr set).
_rgw_random() {
  local out
  out=$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc "$2")
  printf '%s' "${out:0:$1}"
}

# _rgw_env_get DIR KEY: KEY's value in DIR/env (empty if absent).
_rgw_env_get() {
  [ -f "$1/env" ] || return 0
  sed -n "s/^$2=//p" "$1/env" | tail -n 1
}

# _rgw_ours PID DIR: PID is alive and is one of DIR's daemons (its command line
# names DIR), so a recycled pid is never killed.
_rgw_ours() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
  local cmd
  cmd=" $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) "
  [[ $cmd == *" $2/"* || $cmd == *" $2 "* ]]
}

# _rgw_kill DIR PID...: TERM, then KILL after 5 s, those pids that are DIR's.
_rgw_kill() {
  local dir=$1 pid
  shift
  local live=()
  for pid in "$@"; do _rgw_ours "$pid" "$dir" && live+=("$pid"); done
  [ ${#live[@]} -gt 0 ] || return 0
  kill -TERM "${live[@]}" 2>/dev/null
  for _ in $(seq 50); do
    local still=()
    for pid in "${live[@]}"; do _rgw_ours "$pid" "$dir" && still+=("$pid"); done
    [ ${#still[@]} -gt 0 ] || return 0
    live=("${still[@]}")
    sleep 0.1
  done
  _rgw_log "killing ${live[*]} (no exit 5 s after SIGTERM)"
  kill -KILL "${live[@]}" 2>/dev/null
  for _ in $(seq 50); do
    local still=()
    for pid in "${live[@]}"; do _rgw_ours "$pid" "$dir" && still+=("$pid"); done
    [ ${#still[@]} -gt 0 ] || return 0
    sleep 0.1
  done
}

# _rgw_set DIR KEY VALUE: sets KEY in DIR/env (rewritten atomically, 0600).
_rgw_set() {
  local dir=$1 key=$2 value=$3
  (
    umask 077
    { [ -f "$dir/env" ] && grep -v "^$key=" "$dir/env"; printf '%s=%s\n' "$key" "$value"; } >"$dir/env.tmp"
    mv -f "$dir/env.tmp" "$dir/env"
  )
}

# _rgw_daemon DIR NAME COMMAND...: runs COMMAND in the background with no tie
# to the caller's terminal or pipes (CTest waits for its pipes to close), its
# output in DIR/log/NAME.out. Sets _rgw_pid.
_rgw_daemon() {
  local dir=$1 name=$2
  shift 2
  "$@" </dev/null >>"$dir/log/$name.out" 2>&1 &
  _rgw_pid=$!
}

# _rgw_s3 DIR CURL_ARGS...: a SigV4-signed curl request to DIR's radosgw
# (empty body); prints the HTTP status. The keys reach curl through a config
# file on stdin, never through its command line.
_rgw_s3() {
  local dir=$1
  shift
  local endpoint key secret
  endpoint=$(_rgw_env_get "$dir" SCOPEFS_TEST_S3_ENDPOINT)
  key=$(_rgw_env_get "$dir" AWS_ACCESS_KEY_ID)
  secret=$(_rgw_env_get "$dir" AWS_SECRET_ACCESS_KEY)
  printf 'user = "%s:%s"\n' "$key" "$secret" |
    curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -K - \
      --aws-sigv4 aws:amz:us-east-1:s3 \
      -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
      "$@" "$endpoint/" 2>/dev/null
}

# _rgw_wait_s3 DIR DEADLINE: waits until radosgw answers a signed ListBuckets
# with 200, failing early if a daemon died.
_rgw_wait_s3() {
  local dir=$1 deadline=$2 code name
  while :; do
    code=$(_rgw_s3 "$dir") && [ "$code" = 200 ] && return 0
    for name in MON OSD RGW; do
      if ! _rgw_ours "$(_rgw_env_get "$dir" RADOSGW_${name}_PID)" "$dir"; then
        _rgw_log "the ${name,,} daemon died; its log: $dir/log"
        tail -n 20 "$dir/log/"*"${name,,}"*.out >&2 2>/dev/null
        return 1
      fi
    done
    if [ "$SECONDS" -ge "$deadline" ]; then
      _rgw_log "radosgw did not answer S3 in time (last HTTP status: ${code:-none}); logs in $dir/log"
      return 1
    fi
    sleep 0.2
  done
}

# _rgw_dump_logs DIR: the end of each daemon's log on stderr (a failed start
# removes DIR), with the secret masked.
_rgw_dump_logs() {
  local dir secret f
  dir=$(realpath -m "$1")
  secret=$(_rgw_env_get "$dir" AWS_SECRET_ACCESS_KEY)
  for f in "$dir"/log/*; do
    [ -s "$f" ] || continue
    printf '%s\n' "--- ${f##*/} (last 15 lines)" >&2
    tail -n 15 "$f" | { if [ -n "$secret" ]; then sed "s/$secret/<secret>/g"; else cat; fi; } >&2
  done
}

# _rgw_listens PID PORT: process PID holds a socket listening on 127.0.0.1:PORT.
_rgw_listens() {
  local pid=$1 inode fd
  for inode in $(awk -v a="$(printf '0100007F:%04X' "$2")" '$2 == a && $4 == "0A" {print $10}' /proc/net/tcp); do
    for fd in "/proc/$pid/fd/"*; do
      [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ] && return 0
    done
  done
  return 1
}

# _rgw_wait_listen DIR NAME PID PORT DEADLINE: waits until daemon NAME (PID)
# listens on PORT. Returns 3 if the port was taken after the probe (the daemon
# is stopped; the caller retries with other ports), 1 if the daemon died or
# the deadline passed.
_rgw_wait_listen() {
  local dir=$1 name=$2 pid=$3 port=$4 deadline=$5
  until _rgw_listens "$pid" "$port"; do
    if grep -qs 'Address already in use' "$dir/log/$name.out" "$dir/log/"*"$name"*.log; then
      _rgw_log "port $port was taken after the probe ($name)"
      _rgw_kill "$dir" "$pid"
      return 3
    fi
    if ! _rgw_ours "$pid" "$dir"; then
      _rgw_log "the $name daemon died at start"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      _rgw_log "the $name daemon does not listen on port $port"
      return 1
    fi
    sleep 0.1
  done
}

_rgw_start_radosgw() {
  local dir=$1
  _rgw_daemon "$dir" rgw radosgw -f -c "$dir/ceph.conf" -n client.rgw
  _rgw_set "$dir" RADOSGW_RGW_PID "$_rgw_pid"
}

radosgw_start() {
  local watch=
  if [ "${1:-}" = --watch ]; then
    watch=$2
    shift 2
  fi
  [ $# -eq 1 ] || { _rgw_log "usage: radosgw.sh start [--watch PID] DIR"; return 2; }
  local dir
  dir=$(realpath -m "$1")
  local tool
  for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph curl; do
    command -v "$tool" >/dev/null || { _rgw_log "$tool is missing (tools/lib.sh: SCOPEFS_S3_TEST_PACKAGES)"; return 1; }
  done
  radosgw_stop "$dir" || return 1
  local started=$SECONDS
  local deadline=$((SECONDS + ${RADOSGW_START_TIMEOUT:-90}))
  mkdir -p "$dir/mon" "$dir/osd/0" "$dir/run" "$dir/log" "$dir/crash"
  chmod 700 "$dir"

  local fsid mon_port rgw_port
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(_rgw_free_port) || return 1
  rgw_port=$(_rgw_free_port) || return 1
  while [ "$rgw_port" = "$mon_port" ]; do rgw_port=$(_rgw_free_port) || return 1; done

  cat >"$dir/ceph.conf" <<EOF
# Written by tools/radosgw.sh: a single-node test cluster, nothing persistent.
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
crash dir = $dir/crash
mon data = $dir/mon/\$id
mon data avail crit = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd data = $dir/osd/\$id
osd objectstore = memstore
memstore device bytes = ${RADOSGW_MEMSTORE_BYTES:-4294967296}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0

[client]
ms mon client mode = crc

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw thread pool size = 32
EOF

  {
    printf 'SCOPEFS_TEST_S3_ENDPOINT=http://127.0.0.1:%s\n' "$rgw_port"
    printf 'SCOPEFS_TEST_S3_REGION=us-east-1\n'
    printf 'RADOSGW_DIR=%s\nRADOSGW_SH=%s\nRADOSGW_PORT=%s\nRADOSGW_MON_PORT=%s\nRADOSGW_FSID=%s\n' \
      "$dir" "$_rgw_self" "$rgw_port" "$mon_port" "$fsid"
  } >"$dir/env.tmp"
  chmod 600 "$dir/env.tmp"
  mv -f "$dir/env.tmp" "$dir/env"

  local conf=$dir/ceph.conf
  local setup_log=$dir/log/setup.log
  # The watchdog first, so a caller that dies from here on leaves nothing.
  if [ -n "$watch" ]; then
    [ "$watch" = parent ] && watch=$PPID
    _rgw_daemon "$dir" watchdog bash -c \
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; [ -f "$2/env" ] && exec "$3" stop --from-watchdog "$2"' \
      watchdog "$watch" "$dir" "$_rgw_self"
    _rgw_set "$dir" RADOSGW_WATCH_PID "$_rgw_pid"
  fi

  if ! {
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" &&
      ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap"
  } >>"$setup_log" 2>&1; then
    _rgw_log "mon mkfs failed: $(tail -n 5 "$setup_log")"
    return 1
  fi
  _rgw_daemon "$dir" mon ceph-mon -f -c "$conf" -i a
  _rgw_set "$dir" RADOSGW_MON_PID "$_rgw_pid"
  _rgw_wait_listen "$dir" mon "$_rgw_pid" "$mon_port" "$deadline" || return

  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  if ! osd_id=$(timeout 60 ceph -c "$conf" --connect-timeout 30 osd new "$osd_uuid" 2>>"$setup_log") ||
    [ "$osd_id" != 0 ]; then
    _rgw_log "ceph osd new failed (got '${osd_id:-}'): $(tail -n 5 "$setup_log"; tail -n 5 "$dir/log/mon.a.log" 2>/dev/null)"
    return 1
  fi
  if ! ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$setup_log" 2>&1; then
    _rgw_log "osd mkfs failed: $(tail -n 5 "$setup_log")"
    return 1
  fi
  _rgw_daemon "$dir" osd ceph-osd -f -c "$conf" -i 0
  _rgw_set "$dir" RADOSGW_OSD_PID "$_rgw_pid"

  _rgw_start_radosgw "$dir"

  # The user: radosgw-admin creates it as soon as the pools are there; it
  # retries while radosgw itself is still creating them.
  local key secret
  key=$(_rgw_random 20 'A-Z0-9')
  secret=$(_rgw_random 40 'A-Za-z0-9')
  _rgw_set "$dir" AWS_ACCESS_KEY_ID "$key"
  _rgw_set "$dir" AWS_SECRET_ACCESS_KEY "$secret"
  local out
  until out=$(timeout 60 radosgw-admin -c "$conf" -n client.admin user create --uid=scopefs-test \
    --display-name="scopefs tests" --access-key="$key" --secret-key="$secret" 2>&1); do
    if [ "$SECONDS" -ge "$deadline" ]; then
      # The output holds the keys: only its last error line goes out, masked.
      _rgw_log "radosgw-admin user create failed: $(printf '%s\n' "$out" | grep -v "$secret" | tail -n 3)"
      return 1
    fi
    sleep 1
  done
  _rgw_wait_listen "$dir" rgw "$(_rgw_env_get "$dir" RADOSGW_RGW_PID)" "$rgw_port" "$deadline" || return
  _rgw_wait_s3 "$dir" "$deadline" || return 1
  _rgw_log "S3 at http://127.0.0.1:$rgw_port in $((SECONDS - started)) s (env: $dir/env)"
}

radosgw_stop() {
  local from_watchdog=
  if [ "${1:-}" = --from-watchdog ]; then
    from_watchdog=1
    shift
  fi
  [ $# -eq 1 ] || { _rgw_log "usage: radosgw.sh stop DIR"; return 2; }
  local dir
  dir=$(realpath -m "$1")
  [ -e "$dir" ] || return 0
  [ -z "$from_watchdog" ] && _rgw_kill "$dir" "$(_rgw_env_get "$dir" RADOSGW_WATCH_PID)"
  # radosgw and the mon's clients first, then the OSD, then the mon.
  _rgw_kill "$dir" "$(_rgw_env_get "$dir" RADOSGW_RGW_PID)"
  _rgw_kill "$dir" "$(_rgw_env_get "$dir" RADOSGW_OSD_PID)"
  _rgw_kill "$dir" "$(_rgw_env_get "$dir" RADOSGW_MON_PID)"
  # A start killed half way may have left a daemon whose pid never reached env.
  local pid left=()
  for pid in $(pgrep -f -- "-c $dir/ceph.conf" 2>/dev/null); do
    [ "$pid" != $$ ] && left+=("$pid")
  done
  [ ${#left[@]} -eq 0 ] || _rgw_kill "$dir" "${left[@]}"
  rm -rf "$dir"
}

radosgw_stop_rgw() {
  [ $# -eq 1 ] || { _rgw_log "usage: radosgw.sh stop-rgw DIR"; return 2; }
  local dir
  dir=$(realpath -m "$1")
  [ -f "$dir/env" ] || { _rgw_log "no cluster in $dir"; return 1; }
  _rgw_kill "$dir" "$(_rgw_env_get "$dir" RADOSGW_RGW_PID)"
}

radosgw_start_rgw() {
  [ $# -eq 1 ] || { _rgw_log "usage: radosgw.sh start-rgw DIR"; return 2; }
  local dir
  dir=$(realpath -m "$1")
  [ -f "$dir/env" ] || { _rgw_log "no cluster in $dir"; return 1; }
  if _rgw_ours "$(_rgw_env_get "$dir" RADOSGW_RGW_PID)" "$dir"; then
    _rgw_log "radosgw already runs"
  else
    _rgw_start_radosgw "$dir"
  fi
  _rgw_wait_s3 "$dir" $((SECONDS + ${RADOSGW_START_TIMEOUT:-90}))
}

radosgw_status() {
  [ $# -eq 1 ] || { _rgw_log "usage: radosgw.sh status DIR"; return 2; }
  local dir
  dir=$(realpath -m "$1")
  [ -f "$dir/env" ] && [ "$(_rgw_s3 "$dir")" = 200 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  command=${1:-}
  shift || true
  case "$command" in
    start)
      for _ in 1 2 3; do
        radosgw_start "$@" && exit 0
        status=$?
        [ "$status" = 3 ] || break # 3: a port was taken; again with others
      done
      [ "$status" = 2 ] && exit 2
      _rgw_dump_logs "${!#}"
      radosgw_stop "${!#}"
      exit "$status"
      ;;
    stop) radosgw_stop "$@" ;;
    stop-rgw) radosgw_stop_rgw "$@" ;;
    start-rgw) radosgw_start_rgw "$@" ;;
    status) radosgw_status "$@" ;;
    *)
      _rgw_log "usage: radosgw.sh start [--watch PID] DIR | stop DIR | stop-rgw DIR | start-rgw DIR | status DIR"
      exit 2
      ;;
  esac
fi
