"""Small coverage scopes for the get_or_compute tests, a compute() that counts
its calls, and what to compare."""
import os
import threading
import time

from bitarray import bitarray

import scopefs

# Files whose bytes every host serves alike (meta.json carries access times).
SAME_BYTES = ("nodes.bits", "links.bits", "mappings.json", "nodes.idx", "links.idx")


def coverage_scope(key: str, nodes: int = 1000, links: int = 1500, seed: int = 0):
    """A CoverageScope as a program's compute() would return it."""
    covered_nodes = bitarray(nodes, endian="big")
    covered_nodes.setall(0)
    covered_nodes[seed % 3::3] = 1
    covered_links = bitarray(links, endian="little")  # written big-endian all the same
    covered_links.setall(0)
    covered_links[::2] = 1
    return scopefs.CoverageScope(
        key=key, covered_nodes=covered_nodes, covered_links=covered_links,
        node_id_mapping={f"n:{seed}:{i:06x}": i for i in range(nodes)},
        link_id_mapping={f"l:{seed}:{i:06x}": i for i in range(links)},
        total_nodes=nodes, total_links=links, config_attributes={"seed": seed})


def assert_is(scope, expected) -> None:
    """`scope` (opened from a mount) holds what `expected` (a CoverageScope) says."""
    assert scope.total_nodes == expected.total_nodes
    assert scope.total_links == expected.total_links
    assert scope.covered_nodes == expected.covered_nodes
    assert scope.covered_links.tolist() == expected.covered_links.tolist()
    assert scope.node_id_mapping.to_dict() == expected.node_id_mapping
    assert scope.link_id_mapping.to_dict() == expected.link_id_mapping
    assert scope.meta["config_attributes"] == expected.config_attributes


def file_bytes(directory) -> dict:
    """The bytes of a scope's SAME_BYTES files."""
    out = {}
    for name in SAME_BYTES:
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = f.read()
    return out


def keys(mount) -> list:
    """The scopes a mount lists, committed and pending."""
    return sorted(n for n in os.listdir(mount) if n != ".scopefs")


class Counted:
    """A compute(): records each call (the calling thread's name, under a lock),
    holds on for `hold` s (so others find the scope pending, or the lease held),
    then raises `fail` if given, else returns coverage_scope(key)."""

    def __init__(self, key: str, hold: float = 0.0, fail: "BaseException | None" = None):
        self.key, self.hold, self.fail = key, hold, fail
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls.append(threading.current_thread().name)
        time.sleep(self.hold)
        if self.fail:
            raise self.fail
        return coverage_scope(self.key)
