"""CacheScopeManager against a directory laid out like a mount (its control
files written by hand). The whole workflow on a real mount, commits and refusals
included, is tests/mount/python_package_test.cc."""
import datetime
import json
import logging
import warnings

import pytest
from bitarray import bitarray

import scopefs
from test_scope import LINKS, NODES, bits, make_scope

STATS = {"total_entries": 2, "total_size": 3 * 1024 * 1024, "max_size": 10 * 1024**3,
         "max_entries": 100, "ttl_seconds": 86400, "total_nodes": 26, "total_links": 15,
         "oldest_entry": "2026-01-02T03:04:05.000000+00:00",
         "newest_entry": "2026-01-03T03:04:05.000000+00:00"}


def scope_meta(key, accessed):
    return {"scope_key": key, "created_at": "2026-01-02T03:04:05.000000+00:00",
            "last_accessed": accessed, "nodes_file_size": 2, "links_file_size": 1,
            "mappings_file_size": 1024 * 1024, "total_nodes": 13, "total_links": 7,
            "config_attributes": {"region": "eu"}, "mappings_size": 300}


@pytest.fixture
def mount(tmp_path):
    """A directory that looks like a mount with scopes a (indexed) and b (not)."""
    (tmp_path / ".scopefs").mkdir()
    (tmp_path / ".scopefs" / "stats.json").write_text(json.dumps(STATS))
    (tmp_path / ".scopefs" / "scopes.json").write_text(json.dumps(
        [scope_meta("b", "2026-01-05T00:00:00.000000+00:00"),
         scope_meta("a", "2026-01-04T00:00:00.000000+00:00")]))
    make_scope(tmp_path, NODES, LINKS, 13, 7, name="a")
    make_scope(tmp_path, NODES, LINKS, 13, 7, index=False, name="b")
    return tmp_path


def manager(mount, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the defaults match STATS: no warning
        return scopefs.CacheScopeManager(str(mount), **kw)


def local(iso):
    return datetime.datetime.fromisoformat(iso).astimezone().replace(tzinfo=None)


def test_the_constructor_keeps_the_old_signature_and_checks_limits(mount, tmp_path_factory):
    m = manager(mount)
    assert m.max_cache_size_bytes == 10 * 1024**3 and m.max_entries == 100
    assert m.ttl == datetime.timedelta(hours=24)
    with pytest.warns(UserWarning, match=r"max_entries 100 \(asked for 50\).*ttl_seconds 86400"):
        scopefs.CacheScopeManager(str(mount), 10.0, 50, 48)
    with pytest.raises(ValueError, match="not a scopefs mount"):
        scopefs.CacheScopeManager(str(tmp_path_factory.mktemp("plain")))


@pytest.mark.parametrize("key,indexed", [("a", True), ("b", False)])
def test_load_scope(mount, key, indexed):
    m = manager(mount)
    s = m.load_scope(key, {"my": "config"})
    assert isinstance(s, scopefs.CoverageScope)
    assert s.key == key and s.config == {"my": "config"}
    assert s.covered_nodes == bits(13, 3) and s.covered_links == bits(7, 2)
    assert s.total_nodes == 13 and s.total_links == 7
    assert isinstance(s.node_id_mapping, scopefs.IndexMapping if indexed else scopefs.JsonMapping)
    assert dict(s.node_id_mapping) == NODES and dict(s.link_id_mapping) == LINKS
    assert s.config_attributes == {"region": "eu"}
    assert s.created_at == local("2026-01-02T03:04:05+00:00")
    s.close()
    d = m.load_scope(key, mappings="dict")
    assert type(d.node_id_mapping) is dict and d.node_id_mapping == NODES
    assert d.link_id_mapping == LINKS


def test_load_scope_with_a_factory_and_absent_keys(mount):
    class OldCoverageScope:  # a program's own class, built as the old class built it
        def __init__(self, key, config, covered_nodes, covered_links, node_id_mapping,
                     link_id_mapping, total_nodes, total_links):
            self.key, self.nodes = key, covered_nodes

    m = scopefs.CacheScopeManager(str(mount), scope_factory=OldCoverageScope)
    assert m.load_scope("a").nodes == bits(13, 3)
    for absent in ("zz", "../a", ".scopefs", "", "a/b", None):
        assert m.load_scope(absent) is None
    (mount / "a" / ".status").write_text("waiting for meta.json\n")  # as if pending
    assert m.load_scope("a") is None and not m.has_scope("a")


def test_a_damaged_scope_loads_as_none_and_is_logged(mount, caplog):
    (mount / "a" / "links.bits").write_bytes(b"")
    with caplog.at_level(logging.ERROR, logger="scopefs"):
        assert manager(mount).load_scope("a") is None
    assert "links.bits" in caplog.text


def test_stats_list_and_info_have_the_old_keys(mount):
    m = manager(mount)
    stats = m.get_cache_stats()
    assert stats == {
        "total_entries": 2, "total_size_mb": 3.0, "total_size_gb": 3 / 1024,
        "total_nodes": 26, "total_links": 15, "cache_utilization": 3 / 10240,
        "oldest_entry": local(STATS["oldest_entry"]), "newest_entry": local(STATS["newest_entry"]),
        "average_nodes_per_entry": 13, "average_links_per_entry": 7}
    listed = m.list_cached_scopes()
    assert [s["scope_key"] for s in listed] == ["b", "a"]  # most recently used first
    assert set(listed[0]) == {"scope_key", "created_at", "last_accessed", "nodes_size_mb",
                              "links_size_mb", "mappings_size_mb", "total_size_mb",
                              "total_nodes", "total_links", "config_attributes"}
    assert listed[0]["last_accessed"] == local("2026-01-05T00:00:00+00:00").isoformat()
    assert listed[0]["mappings_size_mb"] == 1.0
    info = m.get_scope_info("a")
    assert set(info) == {"scope_key", "created_at", "last_accessed", "total_nodes",
                         "total_links", "files", "total_size_mb", "config_attributes",
                         "files_exist"}
    assert info["files"]["nodes_file"] == str(mount / "a" / "nodes.bits")
    assert info["files_exist"] is True and info["config_attributes"] == {"region": "eu"}
    assert m.get_scope_info("zz") is None


def test_empty_cache_stats(mount):
    (mount / ".scopefs" / "stats.json").write_text(json.dumps(
        dict(STATS, total_entries=0, total_size=0, total_nodes=0, total_links=0,
             oldest_entry=None, newest_entry=None)))
    stats = manager(mount).get_cache_stats()
    assert stats["average_nodes_per_entry"] == 0 and stats["oldest_entry"] is None


class Scope:
    def __init__(self, nodes, links, node_map, link_map, total_nodes=None, total_links=None):
        self.covered_nodes, self.covered_links = nodes, links
        self.node_id_mapping, self.link_id_mapping = node_map, link_map
        self.total_nodes = len(nodes) if total_nodes is None else total_nodes
        self.total_links = len(links) if total_links is None else total_links


def test_cache_scope_writes_the_four_files(mount):
    m = manager(mount)
    little = bitarray("1100000001", endian="little")
    node_map = {"é": 0, "😀": 1, "\"q\"": 9}
    assert m.cache_scope("new-1", Scope(little, bits(7, 2), node_map, {"l": 3}), {"k": [1]})
    d = mount / "new-1"
    assert (d / "nodes.bits").read_bytes() == bitarray("1100000001", endian="big").tobytes()
    assert (d / "links.bits").read_bytes() == bits(7, 2).tobytes()
    text = (d / "mappings.json").read_text()
    assert " " not in text and json.loads(text) == {"node_id_mapping": node_map,
                                                    "link_id_mapping": {"l": 3}}
    assert json.loads((d / "meta.json").read_text()) == {
        "total_nodes": 10, "total_links": 7, "config_attributes": {"k": [1]}}
    # An index-backed mapping (from load_scope) can be cached again.
    s = m.load_scope("a")
    assert m.cache_scope("copy-1", s, {})
    assert json.loads((mount / "copy-1" / "mappings.json").read_text())["node_id_mapping"] == NODES


def test_cache_scope_refuses_bad_keys_and_bad_scopes(mount, caplog):
    m = manager(mount)
    with caplog.at_level(logging.ERROR, logger="scopefs"):
        assert not m.cache_scope("../x", Scope(bits(1, 1), bits(1, 1), {}, {}))
        assert not m.cache_scope(".hidden", Scope(bits(1, 1), bits(1, 1), {}, {}))
        assert not m.cache_scope("k", object())
    assert "1-200 of [A-Za-z0-9._-]" in caplog.text
    assert "has no attribute 'covered_nodes'" in caplog.text
    assert not (mount.parent / "x").exists()
