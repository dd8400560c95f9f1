#!/bin/sh
# make_man.sh PROGRAM SECTION INCLUDE OUT: writes PROGRAM's manual page to OUT,
# compressed with gzip -9n as Debian wants it. Debian's help2man makes the page
# from `PROGRAM --help` and `PROGRAM --version`, so it never drifts from the
# program; INCLUDE (a help2man include file) adds the NAME line and the
# sections --help has no room for. scopectl's page also gets a COMMANDS
# section with each command's --help, verbatim.
#
# make_man.sh --help-text PROGRAM OPTION is what help2man runs: PROGRAM's
# output with its headings spelled the way help2man recognizes them
# ("Usage:" becomes the SYNOPSIS, "Options:" the OPTIONS section).
set -eu

if [ "$1" = --help-text ]; then
  text=$("$2" "$3")
  printf '%s\n' "$text" | sed -e 's/^usage:/Usage:/' -e 's/^options:/Options:/'
  exit 0
fi

program=$1 section=$2 include=$3 out=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
set -- --include="$include"

if [ "$(basename "$program")" = scopectl ]; then
  # One subsection per command, its --help as preformatted roff: backslashes,
  # minus signs and a leading dot or quote escaped.
  {
    echo '[COMMANDS]'
    for command in $("$program" --help | awk '/^commands:/ {on = 1; next}
                                             on && /^  [a-z]/ && $1 != "help" {print $1}'); do
      echo ".SS \"scopectl $command\""
      echo '.nf'
      "$program" "$command" --help |
        sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^[.']/\\\\\\&&/"
      echo '.fi'
    done
  } >"$tmp/commands.h2m"
  set -- "$@" --include="$tmp/commands.h2m"
fi

help2man --no-info --section="$section" "$@" --output="$tmp/page" \
  "sh '$0' --help-text '$program'"
gzip -9n -c "$tmp/page" >"$out"
