"""``get_or_compute``: a scope from the cache, or computed once and cached.

    import scopefs
    with scopefs.get_or_compute("/mnt/scopes", key, lambda: build(key)) as s:
        s.node_id_mapping["n:91b72265b1f5"]

A scope costs minutes of database time. ``get_or_compute`` calls ``compute()``
only when no process on this host and, with ``scopefs --shared``, no host of
the fleet has the scope or is computing it; everyone else waits for that one
computation and opens its result. It uses what the mount already does:

- A lookup of ``MOUNT/KEY`` finds a committed scope; with ``--shared`` it reads
  a scope another host published through (fetched and checked), and when
  another host holds the key's computation lease it blocks until that host's
  scope appears (up to the mount's ``--shared-wait``).
- ``mkdir MOUNT/KEY`` makes a pending scope, atomically: exactly one process
  succeeds (the others get ``EEXIST``). With ``--shared`` it also takes the
  fleet-wide lease on KEY; a host whose mkdir finds the lease held gets ``EBUSY``,
  and one that finds the scope already published gets ``EEXIST``.
- The winner claims the pending scope as its writer (the mount gives any other
  live process ``EBUSY`` for a write, and lets anyone claim it once the writer
  has exited) and writes the scope's files; the close of ``meta.json`` commits
  it (``pending.write_scope_files``). Until then the directory shows a
  ``.status`` file and its data files cannot be read (``EBUSY``), so waiters
  poll for the commit instead of opening a half-written scope, and take over a
  scope whose writer died. A scope made by ``mkdir`` but not written to for 5 s
  has no writer yet and counts as abandoned too: a program that makes the
  directory by hand and computes before its first write should not share keys
  with ``get_or_compute`` callers.
- ``rm -r`` of the pending scope (what a failed ``compute`` leads to) drops it
  and gives the lease back, so a waiter then computes it.

Costs: a committed scope costs what ``open_scope`` costs (well under 0.1 s with
index files); a computed one adds ``compute()`` and the JSON encoding of its
mappings. A waiter polls with a back-off from 0.05 s up to 1 s.
"""
from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from typing import Any, Callable, Optional

from .mounts import on_scopefs
from .pending import KEY_RULE, is_pending, status_line, valid_key, write_scope_files
from .scope import Scope, open_scope

logger = logging.getLogger("scopefs")

_FIRST_DELAY = 0.05  # seconds between the first tries; doubles up to _MAX_DELAY
_MAX_DELAY = 1.0
# A pending scope at least this old (seconds) whose writer has exited is taken
# over. The age leaves its maker time to claim it (``_claim``) after its mkdir.
_TAKE_OVER_AFTER = 5.0
_CLAIM = ".get_or_compute"  # a hidden name, which a pending scope accepts

_ABSENT, _PENDING, _COMMITTED = "absent", "pending", "committed"


def get_or_compute(mount: str | os.PathLike, key: str, compute: Callable[[], Any], *,
                   config_attributes: Optional[dict] = None, timeout: Optional[float] = None,
                   mappings: str = "auto") -> Scope:
    """The scope `key` of the scopefs mount at `mount`, opened (``open_scope``);
    computed with ``compute()`` and added to the cache if nobody has it.

    In a loop, until it returns or `timeout` runs out:

    1. A lookup of ``MOUNT/KEY``. A committed scope (local, or with ``--shared``
       read through from the fleet's bucket) is opened and returned. If another
       host holds the key's computation lease, the lookup itself blocks until
       that host's scope appears, up to the mount's ``--shared-wait``.
    2. Absent: ``mkdir MOUNT/KEY``. Success means this call computes it:
       ``compute()`` is called with no arguments and returns what
       ``CacheScopeManager.cache_scope`` takes, an object with ``covered_nodes``
       and ``covered_links`` (bitarrays), ``node_id_mapping`` and
       ``link_id_mapping`` (Mappings of id to index), ``total_nodes`` and
       ``total_links``, such as a ``scopefs.CoverageScope``. Its files are
       written, ``meta.json`` last, whose close commits the scope (with
       ``--shared`` it is then published and the lease let go), and the
       committed scope is opened and returned. ``EEXIST`` (another process,
       or another host that has published it, was first) or ``EBUSY`` (another
       host holds the lease): try again.
    3. Pending (another process on this host is computing it; ``.status``
       shows): wait, polling with a back-off up to 1 s, for its commit. If it
       is dropped instead (its ``compute`` failed), the next try computes it.
       A pending scope at least 5 s old whose writer has exited (the process
       that made it claims it at once, and the mount tells a live writer's
       scope from a dead one's) is removed, and the next try computes it.

    If ``compute()`` raises (or returns None), or the mount refuses what it
    returned, the pending scope is removed, which lets other waiters (and
    hosts: the lease goes with it) compute it, and the exception propagates:
    the refusal as ``OSError`` with EINVAL and the ``.status`` line.

    `config_attributes`: the scope's ``config_attributes`` in ``meta.json``;
    by default those of the object ``compute()`` returns, if it has them.
    `timeout`: seconds to wait for other processes and hosts, None (the
    default) for as long as it takes; then ``TimeoutError``. It does not limit
    ``compute()`` itself, nor a lookup the mount holds while it fetches a
    scope or waits for another host's lease (each up to ``--shared-wait``).
    `mappings`: as for ``open_scope``.

    Raises ``ValueError`` for a key the mount cannot hold (KEY_RULE) or a
    `mount` that is not a scopefs mount, what ``compute()`` raises,
    ``TimeoutError``, and ``OSError`` as the mount answers (EACCES without
    the write right, ENOSPC for a scope larger than the cache, EIO for damage).
    Thread-safe: any number of threads and processes may call it at once.
    """
    if not valid_key(key):
        raise ValueError(f"scope key {key!r}: {KEY_RULE}")
    mount = os.fspath(mount)
    if not on_scopefs(mount) or not os.path.isdir(os.path.join(mount, ".scopefs")):
        raise ValueError(f"{mount} is not the root of a scopefs mount")
    path = os.path.join(mount, key)
    waiting = _Waiting(key, mount, timeout)
    while True:
        state = _state(path)
        if state == _COMMITTED:
            try:
                return open_scope(path, mappings=mappings)
            except OSError as e:
                # Removed, evicted or expired since the lookup (ENOENT), or
                # removed and made again (EBUSY: now pending): look again.
                if e.errno not in (errno.ENOENT, errno.EBUSY):
                    raise
                waiting.wait("it changed as it was opened")
        elif state == _ABSENT:
            try:
                os.mkdir(path)
            except FileExistsError:
                waiting.wait("another process made it first")
                continue
            except OSError as e:
                if e.errno != errno.EBUSY:
                    raise
                waiting.wait("another host is computing it")
                continue
            if not _claim(path):
                waiting.wait("another process took the new scope over")
                continue
            return _compute(path, key, compute, config_attributes, mappings)
        elif _abandoned(path):
            logger.warning("Scope %s was left pending by a process that has exited; "
                           "removing it to compute it again", key)
            _drop(path, key)
            waiting.wait("took over a scope left pending")
        else:
            waiting.wait(f"another process on this host is computing it ({status_line(path)})")


def _state(path: str) -> str:
    """Whether the scope at `path` is absent, pending or committed. The lookup
    may block: a read-through, or another host's lease (``--shared-wait``)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return _ABSENT
    return _PENDING if is_pending(path) else _COMMITTED


def _claim(path: str) -> bool:
    """Makes this process the pending scope's writer, as its first write would:
    creates and removes a hidden file in it. False if another live process is
    its writer (EBUSY), or it is pending no more."""
    file = os.path.join(path, _CLAIM)
    try:
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
    except OSError as e:
        if e.errno in (errno.EBUSY, errno.ENOENT, errno.EACCES, errno.EPERM):
            return False
        raise
    try:
        os.unlink(file)
    except FileNotFoundError:
        pass
    return True


def _abandoned(path: str) -> bool:
    """Whether the pending scope at `path` is older than _TAKE_OVER_AFTER and
    its writer has exited: the mount lets a new writer claim it only then
    (a live writer's scope answers EBUSY). The claim is this process's."""
    try:
        made = os.stat(path).st_mtime  # a pending scope's mtime is its mkdir
    except FileNotFoundError:
        return False
    return time.time() - made >= _TAKE_OVER_AFTER and _claim(path)


def _compute(path: str, key: str, compute: Callable[[], Any],
             config_attributes: Optional[dict], mappings: str) -> Scope:
    """Fills the pending scope this call made (and claimed) at `path`, then
    opens it; drops it (and so the lease) if anything fails."""
    logger.info("Computing scope %s: not in the cache, and nobody else is computing it", key)
    started = time.monotonic()
    try:
        result = compute()
        if result is None:
            raise TypeError(f"compute() for scope {key} returned None, not a scope")
        if config_attributes is None:
            config_attributes = getattr(result, "config_attributes", None)
        write_scope_files(path, result, config_attributes)
    except BaseException as e:
        refused = isinstance(e, OSError) and e.errno == errno.EINVAL and is_pending(path)
        why = status_line(path) if refused else ""
        _drop(path, key)
        if refused:
            raise OSError(errno.EINVAL, f"the mount refused scope {key}: {why}", path) from e
        raise
    logger.info("Computed and cached scope %s in %.1f s", key, time.monotonic() - started)
    return open_scope(path, mappings=mappings)


def _drop(path: str, key: str) -> None:
    """Removes the pending scope at `path`, giving its lease back."""
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        logger.warning("Could not remove the pending scope %s (%s): other processes wait for "
                       "it until the mount's pending_timeout drops it", key, e)


class _Waiting:
    """The back-off and deadline of one ``get_or_compute`` call."""

    def __init__(self, key: str, mount: str, timeout: Optional[float]):
        self.key, self.mount, self.timeout = key, mount, timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.delay = _FIRST_DELAY
        self.logged = False

    def wait(self, why: str) -> None:
        """Sleeps before the next try; TimeoutError once the deadline is past."""
        left = None if self.deadline is None else self.deadline - time.monotonic()
        if left is not None and left <= 0:
            raise TimeoutError(f"scope {self.key} on {self.mount}: not ready after "
                               f"{self.timeout} s ({why})")
        if not self.logged:
            logger.info("Waiting for scope %s: %s", self.key, why)
            self.logged = True
        time.sleep(self.delay if left is None else min(self.delay, left))
        self.delay = min(self.delay * 2, _MAX_DELAY)
