"""A reference writer of the mapping index format (store/FORMAT.md, "nodes.idx
and links.idx", version 1), in plain Python, for test fixtures and benchmarks.

Written from the format description alone, apart from the package's reader, so
the reader's tests check it against the description rather than against itself.
It favours being obviously right over speed: 12 M ids take a minute or two.
"""
from __future__ import annotations

import array
import bisect
import itertools
import struct
import sys
import zlib

MAX_FANOUT_BITS = 24


def fanout_bits_for(entries: int) -> int:
    """The writer's choice, as the store makes it: about 8 entries per bucket, from the
    number of entries added (duplicates included: the store counts them as they stream)."""
    return min(max(entries.bit_length() - 3, 0), MAX_FANOUT_BITS)


def _le(code: str, ints) -> bytes:
    a = array.array(code, ints)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def _width_code(width: int) -> str:
    return {4: "I", 8: "Q"}[width]


def _pad8(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 8)


def build_index(pairs, total: int, *, value_width: int | None = None,
                offset_width: int | None = None, position_width: int | None = None,
                fanout_bits: int | None = None) -> bytes:
    """The bytes of an index over `pairs` ((id, index) in the JSON's order, or a
    dict): the last of duplicate ids wins, as in json.loads. Widths and fanout_bits
    default to the store's choice; a test may force others."""
    pairs = list(pairs.items() if isinstance(pairs, dict) else pairs)
    bits = fanout_bits_for(len(pairs)) if fanout_bits is None else fanout_bits
    latest = dict(pairs)  # the last one wins
    entries = sorted((zlib.crc32(b), b, v) for b, v in ((k.encode("utf-8"), v) for k, v in latest.items()))
    count = len(entries)
    hashes = [e[0] for e in entries]
    values = [e[2] for e in entries]
    ids = b"".join(e[1] for e in entries)
    offsets = list(itertools.accumulate((len(e[1]) for e in entries), initial=0))
    del entries
    assert all(0 <= v < total for v in values), "every index is below total"
    tops = [h >> (32 - bits) for h in hashes]  # 0 when bits is 0
    fanout = [bisect.bisect_left(tops, b) for b in range(1 << bits)] + [count]
    del tops
    by_value = sorted(range(count), key=values.__getitem__)  # stable: ties by entry number
    vw = value_width or (4 if total <= 1 << 32 else 8)
    ow = offset_width or (4 if len(ids) < 1 << 32 else 8)
    pw = position_width or (4 if count < 1 << 32 else 8)
    sections = [
        _le("Q", fanout),
        _le("I", hashes),
        _le(_width_code(vw), values),
        _le(_width_code(ow), offsets),
        ids,
        _le(_width_code(pw), by_value),
    ]
    table, body = b"", b""
    position = 64 + 24 * len(sections)
    for i, s in enumerate(sections):
        table += struct.pack("<QQII", position, len(s), zlib.crc32(s), 0)
        if i + 1 < len(sections):  # zeros up to the next section; none after the last
            s = _pad8(s)
        body += s
        position += len(s)
    head = struct.pack("<8sIIQQBBBBI20s", b"SCOPEIDX", 1, 1, count, total, vw, ow, pw,
                       bits, len(sections), b"\0" * 20)
    assert len(head) == 60
    header_crc = zlib.crc32(head + table)
    return head + struct.pack("<I", header_crc) + table + body


def write_index(path: str, pairs, total: int, **widths) -> None:
    """Writes build_index(pairs, total) to `path`."""
    with open(path, "wb") as f:
        f.write(build_index(pairs, total, **widths))


def section_spans(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each section, read from the table (for damage tests)."""
    return [struct.unpack_from("<QQ", data, 64 + 24 * s) for s in range(6)]


def write_scope_indexes(scope_dir: str) -> None:
    """Writes nodes.idx and links.idx beside a scope directory's mappings.json and
    meta.json, as a daemon with index files would serve them."""
    import json
    import os

    with open(os.path.join(scope_dir, "meta.json"), "rb") as f:
        meta = json.load(f)
    with open(os.path.join(scope_dir, "mappings.json"), "rb") as f:
        doc = json.load(f, object_pairs_hook=lambda pairs: pairs)  # keep duplicates
    doc = dict(doc)
    for kind, name in (("nodes", "node_id_mapping"), ("links", "link_id_mapping")):
        write_index(os.path.join(scope_dir, f"{kind}.idx"), doc.pop(name), meta[f"total_{kind}"])


if __name__ == "__main__":
    # usage: index_writer.py SCOPE_DIR...: writes each one's nodes.idx and links.idx
    for d in sys.argv[1:]:
        write_scope_indexes(d)
