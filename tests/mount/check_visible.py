"""Every scope the mount lists equals its source, file by file; prints the
keys it saw, one per line.

Usage: check_visible.py MOUNTPOINT SOURCES_JSON ({"key": "source dir", ...})
"""
import filecmp, json, os, sys
mnt, sources = sys.argv[1], json.loads(sys.argv[2])
for key in sorted(os.listdir(mnt)):
    if key == ".scopefs":
        continue
    src = sources[key]
    for f in ("nodes.bits", "links.bits", "mappings.json"):
        assert filecmp.cmp(os.path.join(src, f), os.path.join(mnt, key, f), shallow=False), (key, f)
    meta = json.load(open(os.path.join(mnt, key, "meta.json")))
    assert meta["total_nodes"] == json.load(open(os.path.join(src, "meta.json")))["total_nodes"], key
    print(key)
