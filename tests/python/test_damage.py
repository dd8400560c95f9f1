"""A damaged index file gives a clean DamagedIndex at open, never a wrong value:
a flipped byte in the header, the section table or any section, a truncated or
empty file, random bytes."""
import errno
import os
import random
import struct
import zlib

import pytest

import scopefs
from index_writer import build_index, section_spans

MAPPING = {f"id-{i}": (i * 37) % 500 for i in range(500)}
MAPPING.update({"": 3, "été": 4, "😀": 5})


@pytest.fixture(scope="module")
def good():
    return build_index(MAPPING, 500)


def open_bytes(tmp_path, data: bytes, verify=True):
    path = tmp_path / "x.idx"
    path.write_bytes(data)
    return scopefs.open_index(str(path), verify=verify)


def flipped(data: bytes, at: int, bit: int = 0) -> bytes:
    b = bytearray(data)
    b[at] ^= 1 << bit
    return bytes(b)


def expect_damaged(tmp_path, data: bytes, verify=True):
    with pytest.raises(scopefs.DamagedIndex) as e:
        open_bytes(tmp_path, data, verify)
    assert isinstance(e.value, OSError) and e.value.errno == errno.EIO
    assert e.value.filename == str(tmp_path / "x.idx")  # the message names the file
    return str(e.value)


def test_the_good_file_opens_and_answers(tmp_path, good):
    m = open_bytes(tmp_path, good)
    assert m.to_dict() == MAPPING and m.verified


def test_every_header_and_table_byte_is_checked(tmp_path, good):
    for at in range(64 + 6 * 24):
        for bit in (0, 7):
            expect_damaged(tmp_path, flipped(good, at, bit))
            expect_damaged(tmp_path, flipped(good, at, bit), verify=False)  # checked either way


@pytest.mark.parametrize("section", range(6))
def test_a_flipped_byte_in_any_section_is_caught(tmp_path, good, section):
    offset, length = section_spans(good)[section]
    for at in sorted({offset, offset + length // 2, offset + length - 1}):
        message = expect_damaged(tmp_path, flipped(good, at, 3))
        assert "CRC-32" in message


def test_padding_and_trailing_bytes_are_checked(tmp_path, good):
    spans = section_spans(good)
    padded = [(offset + length) for offset, length in spans[:-1] if (offset + length) % 8]
    assert padded
    for at in padded:
        assert "padding" in expect_damaged(tmp_path, flipped(good, at, 1), verify=False)
    assert "after the last section" in expect_damaged(tmp_path, good + b"\0", verify=False)


def test_truncated_and_empty_files(tmp_path, good):
    expect_damaged(tmp_path, b"")
    offset, length = section_spans(good)[-1]
    for size in (10, 63, 64, 100, 207, 208, len(good) // 2, offset + length - 1):
        expect_damaged(tmp_path, good[:size])
        expect_damaged(tmp_path, good[:size], verify=False)


def test_magic_version_hash_widths_and_counts_are_named(tmp_path, good):
    def patched(fmt, at, value):
        b = bytearray(good)
        struct.pack_into(fmt, b, at, value)
        b[60:64] = struct.pack("<I", zlib.crc32(bytes(b[:60]) + bytes(b[64:208])))
        return bytes(b)

    assert "magic" in expect_damaged(tmp_path, patched("<8s", 0, b"SCOPEIDY"))
    assert "version 2" in expect_damaged(tmp_path, patched("<I", 8, 2))
    assert "hash function" in expect_damaged(tmp_path, patched("<I", 12, 2))
    assert "value_width 5" in expect_damaged(tmp_path, patched("<B", 32, 5))
    assert "offset_width" in expect_damaged(tmp_path, patched("<B", 33, 2))
    assert "position_width" in expect_damaged(tmp_path, patched("<B", 34, 16))
    assert "fanout_bits 25" in expect_damaged(tmp_path, patched("<B", 35, 25))
    assert "section fanout" in expect_damaged(tmp_path, patched("<B", 35, 3))
    assert "section_count" in expect_damaged(tmp_path, patched("<I", 36, 7))
    assert "count" in expect_damaged(tmp_path, patched("<Q", 16, len(MAPPING) + 1))
    assert "inside the file" in expect_damaged(tmp_path, patched("<Q", 64 + 24 * 4 + 8, 1 << 40))
    assert "multiple of 8" in expect_damaged(tmp_path, patched("<Q", 64 + 24 * 2, 212))
    assert "does not follow" in expect_damaged(tmp_path, patched("<Q", 64 + 24 * 2, 208))


def test_random_bytes_give_a_clean_error(tmp_path, good):
    rng = random.Random(3)
    for _ in range(300):
        size = rng.choice((rng.randrange(0, 300), rng.randrange(0, len(good) + 100)))
        data = bytes(rng.getrandbits(8) for _ in range(min(size, 400))) + bytes(max(0, size - 400))
        if rng.random() < 0.5:
            data = good[:64] + data[64:]  # a real header over random sections
        expect_damaged(tmp_path, data)


def test_open_scope_refuses_an_index_for_another_total(tmp_path):
    from test_scope import make_scope

    d = make_scope(tmp_path, {"a": 0}, {"l": 0}, 1, 1, index=True)
    (d / "nodes.idx").write_bytes(build_index({"a": 0}, 2))
    with pytest.raises(scopefs.DamagedScope, match="total_nodes 1"):
        scopefs.open_scope(d)
