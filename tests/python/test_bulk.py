"""get_many and ids_of, with numpy and as if it were missing, on index-backed
and JSON-backed mappings alike."""
import json
import os
import random
import subprocess
import sys
import zlib

import pytest

import scopefs
from index_writer import write_index
from test_index import colliding_pairs

np = pytest.importorskip("numpy")


@pytest.fixture(params=["numpy", "no numpy"])
def numpy_state(request, monkeypatch):
    if request.param == "no numpy":
        monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` raises ImportError
    return request.param


@pytest.fixture(scope="module")
def mappings(tmp_path_factory):
    """The same mapping, index-backed and JSON-backed: 200 k ids, shared values,
    colliding hashes, the empty id, non-ASCII ids."""
    rng = random.Random(5)
    mapping = {f"n:{rng.getrandbits(48):012x}": i for i in range(200_000)}
    for i, (a, b) in enumerate(colliding_pairs(6)):
        mapping[a] = mapping[b] = 200_000 + i  # two ids, one index
    mapping.update({"": 5, "été": 5, "😀": 7, "x" * 5000: 9})
    total = 200_010
    path = str(tmp_path_factory.mktemp("bulk") / "m.idx")
    write_index(path, mapping, total)
    index = scopefs.open_index(path)
    yield mapping, index, scopefs.JsonMapping(dict(mapping)), total
    index.close()


def queries(mapping):
    rng = random.Random(6)
    present = list(mapping)
    asked = rng.sample(present, 50_000) + present[-20:]
    asked += [k + "?" for k in asked[:5_000]] + ["", "nope", "n:"]
    asked += [b for _, b in colliding_pairs(9, prefix="zz")]  # hashes absent or colliding
    rng.shuffle(asked)
    return asked


@pytest.mark.parametrize("kind", ["index", "json"])
def test_get_many_matches_get(mappings, numpy_state, kind):
    mapping, index, js, _ = mappings
    m = index if kind == "index" else js
    asked = queries(mapping)
    got = m.get_many(asked)
    expected = [mapping.get(k, -1) for k in asked]
    if numpy_state == "numpy":
        assert isinstance(got, np.ndarray) and got.dtype == np.int64
        got = got.tolist()
    else:
        assert isinstance(got, list)
    assert got == expected
    # An id that cannot be encoded (an unpaired surrogate) is absent; it sends its
    # chunk down the one-by-one path, which must agree.
    assert list(m.get_many(asked + ["\ud800"])) == expected + [-1]
    # Any iterable, and ids that are not str (absent, like a dict's .get).
    assert list(m.get_many(iter(asked[:10]))) == expected[:10]
    assert list(m.get_many(tuple(asked[:10]) + (1, None, b"x"))) == expected[:10] + [-1, -1, -1]
    assert list(m.get_many([])) == []


def test_get_many_compares_ids_in_bulk(mappings, monkeypatch):
    """With numpy, only an id whose hash another entry shares (a CRC-32 collision)
    is looked up one by one; every other id is answered by the bulk comparison."""
    mapping, index, _, _ = mappings
    one_by_one = []
    find = scopefs.IndexMapping._find_bytes
    monkeypatch.setattr(scopefs.IndexMapping, "_find_bytes",
                        lambda self, b, h: one_by_one.append(b) or find(self, b, h))
    asked = queries(mapping)
    for ids in (asked, [k for k in asked if k]):  # without "", every id has a first word
        assert index.get_many(ids).tolist() == [mapping.get(k, -1) for k in ids]
    keys_of_hash = {}
    for k in mapping:
        keys_of_hash.setdefault(zlib.crc32(k.encode()), set()).add(k.encode())
    colliding = {b for b in (k.encode() for k in asked)
                 if keys_of_hash.get(zlib.crc32(b), {b}) - {b}}
    assert one_by_one and set(one_by_one) <= colliding


def test_get_many_takes_numpy_strings(mappings):
    mapping, index, _, _ = mappings
    keys = list(mapping)[:1000]
    assert index.get_many(np.array(keys)).tolist() == [mapping[k] for k in keys]


def reverse_by_entry_order(mapping):
    """index -> the id an index file gives for it: the lowest (CRC-32, bytes)."""
    best = {}
    for k, v in mapping.items():
        order = (zlib.crc32(k.encode()), k.encode())
        if v not in best or order < best[v][0]:
            best[v] = (order, k)
    return {v: k for v, (_, k) in best.items()}


@pytest.mark.parametrize("kind", ["index", "json"])
def test_ids_of_is_the_reverse_lookup(mappings, numpy_state, kind):
    mapping, index, js, total = mappings
    m = index if kind == "index" else js
    reverse = reverse_by_entry_order(mapping)
    rng = random.Random(8)
    asked = [rng.randrange(total) for _ in range(30_000)] + list(range(199_990, total))
    asked += [total, total + 5, -1, 10**12]
    got = m.ids_of(asked)
    assert got == [reverse.get(v) for v in asked]
    assert m.ids_of(np.array(asked[:100])) == got[:100]
    assert m.ids_of([1.5, None, "3"]) == [None, None, None]
    assert m.ids_of([]) == []


def test_a_sparse_mapping_reverses_by_bisection(tmp_path, numpy_state):
    mapping = {f"s{i}": i * 1000 for i in range(3000)}
    mapping["dup"] = 5000  # shares index 5000 with s5
    path = str(tmp_path / "s.idx")
    write_index(path, mapping, 3_000_000)
    m = scopefs.open_index(path)
    reverse = reverse_by_entry_order(mapping)
    asked = list(range(0, 3_000_000, 997)) + [5000, 2_999_000]
    assert m.ids_of(asked) == [reverse.get(v) for v in asked]


def test_import_scopefs_never_imports_numpy():
    code = ("import sys; import scopefs; assert 'numpy' not in sys.modules; "
            "sys.modules['numpy'] = None; "
            "m = scopefs.JsonMapping({'a': 1}); print(m.get_many(['a', 'b']))")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(__file__), "..", "..", "tools", "python"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1, -1]"


def test_crc32_many_is_zlibs_crc32():
    """The vectorized hash get_many uses: the shared vectors, every length from 0
    to 70 in one call (so words, tails and ragged columns all occur), non-ASCII."""
    from scopefs.crc_many import crc32_many

    with open(os.path.join(os.path.dirname(__file__), "hash_vectors.json")) as f:
        strings = [bytes.fromhex(v["utf8_hex"]) for v in json.load(f)]
    rng = random.Random(9)
    strings += [rng.randbytes(n) for n in range(71)] + [rng.randbytes(n) for n in range(70, -1, -1)]
    strings += ["été 😀".encode(), b"\0" * 9, b"x" * 5000]
    for group in (strings, strings[-5:], [b"abcd"] * 3, [b""]):
        lengths = np.array([len(s) for s in group], dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        got = crc32_many(np, b"".join(group) + bytes(3), starts, lengths)
        assert got.dtype == np.uint32
        assert got.tolist() == [zlib.crc32(s) for s in group]
    assert crc32_many(np, b"", np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == []
