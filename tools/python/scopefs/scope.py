"""Opens one scope directory: its bits as bitarrays, its mappings as Mappings.

With index files (``nodes.idx`` / ``links.idx``, which a scopefs mount serves in
every committed scope), opening reads ``meta.json`` and the two small bits files
and maps the two indexes: no parse, well under 0.1 s whatever the scope's size.
Without them it falls back to ``json.load`` of ``mappings.json``, which costs what
it always cost (about 20 s for 12 M ids), and logs why.
"""
from __future__ import annotations

import json
import logging
import os

from .errors import DamagedScope
from .index import IndexMapping, open_index
from .json_mapping import JsonMapping
from .mounts import on_scopefs

logger = logging.getLogger("scopefs")

MAPPINGS_MODES = ("auto", "index", "json")


class Scope:
    """A scope opened by ``open_scope``.

    Attributes: ``key`` (the directory's name), ``path``, ``meta`` (``meta.json``
    as a dict), ``total_nodes``, ``total_links``, ``covered_nodes`` and
    ``covered_links`` (bitarrays of exactly ``total_*`` bits, big-endian as
    ``bitarray.tofile()`` wrote them, padding dropped), ``node_id_mapping`` and
    ``link_id_mapping`` (read-only ``Mapping[str, int]``: ``IndexMapping`` or
    ``JsonMapping``), and ``indexed`` (True when the mappings are index-backed).

    ``close()`` unmaps the index files; a Scope is also a context manager.
    Thread-safe for reads; not for ``close()`` during them.
    """

    def __init__(self, path: str, meta: dict, covered_nodes, covered_links,
                 node_id_mapping, link_id_mapping):
        self.path = path
        self.key = os.path.basename(os.path.normpath(path))
        self.meta = meta
        self.covered_nodes = covered_nodes
        self.covered_links = covered_links
        self.node_id_mapping = node_id_mapping
        self.link_id_mapping = link_id_mapping

    @property
    def total_nodes(self) -> int:
        return self.meta["total_nodes"]

    @property
    def total_links(self) -> int:
        return self.meta["total_links"]

    @property
    def indexed(self) -> bool:
        return isinstance(self.node_id_mapping, IndexMapping)

    def close(self) -> None:
        """Releases the mapped index files. Idempotent."""
        for m in (self.node_id_mapping, self.link_id_mapping):
            m.close()

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "indexed" if self.indexed else "JSON"
        return (f"<scopefs.Scope {self.key}: {self.total_nodes} nodes, "
                f"{self.total_links} links, {kind} mappings>")


def _json_file(file: str):
    """The JSON document in `file`; DamagedScope if it does not parse."""
    with open(file, "rb") as f:
        try:
            return json.load(f)
        except ValueError as e:
            raise DamagedScope(file, f"not JSON: {e}") from None


def read_meta(path: str) -> dict:
    """``meta.json`` of the scope at `path`, checked to hold its two totals."""
    file = os.path.join(path, "meta.json")
    meta = _json_file(file)
    if not isinstance(meta, dict):
        raise DamagedScope(file, "not a JSON object")
    for total in ("total_nodes", "total_links"):
        if not isinstance(meta.get(total), int) or meta[total] < 0:
            raise DamagedScope(file, f"{total} is not a non-negative integer")
    return meta


def read_bits(file: str, total: int):
    """The bitarray in `file` (raw ``tofile()`` bytes), cut to `total` bits."""
    from bitarray import bitarray

    with open(file, "rb") as f:
        data = f.read()
    need = (total + 7) // 8
    if len(data) != need:
        raise DamagedScope(file, f"{len(data)} bytes; a total of {total} bits needs {need}")
    bits = bitarray(endian="big")
    bits.frombytes(data)
    del bits[total:]
    return bits


def _open_indexes(path: str, meta: dict, verify: bool) -> tuple[IndexMapping, IndexMapping]:
    nodes = open_index(os.path.join(path, "nodes.idx"), verify=verify)
    try:
        links = open_index(os.path.join(path, "links.idx"), verify=verify)
        for m, total in ((nodes, "total_nodes"), (links, "total_links")):
            if m.total != meta[total]:
                raise DamagedScope(m.path, f"the index is for a total of {m.total}, "
                                   f"but meta.json says {total} {meta[total]}")
        return nodes, links
    except BaseException:
        nodes.close()
        raise


def _load_json(path: str) -> tuple[JsonMapping, JsonMapping]:
    file = os.path.join(path, "mappings.json")
    doc = _json_file(file)
    maps = []
    for name in ("node_id_mapping", "link_id_mapping"):
        m = doc.get(name) if isinstance(doc, dict) else None
        if not isinstance(m, dict):
            raise DamagedScope(file, f"{name} is missing or not an object")
        maps.append(JsonMapping(m, f"{file}#{name}"))
    return maps[0], maps[1]


def open_scope(path: str | os.PathLike, *, mappings: str = "auto",
               verify: bool | None = None) -> Scope:
    """Opens the scope directory at `path` (on a scopefs mount or a copy of one).

    `mappings`: ``"auto"`` maps ``nodes.idx`` and ``links.idx`` when both are
    there and otherwise falls back to ``json.load`` of ``mappings.json`` (logged
    on the ``scopefs`` logger); ``"index"`` requires the index files
    (``FileNotFoundError`` without them); ``"json"`` always parses the JSON.

    `verify`: whether to check the CRC-32 of every index section, which reads
    both index files whole (about 0.15 s for 12 M ids). None (the default) checks
    them except on a scopefs mount, whose daemon checks them when it opens the
    file and answers EIO on damage. The header, section table and lengths are
    always checked.

    Raises ``OSError`` as the files do (``FileNotFoundError`` for no such scope,
    EBUSY for a pending one, EIO for damage the daemon found), ``DamagedIndex``
    or ``DamagedScope`` (both ``OSError`` with EIO) for damage found here.
    """
    path = os.fspath(path)
    if mappings not in MAPPINGS_MODES:
        raise ValueError(f"mappings={mappings!r}: give one of {', '.join(MAPPINGS_MODES)}")
    meta = read_meta(path)
    nodes = read_bits(os.path.join(path, "nodes.bits"), meta["total_nodes"])
    links = read_bits(os.path.join(path, "links.bits"), meta["total_links"])
    if mappings != "json":
        if verify is None:
            verify = not on_scopefs(path)
        try:
            node_map, link_map = _open_indexes(path, meta, verify)
            return Scope(path, meta, nodes, links, node_map, link_map)
        except FileNotFoundError as e:
            if mappings == "index":
                raise
            missing = os.path.basename(e.filename or "nodes.idx")
            logger.warning(
                "%s: no %s (a mount with -o index=off, or a scope from before index files): "
                "reading mappings.json with json.load, which parses every id (about 20 s "
                "for 12 M ids) instead of mapping the index", path, missing)
    node_map, link_map = _load_json(path)
    return Scope(path, meta, nodes, links, node_map, link_map)
