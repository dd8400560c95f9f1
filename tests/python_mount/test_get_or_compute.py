"""scopefs.get_or_compute on one real mount (no shared tier): the scope is
computed once, then opened from the cache; a compute that raises, or returns
a scope the mount refuses, leaves no key behind; threads and processes that
ask for one key at once compute it once and all get the committed scope; a
pending scope nobody finishes makes a waiter time out, not open it, unless its
writer has died, and then the waiter computes it."""
import concurrent.futures
import errno
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from bitarray import bitarray

import scopefs
import scopes
from scopes import Counted

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def mount(start_daemon):
    return str(start_daemon().mnt)


def test_computes_once_then_opens_the_cached_scope(mount):
    compute = Counted("k1")
    with scopefs.get_or_compute(mount, "k1", compute, timeout=30) as s:
        assert isinstance(s, scopefs.Scope) and s.indexed and s.key == "k1"
        scopes.assert_is(s, scopes.coverage_scope("k1"))
    assert len(compute.calls) == 1
    assert scopes.keys(mount) == ["k1"]
    assert not os.path.lexists(os.path.join(mount, "k1", ".status"))  # committed

    def must_not_run():
        raise AssertionError("compute() called for a cached scope")

    with scopefs.get_or_compute(mount, "k1", must_not_run, timeout=30) as s:
        scopes.assert_is(s, scopes.coverage_scope("k1"))
    # The manager's method gives load_scope's object, from the cache too.
    m = scopefs.CacheScopeManager(mount, 10.0, 100, 24)
    c = m.get_or_compute("k1", must_not_run, {"my": "config"})
    assert isinstance(c, scopefs.CoverageScope) and c.config == {"my": "config"}
    assert c.config_attributes == {"seed": 0} and c.total_nodes == 1000
    assert dict(c.link_id_mapping) == scopes.coverage_scope("k1").link_id_mapping
    c.close()
    d = m.get_or_compute("k2", Counted("k2"), mappings="dict", config_attributes={"x": 1})
    assert type(d.node_id_mapping) is dict and d.config_attributes == {"x": 1}
    assert scopes.keys(mount) == ["k1", "k2"]


def test_a_compute_that_raises_leaves_no_key(mount):
    def fails():
        raise RuntimeError("the database is down")

    with pytest.raises(RuntimeError, match="the database is down"):
        scopefs.get_or_compute(mount, "k1", fails, timeout=30)
    assert scopes.keys(mount) == []
    with pytest.raises(TypeError, match="returned None"):
        scopefs.get_or_compute(mount, "k1", lambda: None, timeout=30)
    assert scopes.keys(mount) == []
    # Nothing is left to wait for: the next call computes it.
    compute = Counted("k1")
    scopefs.get_or_compute(mount, "k1", compute, timeout=30).close()
    assert len(compute.calls) == 1 and scopes.keys(mount) == ["k1"]


def test_a_scope_the_mount_refuses_is_EINVAL_with_the_reason_and_leaves_no_key(mount):
    def wrong():
        s = scopes.coverage_scope("k1")
        s.covered_nodes = bitarray("101")  # 1 byte; total_nodes 1000 needs 125
        return s

    with pytest.raises(OSError) as e:
        scopefs.get_or_compute(mount, "k1", wrong, timeout=30)
    assert e.value.errno == errno.EINVAL
    assert "the mount refused scope k1: invalid: nodes.bits is 1 bytes" in str(e.value)
    assert scopes.keys(mount) == []


def test_threads_asking_at_once_compute_once(mount):
    compute = Counted("k1", hold=1.0)
    barrier = threading.Barrier(4)

    def ask(_):
        barrier.wait(timeout=10)
        with scopefs.get_or_compute(mount, "k1", compute, timeout=60) as s:
            scopes.assert_is(s, scopes.coverage_scope("k1"))
            return scopes.file_bytes(s.path)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        got = list(pool.map(ask, range(4), timeout=90))
    assert len(compute.calls) == 1
    assert all(g == got[0] for g in got)


def test_processes_asking_at_once_compute_once(mount, tmp_path):
    go, log = tmp_path / "go", tmp_path / "computed"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    workers = [subprocess.Popen([sys.executable, os.path.join(HERE, "compute_worker.py"),
                                 mount, "k1", str(go), str(log)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for _ in range(4)]
    outputs = []
    try:
        go.touch()
        for w in workers:
            out, err = w.communicate(timeout=90)
            assert w.returncode == 0, err
            outputs.append(json.loads(out))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait(timeout=10)
    computed_by = log.read_text().split()
    assert len(computed_by) == 1, computed_by
    assert all(o == outputs[0] for o in outputs)
    assert scopes.keys(mount) == ["k1"]


def test_a_pending_scope_nobody_finishes_times_out_and_is_never_opened(mount):
    os.mkdir(os.path.join(mount, "k1"))  # a writer that went quiet
    compute = Counted("k1")
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="scope k1 .* not ready after 1.5 s .*computing it"):
        scopefs.get_or_compute(mount, "k1", compute, timeout=1.5)
    assert 1.5 <= time.monotonic() - start < 10
    assert compute.calls == []
    # Once it is dropped, a waiter computes it.
    os.rmdir(os.path.join(mount, "k1"))
    scopefs.get_or_compute(mount, "k1", compute, timeout=0).close()
    assert len(compute.calls) == 1


def test_a_waiter_opens_the_scope_once_another_process_commits_it(mount):
    directory = os.path.join(mount, "k1")
    os.mkdir(directory)  # as get_or_compute's winner would
    expected = scopes.coverage_scope("k1")
    compute = Counted("k1")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiter = pool.submit(scopefs.get_or_compute, mount, "k1", compute, timeout=60)
        time.sleep(0.5)
        assert not waiter.done()
        scopefs.pending.write_scope_files(directory, expected, expected.config_attributes)
        with waiter.result(timeout=30) as s:
            scopes.assert_is(s, expected)
    assert compute.calls == []


CLAIM_AND_HOLD = """
import os, sys, time
from scopefs import compute
os.mkdir(sys.argv[1])
assert compute._claim(sys.argv[1])
print("claimed", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_a_scope_left_pending_by_a_live_writer_is_waited_for_and_by_a_dead_one_taken_over(
        mount, monkeypatch):
    monkeypatch.setattr(scopefs.compute, "_TAKE_OVER_AFTER", 0.5)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    directory = os.path.join(mount, "k1")
    writer = subprocess.Popen([sys.executable, "-c", CLAIM_AND_HOLD, directory, "60"],
                              stdout=subprocess.PIPE, text=True, env=env)
    compute = Counted("k1")
    try:
        assert writer.stdout.readline() == "claimed\n"
        # Alive: its scope is its own, however old.
        with pytest.raises(TimeoutError):
            scopefs.get_or_compute(mount, "k1", compute, timeout=2)
        assert compute.calls == [] and scopes.keys(mount) == ["k1"]
    finally:
        writer.kill()
        writer.wait(timeout=10)
    # Dead (a compute killed mid-way): taken over and computed here.
    with scopefs.get_or_compute(mount, "k1", compute, timeout=30) as s:
        scopes.assert_is(s, scopes.coverage_scope("k1"))
    assert len(compute.calls) == 1


def test_bad_arguments_are_ValueError(mount, tmp_path):
    for key in ("", ".hidden", "a/b", "x" * 201, None):
        with pytest.raises(ValueError, match="key"):
            scopefs.get_or_compute(mount, key, Counted("k"))
    with pytest.raises(ValueError, match="not the root of a scopefs mount"):
        scopefs.get_or_compute(str(tmp_path), "k1", Counted("k1"))
    with pytest.raises(ValueError, match="not the root of a scopefs mount"):
        scopefs.get_or_compute(os.path.join(mount, ".scopefs"), "k1", Counted("k1"))
