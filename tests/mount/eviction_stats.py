"""After one eviction in a cache of max_entries 3: prints total_entries,
evictions, commits, max_entries, whether there were misses and whether
bytes_served covers SOURCE's mappings; asserts the Prometheus metrics agree.

Usage: eviction_stats.py MOUNTPOINT SOURCE_SCOPE
"""
import json, os, sys
mnt = sys.argv[1]
s = json.load(open(mnt + "/.scopefs/stats.json"))
print(s["total_entries"], s["evictions"], s["commits"], s["max_entries"], s["misses"] > 0,
      s["bytes_served"] >= os.path.getsize(sys.argv[2] + "/mappings.json"))
m = open(mnt + "/.scopefs/metrics").read()
assert "# TYPE scopefs_evictions_total counter" in m and "scopefs_evictions_total 1" in m, m
assert "scopefs_entries 3" in m, m
