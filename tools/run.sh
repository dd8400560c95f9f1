#!/usr/bin/env bash
# Installs what is missing, builds, and runs scopefs in the foreground on a
# store and mountpoint inside the checkout (var/store, var/mnt; git-ignored).
# Extra arguments go to scopefs (e.g. --max-size 2G). Ctrl-C unmounts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"

install_missing_packages
configure "$ROOT/build"
cmake --build "$ROOT/build" --target scopefs scopectl -j"$(nproc)"

store=${SCOPEFS_STORE:-$ROOT/var/store}
mnt=${SCOPEFS_MOUNT:-$ROOT/var/mnt}
mkdir -p "$store" "$mnt"
log "mounting $store on $mnt (Ctrl-C to unmount)"
exec "$ROOT/build/fs/scopefs" -f "$store" "$mnt" "$@"
