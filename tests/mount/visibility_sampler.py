"""Lists and stats every committed scope every millisecond while 200 copies of
SOURCE are added: a committed name (dr-xr-xr-x) never shows a partial scope.

Usage: visibility_sampler.py MOUNTPOINT SOURCE_SCOPE
Prints "<observations of committed scopes> <partial ones>".
"""
import os, shutil, stat, sys, threading, time
mnt, src = sys.argv[1], sys.argv[2]
sizes = {f: os.path.getsize(os.path.join(src, f)) for f in ("nodes.bits", "links.bits", "mappings.json")}
done = False
observations = partial = 0
def sampler():
    global observations, partial
    while not done:
        for key in os.listdir(mnt):
            if key.startswith("."):
                continue
            try:
                st = os.stat(os.path.join(mnt, key))
                if stat.S_IMODE(st.st_mode) & 0o222:
                    continue  # pending: writable, not committed
                observations += 1
                for f, size in sizes.items():
                    got = os.stat(os.path.join(mnt, key, f)).st_size
                    if got != size:
                        partial += 1
                        print("partial:", key, f, got, "bytes, not", size, file=sys.stderr)
                os.stat(os.path.join(mnt, key, "meta.json"))
            except FileNotFoundError:
                pass  # evicted (past max_entries) between the listing and the stat
        time.sleep(0.001)
t = threading.Thread(target=sampler)
t.start()
for i in range(200):
    shutil.copytree(src, os.path.join(mnt, f"v{i}"))
done = True
t.join()
print(observations, partial)
