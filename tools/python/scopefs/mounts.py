"""Whether a path lies on a scopefs mount (``/proc/self/mountinfo``).

The daemon checks an index file's CRC-32s when it opens it and answers EIO on
damage, so a reader on the mount need not read the whole file again to check them.
"""
from __future__ import annotations

import os

SCOPEFS_FSTYPE = "fuse.scopefs"


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def filesystem_type(path: str | os.PathLike) -> str | None:
    """The type of the filesystem `path` is on, as mountinfo names it (e.g.
    ``fuse.scopefs``, ``ext4``), or None when it cannot be told."""
    try:
        real = os.path.realpath(path)
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            lines = f.readlines()
    except OSError:
        return None
    best, best_type = "", None
    for line in lines:
        fields = line.split()
        try:
            point = _unescape(fields[4])
            fstype = fields[fields.index("-", 6) + 1]
        except (IndexError, ValueError):
            continue
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):  # the last of equal mount points is on top
            best, best_type = point, fstype
    return best_type


def on_scopefs(path: str | os.PathLike) -> bool:
    """True when `path` is on a scopefs mount."""
    return filesystem_type(path) == SCOPEFS_FSTYPE
