"""Checks a scope's index files on the mount against its source mappings, as a
Python user reads them: scopefs.open_scope must take the index (no JSON
parse), every id must give json.load's value, absent ids none, and the
reverse lookup must give the ids back. The .idx files are mmapped.

Usage: check_index.py SOURCE_DIR MOUNTED_SCOPE_DIR [--expect-json]; prints
"ok indexed=True|False", or fails an assert.
"""
import json
import mmap
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
import scopefs  # noqa: E402

src, dst = sys.argv[1], sys.argv[2]
expect_json = "--expect-json" in sys.argv[3:]
mappings = json.load(open(os.path.join(src, "mappings.json")))
with scopefs.open_scope(dst) as s:
    assert s.indexed == (not expect_json), ("indexed", s.indexed)
    for name, m in (("node_id_mapping", s.node_id_mapping), ("link_id_mapping", s.link_id_mapping)):
        want = mappings[name]
        assert len(m) == len(want), (name, len(m), len(want))
        for i, (k, v) in enumerate(want.items()):
            assert m[k] == v, (name, k, m.get(k), v)
        assert m.get("no such id") is None and "no such id" not in m
        sample = list(want)[:: max(1, len(want) // 1000)]
        assert m.ids_of([want[k] for k in sample]) == sample, name
if not expect_json:
    # mmap works on the mount (page cache, never direct_io) and shows the file's bytes.
    for f in ("nodes.idx", "links.idx"):
        with open(os.path.join(dst, f), "rb") as fh:
            data = fh.read()
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                assert mm[:] == data and data[:8] == b"SCOPEIDX", f
print("ok indexed=%s" % (not expect_json))
