"""``CacheScopeManager``: the old Python cache class, over a scopefs mount.

Programs written for the old class keep working when one import changes: the
constructor, the method names, their arguments and return shapes and the dict
keys are the old ones. What changes is underneath: the mount keeps the files,
the limits, the LRU order and the TTL, so several processes and hosts' users can
share one cache, and ``load_scope`` maps the scope's index files instead of
parsing its JSON (``mappings="dict"`` gives real dicts, as the old class did).

Times in the returned dicts and objects are naive local datetimes, or their
``isoformat()``, as the old class gave them; the mount's files carry them in UTC.
"""
from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import shutil
import warnings
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

from .compute import get_or_compute
from .json_mapping import JsonMapping
from .pending import KEY_RULE, is_pending, status_line, valid_key, write_scope_files
from .scope import open_scope

logger = logging.getLogger("scopefs")

_DATA_FILES = ("nodes.bits", "links.bits", "mappings.json", "meta.json")
_MB = 1024 * 1024
_GB = 1024 * _MB


@dataclasses.dataclass
class CoverageScope:
    """What ``CacheScopeManager.load_scope`` returns by default: the fields the
    old class passed to its ``CoverageScope``, plus the scope's
    ``config_attributes`` and ``created_at``.

    The mappings are index-backed read-only Mappings (``load_scope``'s default)
    or dicts; ``close()`` releases the former's mapped files.
    """

    key: str
    covered_nodes: Any  # bitarray, exactly total_nodes bits
    covered_links: Any  # bitarray, exactly total_links bits
    node_id_mapping: Mapping[str, int]
    link_id_mapping: Mapping[str, int]
    total_nodes: int
    total_links: int
    config: Any = None
    config_attributes: dict = dataclasses.field(default_factory=dict)
    created_at: Optional[datetime] = None

    def close(self) -> None:
        """Unmaps index-backed mappings; nothing to do for dicts."""
        for m in (self.node_id_mapping, self.link_id_mapping):
            close = getattr(m, "close", None)
            if close is not None:
                close()


def _local_time(iso: Optional[str]) -> Optional[datetime]:
    """An ISO 8601 time from the mount, as the naive local datetime the old class kept."""
    if not iso:
        return None
    t = datetime.fromisoformat(iso)
    return t.astimezone().replace(tzinfo=None) if t.tzinfo else t


def _local_iso(iso: Optional[str]) -> Optional[str]:
    t = _local_time(iso)
    return t.isoformat() if t else None


class CacheScopeManager:
    """The old ``CacheScopeManager`` over a scopefs mount at `cache_dir`.

    `max_cache_size_gb`, `max_entries` and `ttl_hours` are the old arguments. The
    mount enforces its own limits (``scopefs -o max_size=,max_entries=,ttl=``);
    these are compared with them, and a ``UserWarning`` says where they differ.

    `scope_factory` builds what ``load_scope`` returns. It is called with the
    old class's keyword arguments (``key``, ``config``, ``covered_nodes``,
    ``covered_links``, ``node_id_mapping``, ``link_id_mapping``, ``total_nodes``,
    ``total_links``), so a program's own ``CoverageScope`` class fits; the default
    ``scopefs.CoverageScope`` also gets ``config_attributes`` and ``created_at``.

    Raises ``ValueError`` when `cache_dir` is not a scopefs mount. Methods do
    not raise for a missing or refused scope: they return None or False and log
    the reason on the ``scopefs`` logger, as the old class did. Holds no state
    besides its arguments: any number of managers and processes may share a mount.
    """

    def __init__(self, cache_dir: str = "/cache", max_cache_size_gb: float = 10.0,
                 max_entries: int = 100, ttl_hours: int = 24, *,
                 scope_factory: Callable[..., Any] = CoverageScope):
        self.cache_dir = Path(cache_dir)
        self.max_cache_size_bytes = int(max_cache_size_gb * _GB)
        self.max_entries = max_entries
        self.ttl = timedelta(hours=ttl_hours)
        self.scope_factory = scope_factory
        try:
            stats = self._read_control("stats.json")
        except OSError as e:
            raise ValueError(f"{cache_dir} is not a scopefs mount: {e}") from None
        self._check_limits(stats)

    # --- helpers -------------------------------------------------------------

    def _read_control(self, name: str):
        with open(self.cache_dir / ".scopefs" / name, "rb") as f:
            return json.load(f)

    def _check_limits(self, stats: dict) -> None:
        asked = {"max_size": self.max_cache_size_bytes, "max_entries": self.max_entries,
                 "ttl_seconds": int(self.ttl.total_seconds())}
        differ = [f"{name} {stats.get(name)} (asked for {want})"
                  for name, want in asked.items() if stats.get(name) != want]
        if differ:
            warnings.warn(f"scopefs mount {self.cache_dir} enforces its own limits, which differ "
                          f"from the arguments: {', '.join(differ)}", UserWarning, stacklevel=3)

    def _scope_dir(self, scope_key: str) -> Optional[Path]:
        """The scope's directory, or None for a key the mount cannot hold."""
        if not valid_key(scope_key):
            return None
        return self.cache_dir / scope_key

    def _read_meta(self, scope_key: str) -> Optional[dict]:
        """meta.json of a committed scope (not an access), or None."""
        directory = self._scope_dir(scope_key)
        if directory is None or is_pending(directory):
            return None
        try:
            with open(directory / "meta.json", "rb") as f:
                return json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            logger.error("Failed to read the metadata of scope %s: %s", scope_key, e)
            return None

    # --- the old class's methods ----------------------------------------------

    def cache_scope(self, scope_key: str, coverage_scope, config_attributes: Optional[dict] = None) -> bool:
        """Adds `coverage_scope` under `scope_key`: writes the four files of a
        pending scope (bits with ``tofile()``, compact JSON) and the close of the
        last one commits it. A scope already under that key is replaced, as the
        old class overwrote it.

        Returns True once committed. Returns False, with the reason logged, when
        the mount refuses the scope (the ``.status`` line, e.g. a bits file that
        does not match its total) or a write fails; what was written is removed.
        Costs a JSON encoding of both mappings (seconds for millions of ids).
        """
        directory = self._scope_dir(scope_key)
        if directory is None:
            logger.error("Failed to cache scope %r: %s", scope_key, KEY_RULE)
            return False
        try:
            self._make_pending(directory)
            write_scope_files(directory, coverage_scope, config_attributes)
        except Exception as e:
            why = str(e)
            if isinstance(e, OSError) and e.errno == errno.EINVAL and is_pending(directory):
                why = f"the mount refused it: {status_line(directory)}"
            logger.error("Failed to cache scope %s: %s", scope_key, why)
            if is_pending(directory):
                shutil.rmtree(directory, ignore_errors=True)
            return False
        logger.info("Cached scope %s: %s nodes, %s links", scope_key,
                    f"{coverage_scope.total_nodes:,}", f"{coverage_scope.total_links:,}")
        return True

    def _make_pending(self, directory: Path) -> None:
        try:
            os.mkdir(directory)
            return
        except FileExistsError:
            pass
        if is_pending(directory):
            logger.info("Scope %s was left pending by an earlier writer; starting afresh", directory.name)
        else:
            logger.info("Replacing cached scope %s", directory.name)
        shutil.rmtree(directory)
        os.mkdir(directory)

    def load_scope(self, scope_key: str, config: Any = None, *, mappings: str = "index"):
        """The scope under `scope_key` built by `scope_factory`, or None when
        there is none (or it is still pending, or damaged: the mount quarantines
        it, and the reason is logged). Loading is an access for the LRU and TTL.

        `mappings="index"`: read-only Mappings over the index files, ready in well
        under 0.1 s (JSON-backed, after a ``json.load``, when the mount serves no
        index files). `mappings="dict"`: real dicts, as the old class gave; from
        the index this decodes every id (seconds for millions).
        """
        if mappings not in ("index", "dict"):
            raise ValueError(f"mappings={mappings!r}: give 'index' or 'dict'")
        directory = self._scope_dir(scope_key)
        if directory is None or is_pending(directory):
            return None
        try:
            scope = open_scope(directory)
        except FileNotFoundError:
            return None
        except OSError as e:
            logger.error("Failed to load cached scope %s: %s", scope_key, e)
            return None
        logger.info("Loaded cached scope %s: %s nodes, %s links", scope_key,
                    f"{scope.total_nodes:,}", f"{scope.total_links:,}")
        return self._built(scope_key, scope, config, mappings)

    def _built(self, scope_key: str, scope, config: Any, mappings: str):
        """What `scope_factory` builds from an opened Scope."""
        node_map, link_map = scope.node_id_mapping, scope.link_id_mapping
        if mappings == "dict":
            node_map, link_map = _as_dict(node_map), _as_dict(link_map)
            scope.close()
        fields = dict(key=scope_key, config=config, covered_nodes=scope.covered_nodes,
                      covered_links=scope.covered_links, node_id_mapping=node_map,
                      link_id_mapping=link_map, total_nodes=scope.total_nodes,
                      total_links=scope.total_links)
        if self.scope_factory is CoverageScope:
            fields.update(config_attributes=scope.meta.get("config_attributes", {}),
                          created_at=_local_time(scope.meta.get("created_at")))
        return self.scope_factory(**fields)

    def get_or_compute(self, scope_key: str, compute: Callable[[], Any], config: Any = None, *,
                       config_attributes: Optional[dict] = None,
                       timeout: Optional[float] = None, mappings: str = "index"):
        """``load_scope(scope_key, config)``, computing the scope first with
        ``compute()`` when no process on this host, and (with ``scopefs --shared``)
        no host of the fleet, has it or is computing it: the others wait for
        that one computation. ``scopefs.get_or_compute`` says how.

        `compute` takes no arguments and returns what ``cache_scope`` takes
        (e.g. a ``CoverageScope``); `config_attributes` default to its own, if
        it has them. `timeout`: seconds to wait for another process or host's
        computation (None: as long as it takes). `mappings` as for ``load_scope``.

        Unlike the old methods this raises rather than returning None: what
        ``compute()`` raises (the pending scope is removed first, so another
        process may compute it), ``TimeoutError``, ``ValueError`` for a key the
        mount cannot hold, ``OSError`` (EINVAL with the ``.status`` line when
        the mount refuses the computed scope).
        """
        if mappings not in ("index", "dict"):
            raise ValueError(f"mappings={mappings!r}: give 'index' or 'dict'")
        scope = get_or_compute(self.cache_dir, scope_key, compute,
                               config_attributes=config_attributes, timeout=timeout)
        return self._built(scope_key, scope, config, mappings)

    def has_scope(self, scope_key: str) -> bool:
        """Whether a committed scope is under `scope_key` with all its files. Not an access."""
        directory = self._scope_dir(scope_key)
        if directory is None or is_pending(directory):
            return False
        return all(os.path.isfile(directory / f) for f in _DATA_FILES)

    def invalidate_scope(self, scope_key: str) -> bool:
        """Removes the scope under `scope_key`; True if there was one. Readers
        that have its files open read on."""
        if not self.has_scope(scope_key):
            return False
        try:
            shutil.rmtree(self._scope_dir(scope_key))
        except FileNotFoundError:
            return False  # removed meanwhile (evicted, expired or by another process)
        except OSError as e:
            logger.error("Failed to remove cache entry %s: %s", scope_key, e)
            return False
        logger.debug("Removed cache entry: %s", scope_key)
        return True

    def clear_cache(self) -> None:
        """Removes every committed scope (pending ones are being written: left alone)."""
        try:
            scopes = self._read_control("scopes.json")
        except (OSError, ValueError) as e:
            logger.error("Failed to clear cache: %s", e)
            return
        for meta in scopes:
            try:
                shutil.rmtree(self.cache_dir / meta["scope_key"])
            except FileNotFoundError:
                pass
            except OSError as e:
                logger.error("Failed to remove cache entry %s: %s", meta["scope_key"], e)
        logger.info("Cleared all cache entries")

    def get_cache_stats(self) -> dict[str, Any]:
        """The old statistics, from the mount's ``.scopefs/stats.json``: entries,
        stored size (MB and GB), node and link totals, utilization of the mount's
        max_size, oldest and newest creation times (datetimes), and averages."""
        s = self._read_control("stats.json")
        entries, size = s["total_entries"], s["total_size"]
        max_size = s.get("max_size") or 0
        return {
            "total_entries": entries,
            "total_size_mb": size / _MB,
            "total_size_gb": size / _GB,
            "total_nodes": s["total_nodes"],
            "total_links": s["total_links"],
            "cache_utilization": size / max_size if max_size else 0.0,
            "oldest_entry": _local_time(s.get("oldest_entry")),
            "newest_entry": _local_time(s.get("newest_entry")),
            "average_nodes_per_entry": s["total_nodes"] // entries if entries else 0,
            "average_links_per_entry": s["total_links"] // entries if entries else 0,
        }

    def list_cached_scopes(self) -> list[dict[str, Any]]:
        """Every committed scope's metadata, most recently accessed first, from
        the mount's ``.scopefs/scopes.json``. Sizes are the stored bytes in MB."""
        return [self._summary(meta) for meta in self._read_control("scopes.json")]

    @staticmethod
    def _summary(meta: dict) -> dict[str, Any]:
        sizes = [meta.get(f, 0) for f in ("nodes_file_size", "links_file_size", "mappings_file_size")]
        return {
            "scope_key": meta["scope_key"],
            "created_at": _local_iso(meta.get("created_at")),
            "last_accessed": _local_iso(meta.get("last_accessed")),
            "nodes_size_mb": sizes[0] / _MB,
            "links_size_mb": sizes[1] / _MB,
            "mappings_size_mb": sizes[2] / _MB,
            "total_size_mb": sum(sizes) / _MB,
            "total_nodes": meta.get("total_nodes", 0),
            "total_links": meta.get("total_links", 0),
            "config_attributes": meta.get("config_attributes", {}),
        }

    def get_scope_info(self, scope_key: str) -> Optional[dict[str, Any]]:
        """One scope's metadata and file paths, or None when it is not cached.
        Reads its ``meta.json``, which is not an access."""
        meta = self._read_meta(scope_key)
        if meta is None:
            return None
        directory = self._scope_dir(scope_key)
        s = self._summary(meta)
        return {
            "scope_key": s["scope_key"],
            "created_at": s["created_at"],
            "last_accessed": s["last_accessed"],
            "total_nodes": s["total_nodes"],
            "total_links": s["total_links"],
            "files": {
                "nodes_file": str(directory / "nodes.bits"),
                "nodes_size_mb": s["nodes_size_mb"],
                "links_file": str(directory / "links.bits"),
                "links_size_mb": s["links_size_mb"],
                "mappings_file": str(directory / "mappings.json"),
                "mappings_size_mb": s["mappings_size_mb"],
            },
            "total_size_mb": s["total_size_mb"],
            "config_attributes": s["config_attributes"],
            "files_exist": self.has_scope(scope_key),
        }

    def cleanup(self) -> None:
        """Runs the mount's maintenance pass now (``.scopefs/gc``: expired scopes,
        idle pending ones, orphans), as the old class's cleanup did. Needs root;
        otherwise logs why and leaves it to the pass the mount runs by itself."""
        path = self.cache_dir / ".scopefs" / "gc"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            try:
                os.write(fd, b"gc\n")
                answer, chunk = b"", b"x"
                while chunk:
                    chunk = os.pread(fd, 65536, len(answer))
                    answer += chunk
            finally:
                os.close(fd)
        except OSError as e:
            logger.warning("cleanup: %s: %s (the mount expires scopes by itself every "
                           "maintenance_interval)", path, e.strerror)
            return
        try:
            report = json.loads(answer)
            logger.info("Cleaned up %s expired scopes, %s idle pending scopes, %s orphans",
                        report.get("expired"), report.get("pending_dropped"), report.get("orphans"))
        except ValueError:
            logger.info("cleanup: %s", answer.decode(errors="replace").strip())


def _as_dict(mapping) -> dict:
    """A dict of `mapping`: the parsed dict itself for a JSON-backed one (no copy)."""
    if isinstance(mapping, JsonMapping):
        return mapping._dict
    return mapping.to_dict()
