#!/usr/bin/env bash
# Builds the Debian package from the build tree with CPack and checks what a
# host would install: the binaries, the systemd unit, the man pages, the docs
# with the Debian changelog and copyright, the lintian overrides, and the
# runtime dependencies. Exit 77 (reported by CTest as skipped) without dpkg-deb.
set -euo pipefail
config=$1
command -v dpkg-deb >/dev/null || { echo "SKIPPED: no dpkg-deb"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpack -G DEB --config "$config" -B "$tmp" >/dev/null
deb=$(ls "$tmp"/scopefs_*.deb)
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for want in ./usr/bin/scopefs ./usr/bin/scopectl ./usr/lib/systemd/system/scopefs@.service \
            ./usr/share/doc/scopefs/README.md ./usr/share/doc/scopefs/fstab.example \
            ./usr/share/doc/scopefs/scopefs.conf.example ./usr/share/doc/scopefs/help/scopefs.txt \
            ./usr/share/doc/scopefs/help/scopectl-import.txt \
            ./usr/share/man/man8/scopefs.8.gz ./usr/share/man/man1/scopectl.1.gz \
            ./usr/share/doc/scopefs/copyright ./usr/share/doc/scopefs/changelog.Debian.gz \
            ./usr/share/lintian/overrides/scopefs \
            ./usr/lib/python3/dist-packages/scopefs/__init__.py \
            ./usr/lib/python3/dist-packages/scopefs/index.py; do
  grep -qx "$want" <<<"$files" || { echo "missing from $(basename "$deb"): $want"; exit 1; }
done
depends=$(dpkg-deb -f "$deb" Depends)
for want in libc6 fuse3 libfuse3-3 libtbb12 zlib1g libdeflate0; do
  grep -qw "$want" <<<"$depends" || { echo "Depends lacks $want: $depends"; exit 1; }
done
grep -qw python3 <<<"$depends" || { echo "Depends lacks python3: $depends"; exit 1; }
recommends=$(dpkg-deb -f "$deb" Recommends)
grep -qw python3-bitarray <<<"$recommends" || { echo "Recommends lacks python3-bitarray: $recommends"; exit 1; }
echo "$(basename "$deb"): $(wc -l <<<"$files") entries; Depends: $depends"
