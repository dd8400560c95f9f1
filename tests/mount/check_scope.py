"""Checks a scope on the mount against its source as a user's Python reads it:
bitarray trimmed to the totals, json.load of the mappings, meta.json's fields.

Usage: check_scope.py SOURCE_DIR MOUNTED_SCOPE_DIR; prints "ok", or fails an assert.
"""
import sys, json
from bitarray import bitarray
src, dst = sys.argv[1], sys.argv[2]
meta = json.load(open(dst + "/meta.json"))
smeta = json.load(open(src + "/meta.json"))
for name, total in (("nodes.bits", "total_nodes"), ("links.bits", "total_links")):
    n = meta[total]
    assert n == smeta[total], (total, n)
    a = bitarray(endian="big"); a.fromfile(open(src + "/" + name, "rb"))
    b = bitarray(endian="big"); b.fromfile(open(dst + "/" + name, "rb"))
    assert len(b) == (n + 7) // 8 * 8, name
    assert a[:n] == b[:n], name
assert json.load(open(src + "/mappings.json")) == json.load(open(dst + "/mappings.json"))
assert meta["config_attributes"] == smeta["config_attributes"]
for k in ("scope_key", "created_at", "last_accessed", "nodes_file_size", "links_file_size",
          "mappings_file_size", "mappings_size"):
    assert k in meta, k
assert meta["scope_key"] == dst.rstrip("/").split("/")[-1]
print("ok")
