"""Random damage to an index file, many cases per run (seeded, so a failure
repeats): whatever is damaged, the reader gives a clean ``DamagedIndex`` (an
``OSError`` with ``errno.EIO`` naming the file), never a wrong value and never
an ``IndexError``, ``struct.error`` or other stray exception.

- Bytes flipped in the header, the section table, any section or the padding,
  and truncations at every length: caught at open (with ``verify=False`` too,
  except inside sections, whose CRCs only ``verify=True`` reads).
- Files whose CRCs were recomputed after the damage, as a buggy writer or a
  hostile file would make them: no check can tell a changed value from a real
  one, but every call must still answer or raise ``DamagedIndex``.
"""
import errno
import random
import struct
import zlib

import pytest

import scopefs
from index_writer import build_index, section_spans

MAPPING = {f"id-{i}": (i * 37) % 700 for i in range(700)}
MAPPING.update({"": 3, "été": 4, "😀": 5, "plumless": 6, "buckeroo": 7})  # the last two: one CRC-32
TOTAL = 700
HEAD = 64 + 6 * 24


@pytest.fixture(scope="module")
def good():
    data = build_index(MAPPING, TOTAL)
    assert len(data) < 64 << 10
    return data


def regions(data: bytes):
    """(name, first byte, end) of every part of the file."""
    out = [("header", 0, 64), ("table", 64, HEAD)]
    end = HEAD
    for name, (offset, length) in zip(("fanout", "hashes", "values", "offsets", "ids", "by_value"),
                                      section_spans(data)):
        if offset > end:
            out.append(("padding", end, offset))
        if length:
            out.append((name, offset, offset + length))
        end = offset + length
    return out


def damage(rng: random.Random, data: bytes, start: int, end: int) -> bytes:
    """1-8 bytes of [start, end) changed (each to another value)."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(start, end)
        b[at] ^= rng.randrange(1, 256)
    return bytes(b)


def with_fixed_crcs(data: bytes) -> bytes:
    """Every CRC the section table names recomputed, then the header's."""
    b = bytearray(data)
    if len(b) < HEAD:
        return data
    for s in range(6):
        offset, length = struct.unpack_from("<QQ", b, 64 + 24 * s)
        if offset + length <= len(b):
            struct.pack_into("<I", b, 64 + 24 * s + 16, zlib.crc32(bytes(b[offset:offset + length])))
    struct.pack_into("<I", b, 60, zlib.crc32(bytes(b[64:HEAD]), zlib.crc32(bytes(b[:60]))))
    return bytes(b)


def open_bytes(tmp_path, data: bytes, verify: bool):
    path = tmp_path / "x.idx"
    path.write_bytes(data)
    return scopefs.open_index(str(path), verify=verify)


def assert_clean(e: BaseException, tmp_path) -> None:
    assert isinstance(e, scopefs.DamagedIndex), repr(e)
    assert e.errno == errno.EIO and e.filename == str(tmp_path / "x.idx")


def expect_damaged(tmp_path, data: bytes, verify: bool) -> None:
    try:
        m = open_bytes(tmp_path, data, verify)
    except Exception as e:  # noqa: BLE001 - anything else is what this test looks for
        assert_clean(e, tmp_path)
        return
    m.close()
    pytest.fail("a damaged index opened")


def test_random_damage_anywhere_is_caught_at_open(tmp_path, good):
    rng = random.Random(14)
    parts = regions(good)
    assert {p[0] for p in parts} >= {"header", "table", "padding", "fanout", "hashes", "values",
                                     "offsets", "ids", "by_value"}
    for _ in range(1500):
        name, start, end = rng.choice(parts)
        data = damage(rng, good, start, end)
        expect_damaged(tmp_path, data, verify=True)
        if name in ("header", "table", "padding"):
            expect_damaged(tmp_path, data, verify=False)


def test_every_truncation_is_caught_at_open(tmp_path, good):
    for size in range(len(good)):
        expect_damaged(tmp_path, good[:size], verify=True)
        expect_damaged(tmp_path, good[:size], verify=False)
    for extra in (b"\0", b"\0" * 8, b"x" * 100):
        expect_damaged(tmp_path, good + extra, verify=False)


def answers(m, ids, values):
    """Every read of `m`, so a crafted file meets each code path."""
    for i in ids:
        m.get(i)
        i in m
        try:
            m[i]
        except KeyError:
            pass
    len(m)
    list(m)
    list(m.items())
    list(m.values())
    m.to_dict()
    m.get_many(ids)
    m.get_many([i for i in ids if i.isprintable()])  # all encodable: the numpy path
    m.ids_of(values)
    m.ids_of(list(values) * 10)  # 64 or more: the numpy path
    m.ids_of([-1, 0, 10**20, "x", None])


def test_damage_with_recomputed_crcs_never_escapes_as_another_error(tmp_path, good):
    rng = random.Random(41)
    parts = regions(good)
    ids = list(MAPPING)[:40] + ["absent", "id-9999", "\ud800"]
    values = list(range(0, TOTAL, 50)) + [TOTAL + 5]
    opened = 0
    for case in range(400):
        name, start, end = rng.choice(parts)
        data = with_fixed_crcs(damage(rng, good, start, end))
        try:
            m = open_bytes(tmp_path, data, verify=True)
        except Exception as e:  # noqa: BLE001
            assert_clean(e, tmp_path)
            continue
        opened += 1
        with m:
            try:
                answers(m, ids, values)
            except Exception as e:  # noqa: BLE001
                assert isinstance(e, scopefs.DamagedIndex), f"case {case}, {name}: {e!r}"
                assert e.errno == errno.EIO
    assert opened > 50  # the damage reached the sections' contents, not only the checks


def test_the_good_file_answers_every_read(tmp_path, good):
    with open_bytes(tmp_path, good, verify=True) as m:
        answers(m, list(MAPPING), list(range(TOTAL)))
        assert m.to_dict() == MAPPING
        assert list(m.get_many(list(MAPPING))) == list(MAPPING.values())
