"""stats.json and scopes.json describe a mount holding one scope, "a", of
5,001 nodes and 7,003 links; scopes.json's record is a/meta.json's.

Usage: control_files.py MOUNTPOINT; prints "ok".
"""
import json, sys
mnt = sys.argv[1]
stats = json.load(open(mnt + "/.scopefs/stats.json"))
assert stats["total_entries"] == 1, stats
assert stats["total_nodes"] == 5001 and stats["total_links"] == 7003, stats
scopes = json.load(open(mnt + "/.scopefs/scopes.json"))
assert [s["scope_key"] for s in scopes] == ["a"], scopes
meta = json.load(open(mnt + "/a/meta.json"))
for record in (scopes[0], meta):  # reading meta.json is an access
    del record["last_accessed"]
assert scopes[0] == meta, (scopes[0], meta)
print("ok")
