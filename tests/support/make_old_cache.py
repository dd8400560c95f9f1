"""Writes a cache directory the way the old Python CacheScopeManager did.

usage: make_old_cache.py DIR

Entries (times are naive local isoformat(), as the old class wrote them):
  odd13    13 nodes, 7 links (bit counts not multiples of 8); accessed 30 min ago
  wide     1000 nodes, 2500 links; accessed 10 min ago
  empty0   0 nodes, 0 links (empty bits files); accessed 5 min ago
  nolinks  its links file is missing
  badindex a mapping index past total_nodes
  stale    last accessed 3 days ago (past a 24 h TTL)
  orphan   a nodes file with no metadata entry
"""
import datetime
import gzip
import json
import os
import sys

from bitarray import bitarray

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
now = datetime.datetime.now()
metadata = {}


def bits(count, step):
    b = bitarray(count, endian="big")
    b.setall(0)
    b[::step] = 1
    return b


def write_entry(key, nodes, links, created_ago, accessed_ago, config, bad_index=False):
    node_bits, link_bits = bits(nodes, 3), bits(links, 2)
    with open(f"{out}/{key}_nodes.bits", "wb") as f:
        node_bits.tofile(f)
    with open(f"{out}/{key}_links.bits", "wb") as f:
        link_bits.tofile(f)
    mappings = {
        "node_id_mapping": {f"node-{i}": i for i in range(nodes)},
        "link_id_mapping": {f"link-{i}": i for i in range(links)},
    }
    if bad_index:
        mappings["node_id_mapping"]["node-x"] = nodes + 50
    with gzip.open(f"{out}/{key}_mappings.json.gz", "wt", compresslevel=6) as f:
        json.dump(mappings, f, separators=(",", ":"))
    metadata[key] = {
        "scope_key": key,
        "created_at": (now - created_ago).isoformat(),
        "last_accessed": (now - accessed_ago).isoformat(),
        "nodes_file_size": os.path.getsize(f"{out}/{key}_nodes.bits"),
        "links_file_size": os.path.getsize(f"{out}/{key}_links.bits"),
        "mappings_file_size": os.path.getsize(f"{out}/{key}_mappings.json.gz"),
        "total_nodes": nodes,
        "total_links": links,
        "config_attributes": config,
    }


hours = lambda h: datetime.timedelta(hours=h)
minutes = lambda m: datetime.timedelta(minutes=m)
write_entry("odd13", 13, 7, hours(5), minutes(30), {"region": "eu", "depth": 2})
write_entry("wide", 1000, 2500, hours(2), minutes(10), {"region": "us"})
write_entry("empty0", 0, 0, hours(1), minutes(5), {})
write_entry("nolinks", 20, 20, hours(3), minutes(20), {})
os.remove(f"{out}/nolinks_links.bits")
write_entry("badindex", 13, 7, hours(3), minutes(20), {}, bad_index=True)
write_entry("stale", 16, 16, hours(100), hours(72), {})
with open(f"{out}/orphan_nodes.bits", "wb") as f:
    f.write(b"\xff")
with open(f"{out}/cache_metadata.json", "w") as f:
    json.dump(metadata, f, indent=2)
