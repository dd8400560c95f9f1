"""One process of the concurrent get_or_compute tests.

Usage: compute_worker.py MOUNT KEY GO_FILE COMPUTED_LOG [TIMEOUT]

Waits (at most 30 s) for GO_FILE to exist, so that every worker starts at
once, then calls scopefs.get_or_compute(MOUNT, KEY, compute). compute appends
this process's pid to COMPUTED_LOG, holds on for 1 s (so the others find the
scope pending) and returns scopes.coverage_scope(KEY). Prints the SHA-256 of
each of the scope's SAME_BYTES files as JSON; exit 0.
"""
import hashlib
import json
import os
import sys
import time

import scopefs
import scopes


def main() -> int:
    mount, key, go_file, computed_log = sys.argv[1:5]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    deadline = time.monotonic() + 30
    while not os.path.exists(go_file):
        if time.monotonic() > deadline:
            print("no go file", file=sys.stderr)
            return 1
        time.sleep(0.01)

    def compute():
        with open(computed_log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(1)
        return scopes.coverage_scope(key)

    with scopefs.get_or_compute(mount, key, compute, timeout=timeout) as s:
        scopes.assert_is(s, scopes.coverage_scope(key))
        digests = {name: hashlib.sha256(data).hexdigest()
                   for name, data in scopes.file_bytes(s.path).items()}
    print(json.dumps(digests, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
