"""Copies the scope SRC into DST (a new directory on the mount) the way a
writer that does not write front to back would: the bits and meta.json by
shutil, then mappings.json's second half in 64 KiB pieces from its end
backwards, then its first half in order. Prints the error close() reports.

Usage: write_out_of_order.py SRC DST
"""
import os, shutil, sys

src, dst = sys.argv[1], sys.argv[2]
os.mkdir(dst)
for name in ("nodes.bits", "links.bits", "meta.json"):
    shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
data = open(os.path.join(src, "mappings.json"), "rb").read()
piece, half = 64 << 10, len(data) // 2
fd = os.open(os.path.join(dst, "mappings.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
end = len(data)
while end > half:
    start = max(half, end - piece)
    os.pwrite(fd, data[start:end], start)
    end = start
for start in range(0, half, piece):
    os.pwrite(fd, data[start:min(half, start + piece)], start)
try:
    os.close(fd)
except OSError as e:
    print(e.strerror)
