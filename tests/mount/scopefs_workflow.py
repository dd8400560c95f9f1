"""The old CacheScopeManager's documented workflow on a mount, through
scopefs.CacheScopeManager: a program written for the old class, with its import
changed. Also scopefs.open_scope on the committed scope.

Usage: scopefs_workflow.py MOUNTPOINT; prints "ok indexed=True|False": whether
the mount served index files (False: open_scope took the JSON fallback).
"""
import datetime
import logging
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from bitarray import bitarray  # noqa: E402

import scopefs  # noqa: E402
from scopefs import CacheScopeManager  # noqa: E402  (was: from <old module> import CacheScopeManager)

mnt = sys.argv[1]
records = []


class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())


logging.getLogger("scopefs").addHandler(Keep())
logging.getLogger("scopefs").setLevel(logging.INFO)


class CoverageScope:
    """The old program's own scope type, built the way the old class built it."""

    def __init__(self, key, config, covered_nodes, covered_links, node_id_mapping,
                 link_id_mapping, total_nodes, total_links):
        self.key, self.config = key, config
        self.covered_nodes, self.covered_links = covered_nodes, covered_links
        self.node_id_mapping, self.link_id_mapping = node_id_mapping, link_id_mapping
        self.total_nodes, self.total_links = total_nodes, total_links


def make_scope(nodes, links, step=3, total_nodes=None):
    node_bits = bitarray(nodes)
    node_bits.setall(0)
    node_bits[::step] = 1
    link_bits = bitarray(links)
    link_bits.setall(0)
    link_bits[1::2] = 1
    node_ids = {f"n:{i:012x}": i for i in range(nodes - 3)}
    node_ids.update({"été": nodes - 3, "\U0001F600": nodes - 2, "": nodes - 1})
    link_ids = {f"n:{i:012x}->n:{i + 1:012x}": i for i in range(links)}
    return CoverageScope("k", None, node_bits, link_bits, node_ids, link_ids,
                         nodes if total_nodes is None else total_nodes, links)


with warnings.catch_warnings():
    warnings.simplefilter("error")  # the old defaults are the mount's defaults: no warning
    cache = CacheScopeManager(mnt, max_cache_size_gb=10.0, max_entries=100, ttl_hours=24,
                              scope_factory=CoverageScope)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    CacheScopeManager(mnt, max_entries=5)
assert any("max_entries 100 (asked for 5)" in str(w.message) for w in caught), caught

assert cache.get_cache_stats()["total_entries"] == 0
assert cache.list_cached_scopes() == []

# cache_scope: four files in a pending scope; the last close commits it.
one = make_scope(5001, 7003)
assert cache.cache_scope("scope-1", one, {"region": "eu", "depth": 2}) is True
assert cache.has_scope("scope-1") and not cache.has_scope("scope-2")

# load_scope: the program's own class, with the mount's mappings.
loaded = cache.load_scope("scope-1", {"run": 7})
assert isinstance(loaded, CoverageScope) and loaded.key == "scope-1" and loaded.config == {"run": 7}
assert loaded.covered_nodes == one.covered_nodes and loaded.covered_links == one.covered_links
assert loaded.total_nodes == 5001 and loaded.total_links == 7003
indexed = isinstance(loaded.node_id_mapping, scopefs.IndexMapping)
for mine, theirs in ((loaded.node_id_mapping, one.node_id_mapping),
                     (loaded.link_id_mapping, one.link_id_mapping)):
    assert len(mine) == len(theirs)
    for k, v in theirs.items():
        assert mine[k] == v
    assert "absent" not in mine and mine.get("n:zz") is None
    assert list(mine.get_many(["", "nope"] + list(theirs)[:100])) == [theirs.get("", -1), -1] + list(theirs.values())[:100]
    assert mine.ids_of([0, 10**9]) == [min((k for k, v in theirs.items() if v == 0)), None]
if not indexed:
    assert any("no nodes.idx" in r and "json.load" in r for r in records), records

# The default factory: scopefs.CoverageScope, and real dicts on request.
default = CacheScopeManager(mnt).load_scope("scope-1", mappings="dict")
assert isinstance(default, scopefs.CoverageScope)
assert type(default.node_id_mapping) is dict and default.node_id_mapping == one.node_id_mapping
assert default.link_id_mapping == one.link_id_mapping
assert default.config_attributes == {"region": "eu", "depth": 2}
assert abs(datetime.datetime.now() - default.created_at) < datetime.timedelta(minutes=10)

# open_scope on the mount: no CRC pass of its own where the daemon checks them.
with scopefs.open_scope(f"{mnt}/scope-1") as s:
    assert s.indexed == indexed and s.covered_nodes == one.covered_nodes
    assert s.meta["config_attributes"] == {"region": "eu", "depth": 2}
    if indexed:
        assert not s.node_id_mapping.verified

# A second scope; stats, list (most recently used first) and info.
two = make_scope(300, 200, step=5)
assert cache.cache_scope("scope-2", two, {"region": "us"})
assert cache.load_scope("scope-1") is not None  # now the most recently used
stats = cache.get_cache_stats()
assert stats["total_entries"] == 2 and stats["total_nodes"] == 5301 and stats["total_links"] == 7203
assert stats["total_size_mb"] > 0 and 0 < stats["cache_utilization"] < 1
assert stats["average_nodes_per_entry"] == 5301 // 2
assert stats["oldest_entry"] <= stats["newest_entry"]
listed = cache.list_cached_scopes()
assert [x["scope_key"] for x in listed] == ["scope-1", "scope-2"], listed
assert listed[1]["config_attributes"] == {"region": "us"} and listed[1]["total_nodes"] == 300
info = cache.get_scope_info("scope-2")
assert info["files_exist"] and info["files"]["nodes_file"] == f"{mnt}/scope-2/nodes.bits"
assert info["total_links"] == 200 and cache.get_scope_info("nope") is None

# A refused commit: the bits do not match the total. False, the .status reason
# logged, and nothing left behind.
bad = make_scope(13, 7, total_nodes=100)
assert cache.cache_scope("bad-1", bad, {}) is False
assert any("refused" in r and "nodes.bits" in r for r in records), records
assert not os.path.exists(f"{mnt}/bad-1") and not cache.has_scope("bad-1")

# Caching a key again replaces the scope, as the old class overwrote it.
assert cache.cache_scope("scope-2", make_scope(40, 30), {"v": 2})
assert cache.get_scope_info("scope-2")["total_nodes"] == 40

# invalidate, cleanup, clear.
assert cache.invalidate_scope("scope-1") is True
assert not cache.has_scope("scope-1") and cache.load_scope("scope-1") is None
assert cache.invalidate_scope("scope-1") is False
cache.cleanup()
assert any(r.startswith("Cleaned up") for r in records), records
cache.clear_cache()
assert cache.list_cached_scopes() == [] and cache.get_cache_stats()["total_entries"] == 0
print(f"ok indexed={indexed}")
