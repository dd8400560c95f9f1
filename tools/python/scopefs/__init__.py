"""scopefs: coverage scopes from a scopefs mount, in Python, with no parse.

    import scopefs
    with scopefs.open_scope("/mnt/scopes/KEY") as s:
        s.covered_nodes, s.covered_links      # bitarrays of exactly total_* bits
        s.node_id_mapping["n:91b72265b1f5"]   # read-only Mapping[str, int] over nodes.idx
        s.link_id_mapping.get_many(ids)       # numpy int64 array, -1 where absent

``open_scope`` maps the scope's ``nodes.idx`` and ``links.idx`` (store/FORMAT.md):
it is ready in well under 0.1 s, and a lookup costs a few microseconds. Without
index files it falls back to ``json.load`` of ``mappings.json`` and logs why.
``CacheScopeManager`` is the old cache class over a mount: programs written for it
change one import.

    s = scopefs.get_or_compute("/mnt/scopes", key, compute)  # compute() returns a CoverageScope

``get_or_compute`` opens the scope if the cache has it, and otherwise calls
``compute()`` once across every process of the host and, with ``scopefs
--shared``, every host of the fleet (the others wait for its result), caches
what it returns and opens that (also ``CacheScopeManager.get_or_compute``).

Standard library plus bitarray; numpy is used when present, by the bulk calls only.
"""
from .compute import get_or_compute
from .errors import DamagedIndex, DamagedScope
from .index import IndexMapping, open_index
from .json_mapping import JsonMapping
from .manager import CacheScopeManager, CoverageScope
from .scope import Scope, open_scope

__all__ = [
    "CacheScopeManager",
    "CoverageScope",
    "DamagedIndex",
    "DamagedScope",
    "IndexMapping",
    "JsonMapping",
    "Scope",
    "get_or_compute",
    "open_index",
    "open_scope",
]
