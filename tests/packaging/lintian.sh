#!/usr/bin/env bash
# Builds the Debian package with CPack and runs lintian on it: any error (E:)
# or warning (W:) fails. The overrides, each with its reason, ship in the
# package (tools/packaging/lintian-overrides) and are listed here as O: lines.
# Also checks that the package's version is the one of its Debian changelog.
# Exit 77 (reported by CTest as skipped) only when lintian is not installed.
set -euo pipefail
config=$1
command -v lintian >/dev/null || { echo "SKIPPED: no lintian (apt-get install lintian)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpack -G DEB --config "$config" -B "$tmp" >/dev/null
deb=$(ls "$tmp"/scopefs_*.deb)

version=$(dpkg-deb -f "$deb" Version)
changelog=$(dpkg-deb --fsys-tarfile "$deb" |
            tar -xO ./usr/share/doc/scopefs/changelog.Debian.gz | gzip -dc | head -n 1) || true
[[ $changelog == "scopefs ($version) "* ]] || {
  echo "version $version is not the changelog's: $changelog"
  exit 1
}

# One run that lists the overridden tags too (--show-overrides); lintian's own
# exit status then means only that it ran (--fail-on none), and its E: and W:
# lines decide. Its stderr (as root, a note that it would rather not run as
# root) is shown only when it fails.
report=$(lintian --fail-on none --show-overrides "$deb" 2>"$tmp/stderr") || {
  cat "$tmp/stderr"
  echo "lintian could not check $(basename "$deb")"
  exit 1
}
[ -z "$report" ] || echo "$report"
errors=$(grep -c '^E:' <<<"$report" || true)
warnings=$(grep -c '^W:' <<<"$report" || true)
overridden=$(grep -c '^O:' <<<"$report" || true)
echo "$(basename "$deb"): lintian: $errors errors, $warnings warnings, $overridden overridden"
[ "$errors" -eq 0 ] && [ "$warnings" -eq 0 ]
