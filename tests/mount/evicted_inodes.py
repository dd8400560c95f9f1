"""A reader holds a file across its scope's eviction (max_entries 2); once it
closes, the daemon's inode count drops by the scope's directory and file.

Usage: evicted_inodes.py MOUNTPOINT SOURCE_SCOPE
Prints "<inodes while held> <inodes after the close>".
"""
import json, os, shutil, sys, time
mnt, src = sys.argv[1], sys.argv[2]
def inodes():
    return json.load(open(mnt + "/.scopefs/stats.json"))["inodes"]
shutil.copytree(src, mnt + "/a")
fd = os.open(mnt + "/a/nodes.bits", os.O_RDONLY)
shutil.copytree(src, mnt + "/b")
open(mnt + "/b/nodes.bits", "rb").read()  # b is used after a
shutil.copytree(src, mnt + "/c")  # max_entries 2: evicts a
for _ in range(100):
    if not os.path.exists(mnt + "/a"):
        break
    time.sleep(0.01)
assert not os.path.exists(mnt + "/a"), "a was not evicted"
assert os.pread(fd, 4, 0) == open(src + "/nodes.bits", "rb").read(4)
held = inodes()
os.close(fd)
for _ in range(200):
    if inodes() <= held - 2:
        break
    time.sleep(0.01)
print(held, inodes())
