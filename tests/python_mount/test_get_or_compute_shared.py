"""scopefs.get_or_compute across two hosts: two daemons, each on its own store
and mountpoint, sharing one fresh bucket of the real radosgw that CTest's
fixture runs (tools/radosgw.sh; its env file in $SCOPEFS_TEST_S3_ENV). A scope
is computed once in the fleet: the other host waits on the computation lease
and reads the scope through, byte for byte; a computation that fails on one
host lets the other compute it."""
import concurrent.futures
import json
import os
import random
import subprocess
import threading

import pytest

import scopefs
import scopes
from scopes import Counted
from scopefs_daemon import wait_until

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def radosgw_env() -> dict:
    path = os.environ.get("SCOPEFS_TEST_S3_ENV")
    if not path or not os.path.exists(path):
        pytest.skip("no radosgw: SCOPEFS_TEST_S3_ENV is not set or names no env file "
                    "(run under ctest, which starts tools/radosgw.sh)")
    env = {}
    with open(path) as f:
        for line in f:
            name, eq, value = line.rstrip("\n").partition("=")
            if eq:
                env[name] = value
    return env


def create_bucket(env: dict, bucket: str) -> None:
    """PUT /BUCKET, signed by curl's SigV4 as tests/shared/s3_smoke.sh does; the
    keys go to curl in a config on stdin, never on a command line."""
    config = f'user = "{env["AWS_ACCESS_KEY_ID"]}:{env["AWS_SECRET_ACCESS_KEY"]}"\n'
    r = subprocess.run(
        ["curl", "-sS", "-K", "-", "--max-time", "10", "-X", "PUT",
         "--aws-sigv4", f"aws:amz:{env['SCOPEFS_TEST_S3_REGION']}:s3",
         "-H", f"x-amz-content-sha256: {EMPTY_SHA256}", "--data-binary", "@/dev/null",
         "-o", "/dev/null", "-w", "%{http_code}", f"{env['SCOPEFS_TEST_S3_ENDPOINT']}/{bucket}"],
        input=config, capture_output=True, text=True, timeout=30, check=False)
    assert r.stdout == "200", f"creating bucket {bucket}: HTTP {r.stdout} {r.stderr}"


@pytest.fixture
def hosts(start_daemon):
    """Two daemons on one fresh bucket, as two hosts; checked for leaked secrets."""
    env = radosgw_env()
    bucket = f"scopefs-py-{random.getrandbits(48):x}"
    create_bucket(env, bucket)
    daemon_env = dict(os.environ, AWS_ACCESS_KEY_ID=env["AWS_ACCESS_KEY_ID"],
                      AWS_SECRET_ACCESS_KEY=env["AWS_SECRET_ACCESS_KEY"])
    daemon_env.pop("AWS_SESSION_TOKEN", None)
    args = ["--shared", f"s3://{bucket}/fleet", "--shared-endpoint",
            env["SCOPEFS_TEST_S3_ENDPOINT"], "--shared-wait", "60s"]
    a = start_daemon(args, daemon_env)
    b = start_daemon(args, daemon_env)
    yield a, b
    for d in (a, b):
        assert env["AWS_SECRET_ACCESS_KEY"] not in d.log(), "a secret in the daemon's log"


def shared_stats(daemon) -> dict:
    with open(daemon.mnt / ".scopefs" / "stats.json") as f:
        return json.load(f)["shared"]


def test_two_hosts_asking_at_once_compute_once_and_get_the_same_bytes(hosts):
    a, b = hosts
    compute = Counted("k1", hold=1.0)  # so the other host finds the lease held
    barrier = threading.Barrier(2)

    def ask(daemon):
        barrier.wait(timeout=10)
        with scopefs.get_or_compute(daemon.mnt, "k1", compute, timeout=120) as s:
            scopes.assert_is(s, scopes.coverage_scope("k1"))
            return scopes.file_bytes(s.path)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        on_a, on_b = pool.map(ask, (a, b), timeout=180)
    assert len(compute.calls) == 1, compute.calls
    assert on_a == on_b
    # One host published it and the other fetched it, once.
    sa, sb = shared_stats(a), shared_stats(b)
    assert sa["publishes"] + sb["publishes"] == 1, (sa, sb)
    assert sa["fetches"] + sb["fetches"] == 1, (sa, sb)
    assert sa["fetch_errors"] == sb["fetch_errors"] == 0
    assert wait_until(lambda: shared_stats(a)["leases_held"] + shared_stats(b)["leases_held"] == 0,
                      30), (shared_stats(a), shared_stats(b))
    # Asked again, neither host computes it.
    for d in (a, b):
        scopefs.get_or_compute(d.mnt, "k1", Counted("k1", fail=AssertionError("computed")),
                               timeout=30).close()


def test_a_computation_that_fails_on_one_host_lets_the_other_compute_it(hosts):
    a, b = hosts
    failing = Counted("k1", hold=2.0, fail=RuntimeError("the database is down"))
    working = Counted("k1", hold=0)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        on_a = pool.submit(scopefs.get_or_compute, a.mnt, "k1", failing, timeout=60)
        assert wait_until(lambda: failing.calls, 10)  # A holds the lease, computing
        assert shared_stats(a)["leases_held"] == 1
        # B waits on A's lease; when A gives up (its pending scope removed, the
        # lease released), B computes it.
        with scopefs.get_or_compute(b.mnt, "k1", working, timeout=120) as s:
            scopes.assert_is(s, scopes.coverage_scope("k1"))
        with pytest.raises(RuntimeError, match="the database is down"):
            on_a.result(timeout=60)
    assert len(failing.calls) == 1 and len(working.calls) == 1
    assert shared_stats(b)["lease_waits"] >= 1
    assert scopes.keys(a.mnt) == []
    # B publishes it; A then reads it through instead of computing it again.
    assert wait_until(lambda: shared_stats(b)["publishes"] == 1, 60), shared_stats(b)
    with scopefs.get_or_compute(a.mnt, "k1", Counted("k1", fail=AssertionError("computed")),
                                timeout=60) as s:
        scopes.assert_is(s, scopes.coverage_scope("k1"))
