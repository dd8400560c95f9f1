#!/usr/bin/env bash
# Checks systemd/scopefs@.service with systemd-analyze verify, pointing it at
# the built daemon; prints the offline security exposure. Exit 77 (reported
# by CTest as skipped) where systemd-analyze is missing.
set -euo pipefail
unit=$1 daemon=$2
command -v systemd-analyze >/dev/null || { echo "SKIPPED: no systemd-analyze"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|EnvironmentFile=/etc/scopefs/%i.conf|EnvironmentFile=-$tmp/%i.conf|" \
    -e "s|/usr/bin/scopefs|$daemon|" "$unit" >"$tmp/scopefs@mnt-scopes.service"
systemd-analyze verify "$tmp/scopefs@mnt-scopes.service"
systemd-analyze security --offline=true "$tmp/scopefs@mnt-scopes.service" | tail -1
