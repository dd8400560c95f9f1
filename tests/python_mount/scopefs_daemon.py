"""A real scopefs mount for pytest, as tests/support/mount_fixture.h makes one
for the C++ tests.

``ScopefsDaemon`` starts the built daemon (``$SCOPEFS_BIN``, set by CTest) in
the foreground on a temp store and mountpoint with ``-o auto_unmount``, waits
for its readiness byte on ``--notify-fd`` (bounded; fails at once with its log
if it dies first), and ``stop()`` unmounts and returns its exit status. If the
daemon does not exit in time it is killed and its mount cleared lazily. The
daemon runs under ``setpriv --pdeathsig TERM``, so it unmounts if pytest dies
without its teardown, and every mount lives in this process's private mount
namespace (``enter_private_mount_namespace``), which the kernel tears down
with the process however it ends: no mount outlives the tests.
"""
from __future__ import annotations

import ctypes
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

_CLONE_NEWNS = 0x00020000
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000
_namespace_error: Optional[str] = None
_namespace_entered = False


def enter_private_mount_namespace() -> Optional[str]:
    """Moves this process into a mount namespace of its own with ``/`` private.
    Once per process, while it has one thread (pytest_configure). None on
    success, else why not (it needs root)."""
    global _namespace_error, _namespace_entered
    if _namespace_entered or _namespace_error:
        return _namespace_error
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS) != 0:
        _namespace_error = f"unshare(CLONE_NEWNS): {os.strerror(ctypes.get_errno())}"
    elif libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        _namespace_error = f"making / private: {os.strerror(ctypes.get_errno())}"
    else:
        _namespace_entered = True
    return _namespace_error


def why_no_mount() -> Optional[str]:
    """Why this process cannot mount scopefs, or None: the built daemon named,
    /dev/fuse usable, fusermount3 and setpriv there, the namespace entered."""
    binary = os.environ.get("SCOPEFS_BIN")
    if not binary or not os.access(binary, os.X_OK):
        return "no scopefs binary: SCOPEFS_BIN is not set (run under ctest)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "no usable /dev/fuse"
    for tool in ("fusermount3", "setpriv"):
        if shutil.which(tool) is None:
            return f"no {tool} on PATH"
    error = enter_private_mount_namespace()
    if error:
        return f"no private mount namespace for the test's mounts (needs root): {error}"
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)


class ScopefsDaemon:
    """One daemon: `root`/store, `root`/mnt and `root`/daemon.log.
    Not thread-safe; for the test's main thread."""

    def __init__(self, root: Path, extra_args: list[str] = (), env: Optional[dict] = None):
        self.root = Path(root)
        self.store = self.root / "store"
        self.mnt = self.root / "mnt"
        self.log_path = self.root / "daemon.log"
        self.extra_args = list(extra_args)
        self.env = env
        self.proc: Optional[subprocess.Popen] = None
        self.mnt.mkdir(parents=True, exist_ok=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, timeout: float = 60) -> None:
        """Starts the daemon; RuntimeError with its log if it is not ready in time."""
        read_end, write_end = os.pipe()
        try:
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    ["setpriv", "--pdeathsig", "TERM", os.environ["SCOPEFS_BIN"], "-f",
                     "--notify-fd", str(write_end), "-o", "auto_unmount", *self.extra_args,
                     str(self.store), str(self.mnt)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write_end,),
                    env=self.env)
            os.close(write_end)
            write_end = -1
            # One byte once the mount is live; EOF if the daemon dies first.
            ready, _, _ = select.select([read_end], [], [], timeout)
            byte = os.read(read_end, 1) if ready else b""
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)
        if not byte:
            self.kill()
            raise RuntimeError(f"scopefs was not ready within {timeout} s; its log:\n{self.log()}")

    def stop(self) -> int:
        """Unmounts and waits; the daemon's exit status (-1 if it had to be killed)."""
        if self.proc is None:
            return -1
        _run(["fusermount3", "-u", str(self.mnt)], 20)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            return -1
        self.proc = None
        return rc

    def kill(self) -> None:
        """SIGKILL, then clears the mount if it is still there (the last resort)."""
        if self.proc is not None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if os.path.ismount(self.mnt) or _is_listed_mount(self.mnt):
            _run(["fusermount3", "-u", "-z", str(self.mnt)], 20)


def _is_listed_mount(path: Path) -> bool:
    with open("/proc/self/mounts", encoding="utf-8", errors="replace") as f:
        return any(line.split()[1] == str(path) for line in f if len(line.split()) > 1)


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    """Polls `predicate` until it is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)
