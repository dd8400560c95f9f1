"""pytest set-up for the tests that mount a real scopefs: the package from this
tree (tools/python), the daemon harness beside them, and the fixtures.

Run by CTest (tests/CMakeLists.txt), which names the built daemon in
$SCOPEFS_BIN and, for the shared tests, the radosgw env file in
$SCOPEFS_TEST_S3_ENV. Without them the tests say SKIPPED."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.normpath(os.path.join(HERE, "..", "..", "tools", "python")), HERE]

from scopefs_daemon import ScopefsDaemon, enter_private_mount_namespace, why_no_mount  # noqa: E402


def pytest_configure(config):
    # Before any test starts a thread: unshare(CLONE_NEWNS) needs one thread.
    if os.environ.get("SCOPEFS_BIN"):
        enter_private_mount_namespace()


def pytest_sessionfinish(session, exitstatus):
    # A run whose every test skipped says so to CTest (SKIP_RETURN_CODE 77).
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = reporter.stats if reporter else {}
    if exitstatus == 0 and stats.get("skipped") and not stats.get("passed"):
        session.exitstatus = 77


@pytest.fixture
def start_daemon(tmp_path_factory):
    """start_daemon(extra_args=(), env=None): a started ScopefsDaemon on fresh
    directories. Teardown stops every daemon started, even when the test
    failed, and then fails the test if one did not exit 0."""
    why = why_no_mount()
    if why:
        pytest.skip(why)
    started = []

    def start(extra_args=(), env=None):
        d = ScopefsDaemon(tmp_path_factory.mktemp("host"), list(extra_args), env)
        started.append(d)
        d.start()
        return d

    yield start
    failed = []
    for d in started:
        if d.proc is None:
            continue  # never started (its start() raised) or already stopped
        rc = d.stop()
        if rc != 0:
            failed.append(f"{d.mnt}: exit status {rc}; its log:\n{d.log()}")
    if failed:
        pytest.fail("a daemon did not stop cleanly:\n" + "\n".join(failed))
