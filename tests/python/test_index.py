"""IndexMapping answers exactly what json.load's dict answers: every id of a
1 M-entry mapping, absent ids, escapes, surrogate pairs, non-ASCII, the empty
id, very long ids, duplicates (the last wins), CRC-32 collisions, an empty mapping.
"""
import json
import os
import random
import zlib
from collections.abc import Mapping

import pytest

import scopefs
from index_writer import build_index, write_index

HERE = os.path.dirname(os.path.abspath(__file__))


def index_of_json(tmp_path, text: str, name="m.idx", total=None, **widths):
    """The IndexMapping of the JSON object `text` (its pairs, duplicates kept, go
    to the writer) and json.loads's dict of it."""
    pairs = json.loads(text, object_pairs_hook=list)
    expected = json.loads(text)
    total = total if total is not None else max(expected.values(), default=-1) + 1
    path = str(tmp_path / name)
    write_index(path, pairs, total, **widths)
    return scopefs.open_index(path), expected


def colliding_pairs(count: int, prefix="c:"):
    """`count` pairs of distinct ids with equal CRC-32s, found by the birthday
    bound among random ids (ids that differ in 4 bytes or fewer never collide)."""
    rng = random.Random(prefix)
    seen, pairs = {}, []
    while len(pairs) < count:
        s = f"{prefix}{rng.getrandbits(64):016x}"
        h = zlib.crc32(s.encode())
        if h in seen and seen[h] != s:
            pairs.append((seen[h], s))
        else:
            seen[h] = s
    return pairs


def test_hash_vectors_match_the_format():
    with open(os.path.join(HERE, "hash_vectors.json")) as f:
        vectors = json.load(f)
    for v in vectors:
        s = json.loads(v["json"])
        b = s.encode("utf-8")
        assert b.hex() == v["utf8_hex"], v
        assert zlib.crc32(b) == int(v["crc32"], 16), v


def test_writer_layout_follows_the_format():
    data = build_index({"a": 0, "b": 1}, 2)
    assert data[:8] == b"SCOPEIDX"
    assert int.from_bytes(data[8:12], "little") == 1  # version
    assert int.from_bytes(data[12:16], "little") == 1  # CRC-32
    assert int.from_bytes(data[16:24], "little") == 2  # count
    assert int.from_bytes(data[24:32], "little") == 2  # total
    assert tuple(data[32:36]) == (4, 4, 4, 0)  # 2 entries: one fanout bucket
    assert int.from_bytes(data[36:40], "little") == 6
    assert data[40:60] == bytes(20)
    assert zlib.crc32(data[:60] + data[64:64 + 144]) == int.from_bytes(data[60:64], "little")


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    """A 1 M-entry mapping's JSON text as a scope would hold it, its dict and index."""
    rng = random.Random(14)
    ids = set()
    while len(ids) < 1_000_000:
        r = rng.random()
        if r < 0.6:
            ids.add(f"n:{rng.getrandbits(48):012x}")
        elif r < 0.95:
            ids.add(f"n:{rng.getrandbits(48):012x}->n:{rng.getrandbits(48):012x}")
        else:
            ids.add("".join(chr(rng.choice((rng.randrange(32, 0x7f), rng.randrange(0xa0, 0xd7ff),
                                            rng.randrange(0x10000, 0x10ffff))))
                            for _ in range(rng.randrange(0, 12))))
    ordered = sorted(ids)
    rng.shuffle(ordered)
    text = json.dumps({k: i for i, k in enumerate(ordered)}, separators=(",", ":"))
    tmp = tmp_path_factory.mktemp("million")
    m, expected = index_of_json(tmp, text)
    yield m, expected
    m.close()


def test_every_id_of_a_million_matches_json_load(million):
    m, expected = million
    assert len(m) == len(expected) == 1_000_000
    assert m.total == 1_000_000
    for k, v in expected.items():
        assert m[k] == v
    # By hash, such a mapping has about a hundred colliding pairs: all answered.
    by_hash = {}
    for k in expected:
        by_hash.setdefault(zlib.crc32(k.encode()), []).append(k)
    shared = [ks for ks in by_hash.values() if len(ks) > 1]
    assert len(shared) > 20
    for ks in shared:
        for k in ks:
            assert m[k] == expected[k]


def test_absent_ids_are_absent(million):
    m, expected = million
    rng = random.Random(7)
    absent = [f"n:{rng.getrandbits(48):012x}x" for _ in range(50_000)]
    absent += [k[:-1] for k in list(expected)[:20_000] if k]  # prefixes of present ids
    absent += [k + "\0" for k in list(expected)[:20_000]]  # extensions of present ids
    # Ids whose CRC-32 equals a present id's: the hash alone must never answer.
    present_hashes = {zlib.crc32(k.encode()): k for k in expected}
    i = found = 0
    while found < 200:
        s = f"probe:{i}"
        if zlib.crc32(s.encode()) in present_hashes:
            absent.append(s)
            found += 1
        i += 1
    for k in absent:
        if k in expected:
            continue
        assert k not in m
        assert m.get(k) is None
        assert m.get(k, -5) == -5
        with pytest.raises(KeyError):
            m[k]


def test_it_is_a_read_only_mapping(million):
    m, expected = million
    assert isinstance(m, Mapping)
    assert not hasattr(m, "__setitem__")
    with pytest.raises(TypeError):
        m["x"] = 1
    for bad in (1, None, b"n:0", 2.5, ("a",)):
        assert bad not in m
        assert m.get(bad) is None
        with pytest.raises(KeyError):
            m[bad]
    assert "\ud800" not in m  # an unpaired surrogate cannot be in an index


def test_iteration_goes_in_index_order(tmp_path):
    text = '{"z":2,"y":0,"x":1,"w":1}'
    m, expected = index_of_json(tmp_path, text)
    values = list(m.values())
    assert values == sorted(values) == [0, 1, 1, 2]
    assert [k for k in m] == [k for k, _ in m.items()]
    assert dict(m.items()) == expected
    assert m.to_dict() == expected
    assert list(m.to_dict().values()) == [0, 1, 1, 2]
    assert set(m.keys()) == set(expected)
    assert ("x", 1) in m.items() and ("x", 2) not in m.items()
    assert m == expected


def test_escapes_surrogates_non_ascii_empty_and_long_ids(tmp_path):
    long_id = "L" * 200_000
    text = ('{"":0,"\\"quoted\\"":1,"back\\\\slash":2,"\\n\\t\\r\\b\\f":3,"\\u0000nul":4,'
            '"\\u00e9t\\u00e9":5,"été":6,"\\ud83d\\ude00":7,"😀x":8,"日本語":9,'
            '"\\/slash":10,"\\u0041":11,"' + long_id + '":12,"\\uD834\\uDD1E":13}')
    m, expected = index_of_json(tmp_path, text)
    assert len(m) == len(expected) == 13  # été twice: escaped and not
    for k, v in expected.items():
        assert m[k] == v, repr(k)
    assert m["\U0001F600"] == 7 and m["\U0001D11E"] == 13
    assert m["été"] == 6 and m["\u00e9t\u00e9"] == 6  # the same id, escaped or not: last wins
    assert m["/slash"] == 10 and m["A"] == 11 and m[""] == 0
    assert m["\x00nul"] == 4 and m[long_id] == 12
    assert "L" * 199_999 not in m
    assert m.to_dict() == expected
    assert sorted(m.ids_of(range(14)), key=str) == sorted(list(expected) + [None], key=str)


def test_duplicates_last_one_wins(tmp_path):
    text = '{"a":1,"b":2,"a":3,"c":4,"b":0,"a":5}'
    m, expected = index_of_json(tmp_path, text, total=6)
    assert expected == {"a": 5, "b": 0, "c": 4}
    assert len(m) == 3
    assert m.to_dict() == expected
    assert m.ids_of([5, 0, 4, 1, 3]) == ["a", "b", "c", None, None]


def test_crc_collisions_are_told_apart(tmp_path):
    pairs = colliding_pairs(5)
    mapping = {}
    for i, (a, b) in enumerate(pairs):
        mapping[a] = 2 * i
        mapping[b] = 2 * i + 1
    lonely = colliding_pairs(8, prefix="q:")[5:]  # one of each pair present, the other not
    for a, _ in lonely:
        mapping[a] = 50
    path = str(tmp_path / "c.idx")
    write_index(path, mapping, 51)
    m = scopefs.open_index(path)
    for k, v in mapping.items():
        assert m[k] == v
    for _, b in lonely:
        assert b not in m
    assert list(m.get_many([b for _, b in lonely])) == [-1, -1, -1]
    assert list(m.get_many(list(mapping))) == list(mapping.values())


@pytest.mark.parametrize("bits", [0, 1, 5, 16, 20])
def test_any_fanout_width(tmp_path, bits):
    mapping = {f"f{i}": i for i in range(3000)}
    path = str(tmp_path / "f.idx")
    write_index(path, mapping, 3000, fanout_bits=bits)
    m = scopefs.open_index(path)
    assert m.to_dict() == mapping and "f3000" not in m
    assert list(m.get_many(["f7", "zz"])) == [7, -1]


def test_the_writer_sizes_the_fanout_to_the_entries():
    from index_writer import fanout_bits_for

    assert [fanout_bits_for(n) for n in (0, 7, 8, 16, 1000, 8_000_000, 1 << 40)] == [0, 0, 1, 2, 7, 20, 24]


def test_empty_mapping(tmp_path):
    m, expected = index_of_json(tmp_path, "{}", total=0)
    assert len(m) == 0 and expected == {}
    assert "" not in m and m.get("a") is None
    assert list(m) == [] and list(m.items()) == [] and m.to_dict() == {}
    assert list(m.get_many(["a", ""])) == [-1, -1]
    assert m.ids_of([0, 1]) == [None, None]
    data = build_index({}, 0)
    spans = [int.from_bytes(data[64 + 24 * s + 8:64 + 24 * s + 16], "little") for s in range(6)]
    assert spans == [2 * 8, 0, 0, 4, 0, 0]  # fanout_bits 0: two zeros


@pytest.mark.parametrize("widths", [dict(value_width=8), dict(offset_width=8),
                                    dict(position_width=8),
                                    dict(value_width=8, offset_width=8, position_width=8)])
def test_eight_byte_widths(tmp_path, widths):
    text = json.dumps({f"k{i}": (i * 7) % 1000 for i in range(1000)})
    m, expected = index_of_json(tmp_path, text, total=5_000_000_000, **widths)
    assert m.total == 5_000_000_000
    assert m.to_dict() == expected
    assert list(m.get_many(list(expected) + ["nope"])) == list(expected.values()) + [-1]
    assert m.ids_of([7, 1001]) == ["k1", None]


def test_big_values_need_eight_bytes(tmp_path):
    path = str(tmp_path / "big.idx")
    write_index(path, {"far": 2**33, "near": 1}, 2**34)
    m = scopefs.open_index(path)
    assert m["far"] == 2**33 and m["near"] == 1
    assert list(m.get_many(["far", "near"])) == [2**33, 1]
    assert m.ids_of([2**33]) == ["far"]


def test_closed_mapping_raises_value_error(tmp_path):
    m, _ = index_of_json(tmp_path, '{"a":0}')
    with m:
        assert m["a"] == 0
    for call in (lambda: m["a"], lambda: m.get("a"), lambda: "a" in m, lambda: list(m),
                 lambda: m.get_many(["a"]), lambda: m.ids_of([0]), lambda: m.to_dict()):
        with pytest.raises(ValueError):
            call()
    m.close()  # idempotent
