"""After a restart: every scope listed before the stop (BEFORE, a copy of
scopes.json) is still there with the same last access and its bytes, or its
TTL ran out.

Usage: after_restart.py MOUNTPOINT BEFORE_JSON TTL_SECONDS SOURCE...
Prints a JSON summary: before, kept, expired, lost, wrong, times_changed.
"""
import datetime, json, os, sys, time
mnt, before, ttl = sys.argv[1], json.load(open(sys.argv[2])), float(sys.argv[3])
sources = sys.argv[4:]
after = {m["scope_key"]: m for m in json.load(open(os.path.join(mnt, ".scopefs", "scopes.json")))}
out = {"before": len(before), "kept": 0, "expired": 0, "lost": [], "wrong": [], "times_changed": []}
def gone(m):  # lost, unless its TTL ran out (it may while this script reads)
    if datetime.datetime.fromisoformat(m["last_accessed"]).timestamp() + ttl <= time.time():
        out["expired"] += 1
    else:
        out["lost"].append(m["scope_key"])
for m in before:
    key = m["scope_key"]
    if key not in after:
        gone(m)
        continue
    if after[key]["last_accessed"] != m["last_accessed"]:
        out["times_changed"].append(key)
    src = sources[int(key.split("-s")[1])]
    try:
        first = open(os.path.join(mnt, key, "nodes.bits"), "rb")
    except FileNotFoundError:
        gone(after[key])
        continue
    out["kept"] += 1
    with first:  # opened, the scope is fresh again: from here on nothing may go
        if first.read() != open(os.path.join(src, "nodes.bits"), "rb").read():
            out["wrong"].append(key + "/nodes.bits")
    for f in ("links.bits", "mappings.json"):
        if open(os.path.join(mnt, key, f), "rb").read() != open(os.path.join(src, f), "rb").read():
            out["wrong"].append(key + "/" + f)
print(json.dumps(out))
