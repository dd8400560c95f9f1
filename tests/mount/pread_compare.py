"""A large mappings.json on the mount serves every offset: 1,000 random preads
of assorted sizes (past the end too) and an mmap of the whole file equal the source.

Usage: pread_compare.py SOURCE_SCOPE MOUNTED_SCOPE; prints "ok".
"""
import os, random, sys, mmap
src, dst = sys.argv[1] + "/mappings.json", sys.argv[2] + "/mappings.json"
size = os.path.getsize(src)
assert os.path.getsize(dst) == size
a, b = os.open(src, os.O_RDONLY), os.open(dst, os.O_RDONLY)
rng = random.Random(7)
for _ in range(1000):
    off = rng.randrange(0, size + 100)
    n = rng.choice([1, 100, 4096, 65536, 1 << 20])
    assert os.pread(a, n, off) == os.pread(b, n, off), off
with open(dst, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    with open(src, "rb") as g:
        assert m[:] == g.read()
print("ok")
