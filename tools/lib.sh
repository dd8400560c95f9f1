# Shared by tools/run.sh and tools/test.sh: install what is missing, configure, build.
# Sourced, not run. Expects ROOT (the checkout) to be set.

# Debian packages the build, the tests and the daemon need.
SCOPEFS_PACKAGES=(
  cmake ninja-build g++ pkg-config
  fuse3 libfuse3-dev libtbb-dev zlib1g-dev nlohmann-json3-dev libgtest-dev
  python3 python3-bitarray rsync gzip tar
)

log() { printf 'scopefs: %s\n' "$*" >&2; }

# Installs only the packages that are missing, so a second run costs nothing.
install_missing_packages() {
  local missing=()
  local pkg
  for pkg in "${SCOPEFS_PACKAGES[@]}"; do
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
