"""Writing a scope into a scopefs mount, as ``cp -r`` would: the key rule, the
four files of a pending scope, and its ``.status`` line.

``mkdir MOUNT/KEY`` makes a *pending* scope (with ``--shared``, it also takes
the fleet's computation lease on KEY). Its files can be written but not read
(EBUSY) and its directory holds a generated ``.status`` file saying what it
waits for; the close of the last of the four files validates and commits it
atomically, after which ``.status`` is gone and the files are readable.
``CacheScopeManager.cache_scope`` and ``get_or_compute`` both write through here.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Optional

KEY_RULE = "a key is 1-200 of [A-Za-z0-9._-], not starting with '.'"
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")  # the mount's rule for a key
_MB = 1024 * 1024


def valid_key(key) -> bool:
    """Whether the mount can hold a scope named `key` (KEY_RULE)."""
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def is_pending(directory: str | os.PathLike) -> bool:
    """Whether `directory` is a pending scope (it shows a ``.status`` file). One
    lookup; not an access."""
    return os.path.lexists(os.path.join(directory, ".status"))


def status_line(directory: str | os.PathLike) -> str:
    """The pending scope's ``.status`` line: what it waits for, or why it was refused."""
    try:
        return Path(directory, ".status").read_text().strip()
    except OSError as e:
        return f"(no .status: {e.strerror})"


def _plain(mapping) -> dict:
    """A dict that json.dumps takes, from a dict or any Mapping."""
    if isinstance(mapping, dict):
        return mapping
    to_dict = getattr(mapping, "to_dict", None)
    return to_dict() if to_dict else dict(mapping)


def _big_endian(bits):
    """`bits` in the bit order the mount's files hold (big-endian within a byte)."""
    if bits.endian() == "big":
        return bits
    from bitarray import bitarray

    return bitarray(bits, endian="big")


def write_scope_files(directory: str | os.PathLike, scope,
                      config_attributes: Optional[dict]) -> None:
    """Writes `scope` into the pending scope at `directory`: ``nodes.bits`` and
    ``links.bits`` (``tofile()``), ``mappings.json`` (compact JSON) and, last,
    ``meta.json``, whose close commits the scope.

    `scope` has the old ``CoverageScope``'s fields: ``covered_nodes`` and
    ``covered_links`` (bitarrays), ``node_id_mapping`` and ``link_id_mapping``
    (Mappings of id to index), ``total_nodes`` and ``total_links``.

    Raises what the writes raise; ``OSError`` with EINVAL from the last close
    when the mount refuses the scope (``status_line`` says why). Costs a JSON
    encoding of both mappings (seconds for millions of ids).
    """
    directory = Path(directory)
    with open(directory / "nodes.bits", "wb") as f:
        _big_endian(scope.covered_nodes).tofile(f)
    with open(directory / "links.bits", "wb") as f:
        _big_endian(scope.covered_links).tofile(f)
    # One mapping encoded at a time (the C encoder; json.dump's is slower).
    with open(directory / "mappings.json", "w", encoding="utf-8", buffering=_MB) as f:
        f.write('{"node_id_mapping":')
        f.write(json.dumps(_plain(scope.node_id_mapping), separators=(",", ":")))
        f.write(',"link_id_mapping":')
        f.write(json.dumps(_plain(scope.link_id_mapping), separators=(",", ":")))
        f.write("}")
    meta = {"total_nodes": scope.total_nodes, "total_links": scope.total_links,
            "config_attributes": config_attributes or {}}
    with open(directory / "meta.json", "w", encoding="utf-8") as f:  # its close commits
        json.dump(meta, f, separators=(",", ":"))
