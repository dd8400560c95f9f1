"""Reads a mapping index file (``nodes.idx`` / ``links.idx``) through mmap.

The format is described byte by byte in store/FORMAT.md ("nodes.idx and links.idx"):
a 64-byte header, a table of six sections, and the sections fanout, hashes,
values, offsets, ids and by_value. Opening one maps the file and checks it; no
step reads or parses the entries, so a lookup is ready at once, whatever the size.

Costs on a mapping of millions of ids (tools/bench_python.py measures them): a
lookup is a CRC-32 of the id, a bisect of a handful of hashes (the writer sizes the
fanout for about 8 per bucket) and one comparison of the id's bytes, a few
microseconds; ``get_many`` with numpy looks up a million ids in under a second;
``to_dict`` and iteration decode every id and cost seconds, like any dict that size.
"""
from __future__ import annotations

import functools
import inspect
import mmap
import operator
import os
import struct
import sys
from bisect import bisect_left
from collections.abc import ItemsView, Iterable, Iterator, Mapping, ValuesView
from itertools import islice
from zlib import crc32

from .crc_many import crc32_many
from .errors import DamagedIndex

MAGIC = b"SCOPEIDX"
VERSION = 1
HASH_CRC32 = 1
MAX_FANOUT_BITS = 24
SECTION_COUNT = 6
HEADER = struct.Struct("<8sIIQQBBBBI20sI")  # 64 bytes; header_crc is the last field
SECTION = struct.Struct("<QQII")  # offset, length, crc32, reserved
TABLE_END = HEADER.size + SECTION_COUNT * SECTION.size
FANOUT, HASHES, VALUES, OFFSETS, IDS, BY_VALUE = range(SECTION_COUNT)
SECTION_NAMES = ("fanout", "hashes", "values", "offsets", "ids", "by_value")

_GET_MANY_CHUNK = 1 << 16  # ids per vectorized step: bounds the temporary arrays
_NATIVE_LE = sys.byteorder == "little"
_CODES = {4: "I", 8: "Q"}
assert struct.calcsize("I") == 4 and struct.calcsize("Q") == 8


def numpy_or_none():
    """numpy if it can be imported, else None. Imported here, on the first bulk
    call, never at ``import scopefs``."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _ints(view: memoryview, width: int):
    """The little-endian unsigned integers of `view` as an indexable sequence:
    a cast of the mapped bytes (no copy) on little-endian hosts, a copy elsewhere."""
    code = _CODES[width]
    if _NATIVE_LE:
        return view.cast(code)
    import array

    a = array.array(code, bytes(view))
    a.byteswap()
    return a


# What reading a file whose CRCs hold but whose contents are inconsistent
# (written by a buggy or hostile writer) can raise: an offset or entry number
# past its section, an id that is not UTF-8. Reads turn them into DamagedIndex.
_STRAY_ERRORS = (IndexError, ValueError, OverflowError, struct.error)


def _damage_checked(method):
    """Wraps a reading method (or generator) of IndexMapping so that a stray
    error from inconsistent contents leaves it as DamagedIndex. No cost unless
    one is raised."""
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self, *args):
            try:
                yield from method(self, *args)
            except _STRAY_ERRORS as e:
                raise self._stray(e) from e
        return generator

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except _STRAY_ERRORS as e:
            raise self._stray(e) from e
    return call


class _Arrays:
    """numpy views of the mapped sections, made on the first bulk call."""

    def __init__(self, np, mm, spans, widths):
        vw, ow, pw = widths

        def at(section, dtype):
            offset, length = spans[section]
            width = np.dtype(dtype).itemsize
            return np.frombuffer(mm, dtype=dtype, count=length // width, offset=offset)

        self.hashes = at(HASHES, "<u4")
        self.values = at(VALUES, f"<u{vw}")
        self.offsets = at(OFFSETS, f"<u{ow}")
        # The 8 bytes at every byte offset of the ids section and after it, as one
        # little-endian integer (an unaligned strided view, no copy): ids compare
        # 8 bytes at a time.
        ids_offset = spans[IDS][0]
        self.words = np.ndarray((max(0, len(mm) - ids_offset - 7),), dtype="<u8", buffer=mm,
                                offset=ids_offset, strides=(1,))
        self.by_value = at(BY_VALUE, f"<u{pw}")
        # Signed, so that bucket bounds mix with numpy's int64 positions; the
        # caller checks the table runs from 0 up to count, which makes it exact.
        self.fanout = at(FANOUT, "<i8")
        self.low_bytes = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1],
                                  dtype=np.uint64)  # [k]: the mask of a word's first k bytes


def _differ(np, a: _Arrays, start, qwords, qstart, length):
    """For each candidate, whether the `length` id bytes at `start` in the ids
    section differ from those at `qstart` in the queries (both read through
    unaligned 8-byte words). Word by word across all candidates: the j-th step
    compares the j-th word of every id that long, masking the bytes past its end."""
    differ = np.zeros(len(start), dtype=bool)
    nwords = (length + 7) >> 3
    shortest = int(nwords.min()) if len(nwords) else 0
    start, qstart = start.copy(), qstart.copy()  # advanced a word per step
    for j in range(int(nwords.max(initial=0))):
        if j < shortest:  # every candidate has this word: no selection
            d = a.words[start] ^ qwords[qstart]
            if j == shortest - 1:
                d &= a.low_bytes[np.minimum(length - 8 * j, 8)]
            differ |= d != 0
            start += 8
            qstart += 8
        else:
            sel = np.flatnonzero(nwords > j)
            d = a.words[start[sel]] ^ qwords[qstart[sel]]
            d &= a.low_bytes[np.minimum(length[sel] - 8 * j, 8)]
            differ[sel] |= d != 0
            start[sel] += 8
            qstart[sel] += 8
    return differ


class IndexMapping(Mapping):
    """A read-only ``Mapping[str, int]`` over one mapped index file.

    ``m[id]``, ``m.get(id)``, ``id in m``, ``len(m)`` behave as on the dict
    ``json.load`` gives, with the same values (the last of duplicate ids wins).
    Iteration, ``keys()``, ``values()`` and ``items()`` go in index order (by
    value, then by entry number). Bulk calls: ``get_many`` and ``ids_of``;
    ``to_dict`` builds a real dict.

    Thread-safe for lookups (the mapped bytes never change); ``close()`` must not
    race them. After ``close()`` every call raises ``ValueError``.
    """

    __slots__ = ("path", "total", "verified", "_mm", "_views", "_count", "_fanout",
                 "_hashes", "_values", "_offsets", "_by_value", "_ids_base", "_ids_len",
                 "_spans", "_widths", "_np_arrays", "_shift")

    def __init__(self, path: str, mm: mmap.mmap, verified: bool):
        """Use ``open_index``: it maps the file and calls this."""
        self.path = path
        self.verified = verified
        self._mm = mm
        self._np_arrays = None
        self._views: list[memoryview] = []
        try:
            self._check_and_map()
        except BaseException:
            self.close()
            raise

    # --- opening -------------------------------------------------------------

    def _damaged(self, why: str) -> DamagedIndex:
        return DamagedIndex(self.path, f"damaged index: {why}")

    def _stray(self, e: BaseException) -> BaseException:
        """`e`, raised while reading: itself once closed (the ValueError of a
        closed file), else DamagedIndex: the sections contradict each other."""
        if self._mm.closed or isinstance(self._fanout, _Closed):
            return e
        return self._damaged(f"inconsistent sections ({type(e).__name__}: {e})")

    def _check_and_map(self) -> None:
        """The checks of store/FORMAT.md ("Checks"), then views of the sections."""
        mm, size = self._mm, len(self._mm)
        if size < HEADER.size:
            raise self._damaged(f"{size} bytes, shorter than the {HEADER.size}-byte header")
        (magic, version, hash_function, count, total, vw, ow, pw, fanout_bits,
         section_count, _reserved, header_crc) = HEADER.unpack_from(mm, 0)
        if magic != MAGIC:
            raise self._damaged(f"magic {magic!r}, not {MAGIC!r}")
        if version != VERSION:
            raise self._damaged(f"format version {version}; this scopefs package reads {VERSION}")
        if hash_function != HASH_CRC32:
            raise self._damaged(f"hash function {hash_function}; only {HASH_CRC32} (CRC-32) is known")
        for name, width in (("value", vw), ("offset", ow), ("position", pw)):
            if width not in _CODES:
                raise self._damaged(f"{name}_width {width}, not 4 or 8")
        if fanout_bits > MAX_FANOUT_BITS:
            raise self._damaged(f"fanout_bits {fanout_bits}, more than {MAX_FANOUT_BITS}")
        if section_count != SECTION_COUNT:
            raise self._damaged(f"section_count {section_count}, not {SECTION_COUNT}")
        if size < TABLE_END:
            raise self._damaged(f"{size} bytes, shorter than the header and section table")
        if crc32(mm[HEADER.size:TABLE_END], crc32(mm[:HEADER.size - 4])) != header_crc:
            raise self._damaged("header CRC-32 mismatch")
        want = {FANOUT: ((1 << fanout_bits) + 1) * 8, HASHES: count * 4, VALUES: count * vw,
                OFFSETS: (count + 1) * ow, BY_VALUE: count * pw}
        spans, crcs, end = [], [], TABLE_END
        for s in range(SECTION_COUNT):
            offset, length, section_crc, _ = SECTION.unpack_from(mm, HEADER.size + s * SECTION.size)
            name = SECTION_NAMES[s]
            if offset % 8:
                raise self._damaged(f"section {name} at {offset}, not a multiple of 8")
            if offset < end or offset - end > 7 or offset + length > size:
                raise self._damaged(f"section {name} [{offset}, {offset + length}) does not follow "
                                    f"the one before (ending at {end}) inside the file's {size} bytes")
            if mm[end:offset].count(0) != offset - end:
                raise self._damaged(f"non-zero padding before section {name}")
            end = offset + length
            if s in want and length != want[s]:
                raise self._damaged(f"section {name} is {length} bytes; count {count} needs {want[s]}")
            spans.append((offset, length))
            crcs.append(section_crc)
        if end != size:
            raise self._damaged(f"{size - end} bytes after the last section")
        if self.verified:
            for s, (offset, length) in enumerate(spans):
                if crc32(memoryview(mm)[offset:offset + length]) != crcs[s]:
                    raise self._damaged(f"section {SECTION_NAMES[s]} CRC-32 mismatch")
        base = memoryview(mm)
        self._views.append(base)

        def view(s: int, width: int):
            offset, length = spans[s]
            part = base[offset:offset + length]
            self._views.append(part)
            ints = _ints(part, width)
            if isinstance(ints, memoryview):
                self._views.append(ints)
            return ints

        self._fanout = view(FANOUT, 8)
        self._hashes = view(HASHES, 4)
        self._values = view(VALUES, vw)
        self._offsets = view(OFFSETS, ow)
        self._by_value = view(BY_VALUE, pw)
        self._ids_base, self._ids_len = spans[IDS]
        self._shift = 32 - fanout_bits  # a hash's bucket is hash >> shift (0 for 0 bits)
        if self._fanout[1 << fanout_bits] != count:
            raise self._damaged(f"fanout ends at {self._fanout[1 << fanout_bits]}, not count {count}")
        if self._offsets[0] != 0 or self._offsets[count] != self._ids_len:
            raise self._damaged(f"offsets run from {self._offsets[0]} to {self._offsets[count]}, "
                                f"not 0 to the ids section's {self._ids_len} bytes")
        self._count = count
        self.total = total
        self._spans = spans
        self._widths = (vw, ow, pw)

    def close(self) -> None:
        """Unmaps the file. Idempotent."""
        self._np_arrays = None
        for v in reversed(self._views):
            v.release()
        self._views.clear()
        closed = _Closed(self.path)
        self._fanout = self._hashes = self._values = self._offsets = self._by_value = closed
        try:
            self._mm.close()
        except BufferError:
            pass  # a numpy array still borrows it: unmapped once that array is freed

    def __enter__(self) -> IndexMapping:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<scopefs.IndexMapping {self.path}: {self._count} ids, total {self.total}>"

    # --- single lookups ------------------------------------------------------

    def _find_bytes(self, b: bytes, h: int) -> int:
        """The entry number of id `b` (hash `h`), or -1."""
        fanout = self._fanout
        top = h >> self._shift
        hi = fanout[top + 1]
        hashes = self._hashes
        i = bisect_left(hashes, h, fanout[top], hi)
        if i < hi and hashes[i] == h:
            offsets, mm, base = self._offsets, self._mm, self._ids_base
            while True:  # every entry with this hash: the hash alone never answers
                if mm[base + offsets[i]:base + offsets[i + 1]] == b:
                    return i
                i += 1
                if i >= hi or hashes[i] != h:
                    break
        return -1

    def _entry(self, key) -> int:
        try:
            b = key.encode()
        except (AttributeError, UnicodeEncodeError):  # not a str, or an unpaired surrogate
            if self._mm.closed:
                raise ValueError(f"{self.path} is closed") from None
            return -1
        try:
            return self._find_bytes(b, crc32(b))
        except _STRAY_ERRORS as e:
            raise self._stray(e) from e

    def __getitem__(self, key: str) -> int:
        """The index of `key`; KeyError when absent. One mmap lookup."""
        i = self._entry(key)
        if i < 0:
            raise KeyError(key)
        return self._values[i]

    def get(self, key, default=None):
        """The index of `key`, or `default` when absent. One mmap lookup."""
        i = self._entry(key)
        return default if i < 0 else self._values[i]

    def __contains__(self, key) -> bool:
        return self._entry(key) >= 0

    def __len__(self) -> int:
        return self._count

    def _id(self, i: int) -> str:
        offsets, base = self._offsets, self._ids_base
        return self._mm[base + offsets[i]:base + offsets[i + 1]].decode()

    # --- iteration, in index order -------------------------------------------

    @_damage_checked
    def __iter__(self) -> Iterator[str]:
        """The ids in index order, each decoded as it comes."""
        offsets, mm, base = self._offsets, self._mm, self._ids_base
        for i in self._by_value:
            yield mm[base + offsets[i]:base + offsets[i + 1]].decode()

    def items(self) -> ItemsView:
        return _IndexItems(self)

    def values(self) -> ValuesView:
        return _IndexValues(self)

    @_damage_checked
    def _iter_items(self) -> Iterator[tuple[str, int]]:
        offsets, mm, base, values = self._offsets, self._mm, self._ids_base, self._values
        for i in self._by_value:
            yield mm[base + offsets[i]:base + offsets[i + 1]].decode(), values[i]

    @_damage_checked
    def _iter_values(self) -> Iterator[int]:
        values = self._values
        for i in self._by_value:
            yield values[i]

    @_damage_checked
    def to_dict(self) -> dict[str, int]:
        """A new dict of every id, in index order. Decodes every id: on 12 M ids
        this takes seconds and the memory of a dict of that size."""
        blob = self._mm[self._ids_base:self._ids_base + self._ids_len]
        offsets = self._offsets.tolist()
        if blob.isascii():  # byte offsets are character offsets: slice one str
            text = blob.decode("ascii")
            ids = [text[a:b] for a, b in zip(offsets, islice(offsets, 1, None))]
        else:
            ids = [blob[a:b].decode() for a, b in zip(offsets, islice(offsets, 1, None))]
        del blob
        values = self._values.tolist()
        return {ids[i]: values[i] for i in self._by_value.tolist()}

    # --- bulk lookups --------------------------------------------------------

    @_damage_checked
    def get_many(self, ids: Iterable[str]):
        """The index of each id, -1 where absent: a numpy int64 array when numpy
        can be imported (vectorized: a million ids in well under a second), else
        a list of ints (one lookup per id)."""
        ids = ids if isinstance(ids, list) else list(ids)
        np = numpy_or_none()
        if np is None:
            entry, values = self._entry, self._values
            return [values[i] if i >= 0 else -1 for i in map(entry, ids)]
        out = np.full(len(ids), -1, dtype=np.int64)
        if self._count:
            arrays = self._numpy_arrays(np)
            for start in range(0, len(ids), _GET_MANY_CHUNK):
                chunk = ids[start:start + _GET_MANY_CHUNK]
                self._get_chunk(np, arrays, chunk, out[start:start + len(chunk)])
        elif self._mm.closed:
            raise ValueError(f"{self.path} is closed")
        return out

    def _numpy_arrays(self, np) -> _Arrays:
        if self._np_arrays is None:
            if self._mm.closed:
                raise ValueError(f"{self.path} is closed")
            arrays = _Arrays(np, self._mm, self._spans, self._widths)
            fanout = arrays.fanout
            if fanout[0] < 0 or (fanout[1:] < fanout[:-1]).any():
                raise self._damaged("the fanout table is not in ascending order")
            self._np_arrays = arrays
        return self._np_arrays

    def _get_chunk(self, np, a: _Arrays, ids: list, out) -> None:
        """Fills `out` with the index of each of `ids`. All at once: the ids'
        bytes (one join), their hashes, a binary search of each one's fanout
        bucket, then every candidate's bytes, compared 8 at a time. One by one:
        only ids whose hash another entry shares, and a chunk with a non-str id."""
        try:
            text = "".join(ids)
            qbuf = text.encode()
        except (TypeError, UnicodeEncodeError):  # some are not str
            entry, values = self._entry, self._values
            out[:] = [values[i] if i >= 0 else -1 for i in map(entry, ids)]
            return
        n = len(ids)
        if len(qbuf) == len(text):  # all ASCII: a character is a byte
            qlen = np.fromiter(map(len, ids), dtype=np.int64, count=n)
        else:
            qlen = np.fromiter(map(len, map(str.encode, ids)), dtype=np.int64, count=n)
        qbuf += bytes(8)  # every 8-byte read of an id stays inside
        qstart = np.cumsum(qlen) - qlen
        qhash = crc32_many(np, qbuf, qstart, qlen)
        pos = self._first_at_or_above(np, a, qhash)
        cand = np.flatnonzero(a.hashes[pos] == qhash)  # the first entry with the query's hash
        ent = pos[cand]
        start = a.offsets[ent].astype(np.int64)
        length = a.offsets[ent + 1].astype(np.int64) - start
        # Compare ids of the same length whose 8-byte words all lie inside the file.
        fast = (length == qlen[cand]) & (start + 8 * ((length + 7) >> 3) <= len(a.words) + 7)
        c, e = cand[fast], ent[fast]
        qwords = np.ndarray((len(qbuf) - 7,), dtype="<u8", buffer=qbuf, strides=(1,))
        matched = ~_differ(np, a, start[fast], qwords, qstart[c], length[fast])
        hit = c[matched]
        out[hit] = a.values[e[matched]]
        # The rest of the candidates: the first entry with the hash was another id
        # (a CRC-32 collision), or its words run past the file. One by one.
        values = self._values
        for q in np.setdiff1d(cand, hit, assume_unique=True).tolist():
            i = self._find_bytes(ids[q].encode(), int(qhash[q]))
            out[q] = values[i] if i >= 0 else -1

    def _first_at_or_above(self, np, a: _Arrays, qhash):
        """For each hash, the first entry whose hash is >= it (clamped to the last
        entry): a binary search of its fanout bucket, all hashes in step, with
        steps of a power of two wider than the widest bucket (some 8 entries per
        bucket: a handful of steps, each touching one cache line per hash). It
        costs about half of a search of the whole table, even one with the
        queries sorted first."""
        top = qhash.astype(np.int64) >> self._shift
        below = a.fanout[top] - 1  # the last entry known to hash below; -1 before the bucket
        end = a.fanout[top + 1]
        step = 1 << int((end - below).max(initial=1)).bit_length()
        while step > 1:
            step >>= 1
            probe = below + step
            np.copyto(below, probe, where=(probe < end) & (a.hashes.take(probe, mode="clip") < qhash))
        return np.minimum(below + 1, self._count - 1)

    def _first_entry_of(self, value: int) -> int:
        """The lowest entry number whose value is `value`, or -1 (bisects by_value;
        O(1) when index v sits at position v, as in a dense mapping)."""
        count = self._count
        if value < 0 or count == 0:
            return -1
        by_value, values = self._by_value, self._values
        k = value if value < count else count - 1
        if values[by_value[k]] != value or (k and values[by_value[k - 1]] == value):
            k = bisect_left(by_value, value, key=values.__getitem__)
            if k == count or values[by_value[k]] != value:
                return -1
        return by_value[k]

    @_damage_checked
    def ids_of(self, indices: Iterable[int]) -> list:
        """The id with each index, None where no id has it (the reverse lookup).
        When several ids share an index, the one first in entry order (hash, then
        bytes) is given. Vectorized with numpy for the dense case."""
        indices = indices if isinstance(indices, list) else list(indices)
        np = numpy_or_none()
        q = np.asarray(indices) if np is not None and len(indices) >= 64 else None
        if q is None or q.dtype.kind not in "iu" or self._count == 0:
            return [self._id_or_none(v) for v in indices]
        a = self._numpy_arrays(np)
        q = q.astype(np.int64, copy=False)
        k = np.clip(q, 0, self._count - 1)
        entry = a.by_value[k].astype(np.int64)
        before = a.values[a.by_value[np.maximum(k - 1, 0)]].astype(np.int64)
        dense = (a.values[entry].astype(np.int64) == q) & ((k == 0) | (before < q)) & (q >= 0)
        starts = a.offsets[entry].tolist()
        ends = a.offsets[entry + 1].tolist()
        mm, base = self._mm, self._ids_base
        return [mm[base + s:base + e].decode() if ok else self._id_or_none(v)
                for ok, s, e, v in zip(dense.tolist(), starts, ends, indices)]

    def _id_or_none(self, value) -> str | None:
        try:
            value = operator.index(value)
        except TypeError:
            return None
        i = self._first_entry_of(value)
        return None if i < 0 else self._id(i)


class _Closed:
    """Stands for the sections once the file is unmapped: any use is a ValueError."""

    def __init__(self, path: str):
        self._path = path

    def _fail(self, *args):
        raise ValueError(f"{self._path} is closed")

    __getitem__ = __len__ = __iter__ = _fail

    def __getattr__(self, name):
        self._fail()


class _IndexItems(ItemsView):
    __slots__ = ()

    def __iter__(self):
        return self._mapping._iter_items()


class _IndexValues(ValuesView):
    __slots__ = ()

    def __iter__(self):
        return self._mapping._iter_values()


def open_index(path: str | os.PathLike, *, verify: bool = True) -> IndexMapping:
    """Maps the index file at `path` and checks it (store/FORMAT.md, "Checks").

    With ``verify=True`` the CRC-32 of every section is checked too, which reads
    the whole file (about 3 GB/s); with ``verify=False`` only the header, the
    section table and the lengths are, for a file whose bytes the scopefs daemon
    has already checked. Raises ``DamagedIndex`` (an ``OSError``) on damage and
    the usual ``OSError`` when the file cannot be opened.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        try:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            raise DamagedIndex(path, "damaged index: the file is empty") from None
    return IndexMapping(path, mm, verify)  # it unmaps the file if a check fails
