"""What a user's Python reads from the mount is what the old Python cache
(tests/support/make_old_cache.py) held: bits up to the totals, mappings,
config attributes and creation times of odd13, wide and empty0.

Usage: same_as_old_cache.py OLD_CACHE_DIR MOUNTPOINT; prints "ok".
"""
import datetime, gzip, json, sys
from bitarray import bitarray
old, mnt = sys.argv[1], sys.argv[2]
meta = json.load(open(old + "/cache_metadata.json"))
for key in ("odd13", "wide", "empty0"):
    m = json.load(open(f"{mnt}/{key}/meta.json"))
    for kind, total in (("nodes", "total_nodes"), ("links", "total_links")):
        n = m[total]
        assert n == meta[key][total]
        a = bitarray(endian="big"); a.fromfile(open(f"{old}/{key}_{kind}.bits", "rb"))
        b = bitarray(endian="big"); b.fromfile(open(f"{mnt}/{key}/{kind}.bits", "rb"))
        assert a[:n] == b[:n], (key, kind)
    assert json.load(gzip.open(f"{old}/{key}_mappings.json.gz")) == json.load(open(f"{mnt}/{key}/mappings.json"))
    assert m["config_attributes"] == meta[key]["config_attributes"]
    created = datetime.datetime.fromisoformat(meta[key]["created_at"]).astimezone()
    assert abs((created - datetime.datetime.fromisoformat(m["created_at"])).total_seconds()) < 1e-3
print("ok")
