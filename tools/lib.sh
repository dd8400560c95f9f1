# Shared by tools/run.sh and tools/test.sh: install what is missing, configure, build.
# Sourced, not run. Expects ROOT (the checkout) to be set.

# Debian packages the build, the tests and the daemon need.
SCOPEFS_PACKAGES=(
  cmake ninja-build g++ pkg-config
  fuse3 libfuse3-dev libtbb-dev zlib1g-dev libdeflate-dev nlohmann-json3-dev libgtest-dev
  libcurl4-openssl-dev libssl-dev  # the shared tier's S3 client (store/s3)
  python3 python3-bitarray rsync gzip tar bc
  python3-pytest python3-numpy  # the scopefs Python package's tests (tests/python)
  clang-14 libclang-rt-14-dev  # the fuzz tier (tools/fuzz.sh)
  clang-format-14              # tools/format.sh
  valgrind                     # the soak tier
  help2man lintian             # the Debian package: its man pages and its lint test
  dpkg-dev file                # and its Depends, found by CPack with dpkg-shlibdeps
)

# What the shared tier's tests add (tools/radosgw.sh runs a real radosgw;
# tests/shared/s3_smoke.sh signs with curl): installed by tools/test.sh only,
# since tools/run.sh needs none of it. About 67 MB.
SCOPEFS_S3_TEST_PACKAGES=(
  ceph-mon ceph-osd radosgw ceph-common
  curl
)

log() { printf 'scopefs: %s\n' "$*" >&2; }

# install_missing_packages [PACKAGE...]: installs those of the packages
# (default: SCOPEFS_PACKAGES) that are missing, so a second run costs nothing.
install_missing_packages() {
  local wanted=("$@")
  [ ${#wanted[@]} -gt 0 ] || wanted=("${SCOPEFS_PACKAGES[@]}")
  local missing=()
  local pkg
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing packages: ${missing[*]}; run as root or install them with apt-get"
    return 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# configure BUILD_DIR [cmake args...]: configures an incremental Ninja build.
configure() {
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCOPEFS_WERROR=ON "$@" >/dev/null
}

# --- For the benchmarks (tools/bench*.sh) ---

# build_release TARGET...: a Release build of the given targets in build-release/.
build_release() {
  BUILD_RELEASE=$ROOT/build-release
  cmake -S "$ROOT" -B "$BUILD_RELEASE" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$BUILD_RELEASE" --target "$@" -j"$(nproc)"
}

# bench_workspace TARGET...: for the mount benchmarks (root): installs what is
# missing, builds the Release TARGETs, and makes the scratch directory $tmp,
# removed (after unmounting) on exit. Sets build and tmp.
bench_workspace() {
  [ "$(id -u)" -eq 0 ] || { log "run as root (it mounts)"; exit 1; }
  install_missing_packages
  build_release "$@"
  build=$BUILD_RELEASE
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/scopefs-bench.XXXXXX")
  trap 'stop_scopefs; rm -rf "$tmp"' EXIT
}

# start_scopefs STORE MOUNTPOINT LOG [scopefs options...]: runs the Release
# daemon in the background (pid in SCOPEFS_PID, mountpoint in SCOPEFS_MNT)
# and waits, bounded, until the mount answers.
start_scopefs() {
  local store=$1 mnt=$2 logfile=$3
  shift 3
  mkdir -p "$mnt"
  "$BUILD_RELEASE/fs/scopefs" -f "$@" "$store" "$mnt" 2>>"$logfile" &
  SCOPEFS_PID=$! SCOPEFS_MNT=$mnt
  for _ in $(seq 200); do
    stat "$mnt/.scopefs" >/dev/null 2>&1 && return 0
    kill -0 "$SCOPEFS_PID" 2>/dev/null || break
    sleep 0.05
  done
  log "scopefs did not start: $(cat "$logfile")"
  exit 1
}

# stop_scopefs: unmounts what start_scopefs mounted and waits for the daemon.
stop_scopefs() {
  [ -n "${SCOPEFS_PID:-}" ] || return 0
  fusermount3 -u "$SCOPEFS_MNT" 2>/dev/null || fusermount3 -uz "$SCOPEFS_MNT" 2>/dev/null || true
  wait "$SCOPEFS_PID" 2>/dev/null || true
  SCOPEFS_PID=
}

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
