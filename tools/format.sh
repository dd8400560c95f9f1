#!/usr/bin/env bash
# Formats the C++ sources git tracks (*.cc, *.h) by .clang-format, with
# Debian's clang-format-14 (installed if missing, as root).
#
#   tools/format.sh           formats them in place
#   tools/format.sh --check   changes nothing: lists the files that differ and
#                             exits 1 if there are any (CI runs this)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib.sh"
cd "$ROOT"

check=
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) log "usage: tools/format.sh [--check]"; exit 2 ;;
esac

install_missing_packages clang-format-14
mapfile -d '' files < <(git ls-files -z -- '*.cc' '*.h')
[ ${#files[@]} -gt 0 ] || { log "no C++ files tracked"; exit 0; }

if [ -z "$check" ]; then
  exec clang-format-14 -i "${files[@]}"
fi
# One run over every file; each difference is reported as
# "FILE:LINE:COL: error: code should be clang-formatted [-Wclang-format-violations]".
status=0
output=$(clang-format-14 --dry-run -Werror "${files[@]}" 2>&1) || status=$?
differ=$(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' <<<"$output" | sort -u)
if [ -n "$differ" ]; then
  log "$(wc -l <<<"$differ") files differ from .clang-format (tools/format.sh formats them):"
  printf '%s\n' "$differ"
  exit 1
fi
if [ "$status" -ne 0 ]; then
  log "clang-format-14 failed:"
  printf '%s\n' "$output" >&2
  exit 2
fi
log "all ${#files[@]} C++ files match .clang-format"
