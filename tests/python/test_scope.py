"""open_scope: bits cut to their totals, index-backed mappings when the index
files are there, the JSON fallback (logged) when they are not."""
import json
import logging

import pytest
from bitarray import bitarray

import scopefs
from index_writer import write_index


def bits(count, step):
    b = bitarray(count, endian="big")
    b.setall(0)
    b[::step] = 1
    return b


def make_scope(tmp_path, nodes_map, links_map, total_nodes, total_links, index=True, name="key-1"):
    """A scope directory as a mount serves it (index files optional)."""
    d = tmp_path / name
    d.mkdir()
    with open(d / "nodes.bits", "wb") as f:
        bits(total_nodes, 3).tofile(f)
    with open(d / "links.bits", "wb") as f:
        bits(total_links, 2).tofile(f)
    (d / "mappings.json").write_text(json.dumps(
        {"node_id_mapping": nodes_map, "link_id_mapping": links_map}, separators=(",", ":")))
    (d / "meta.json").write_text(json.dumps(
        {"scope_key": name, "total_nodes": total_nodes, "total_links": total_links,
         "config_attributes": {"region": "eu"}, "created_at": "2026-01-02T03:04:05.000000+00:00"}))
    if index:
        write_index(str(d / "nodes.idx"), nodes_map, total_nodes)
        write_index(str(d / "links.idx"), links_map, total_links)
    return d


NODES = {f"n{i}": i for i in range(13)}
LINKS = {f"n{i}->n{i + 1}": i for i in range(7)}


@pytest.mark.parametrize("index", [True, False])
def test_open_scope_gives_bits_and_mappings(tmp_path, index, caplog):
    d = make_scope(tmp_path, NODES, LINKS, 13, 7, index=index)
    with caplog.at_level(logging.INFO, logger="scopefs"):
        with scopefs.open_scope(d) as s:
            assert s.key == "key-1" and s.path == str(d)
            assert s.total_nodes == 13 and s.total_links == 7
            assert s.meta["config_attributes"] == {"region": "eu"}
            assert s.covered_nodes == bits(13, 3) and len(s.covered_nodes) == 13  # padding dropped
            assert s.covered_links == bits(7, 2) and s.covered_nodes.endian() == "big"
            assert dict(s.node_id_mapping) == NODES and dict(s.link_id_mapping) == LINKS
            assert s.node_id_mapping["n12"] == 12 and "n13" not in s.node_id_mapping
            assert s.indexed == index
            assert isinstance(s.node_id_mapping,
                              scopefs.IndexMapping if index else scopefs.JsonMapping)
            assert s.link_id_mapping.ids_of([6]) == ["n6->n7"]
    fallback = [r for r in caplog.records if r.name == "scopefs"]
    if index:
        assert fallback == []
    else:
        assert len(fallback) == 1 and fallback[0].levelno == logging.WARNING
        assert "no nodes.idx" in fallback[0].getMessage()
        assert "json.load" in fallback[0].getMessage()
        assert str(d) in fallback[0].getMessage()


def test_off_a_mount_the_section_crcs_are_checked(tmp_path):
    d = make_scope(tmp_path, NODES, LINKS, 13, 7)
    with scopefs.open_scope(d) as s:
        assert s.node_id_mapping.verified
    with scopefs.open_scope(d, verify=False) as s:
        assert not s.node_id_mapping.verified


def test_mappings_modes(tmp_path):
    d = make_scope(tmp_path, NODES, LINKS, 13, 7)
    assert not scopefs.open_scope(d, mappings="json").indexed
    assert scopefs.open_scope(d, mappings="index").indexed
    (d / "links.idx").unlink()
    with pytest.raises(FileNotFoundError):
        scopefs.open_scope(d, mappings="index")
    s = scopefs.open_scope(d)  # only one index file: the JSON, for both
    assert not s.indexed and dict(s.link_id_mapping) == LINKS
    with pytest.raises(ValueError):
        scopefs.open_scope(d, mappings="fast")


def test_empty_scope(tmp_path):
    d = make_scope(tmp_path, {}, {}, 0, 0)
    with scopefs.open_scope(d) as s:
        assert len(s.covered_nodes) == 0 and len(s.node_id_mapping) == 0


def test_a_bits_file_of_the_wrong_size_is_damage(tmp_path):
    d = make_scope(tmp_path, NODES, LINKS, 13, 7)
    (d / "nodes.bits").write_bytes(b"\0")
    with pytest.raises(scopefs.DamagedScope, match="13 bits needs 2"):
        scopefs.open_scope(d)


def test_missing_scope_and_bad_meta(tmp_path):
    with pytest.raises(FileNotFoundError):
        scopefs.open_scope(tmp_path / "nope")
    d = make_scope(tmp_path, NODES, LINKS, 13, 7)
    (d / "meta.json").write_text('{"total_nodes": -1, "total_links": 7}')
    with pytest.raises(scopefs.DamagedScope, match="total_nodes"):
        scopefs.open_scope(d)
    (d / "meta.json").write_text('[1]')
    with pytest.raises(scopefs.DamagedScope, match="object"):
        scopefs.open_scope(d)
    (d / "meta.json").write_text('{"total_nodes": 13, "total_links": 7}')
    (d / "mappings.json").write_text('{"node_id_mapping": {}}')
    with pytest.raises(scopefs.DamagedScope, match="link_id_mapping"):
        scopefs.open_scope(d, mappings="json")


def test_mount_detection_reads_mountinfo(tmp_path):
    from scopefs import mounts

    assert mounts.filesystem_type("/proc") == "proc"
    assert not mounts.on_scopefs(tmp_path)
    assert mounts._unescape("/mnt/with\\040space") == "/mnt/with space"
