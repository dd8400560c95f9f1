"""Hostile input through the mount: bad keys, meta.json, mappings and
mappings.json.gz (a gzip bomb included), writes at absurd offsets and reads
past the end. Prints "<case> <errno name, OK or what a read returned>" per case.

Usage: hostile_probe.py MOUNTPOINT (a committed scope "good" must be there).
"""
import errno, gzip, json, os, sys, zlib
mnt = sys.argv[1]

def name(e):
    return errno.errorcode.get(e.errno, str(e.errno))

def attempt(label, fn):
    try:
        r = fn()
        print(label, "OK" if r is None else r)
    except OSError as e:
        print(label, name(e))

# Keys.
for label, key in (("key ..x", b"..x"), ("key .hidden", b".hidden"), ("key space", b"a b"),
                   ("key control", b"a\x01b"), ("key utf8", b"\xff\xfe"), ("key 201", b"k" * 201),
                   ("key 300", b"k" * 300)):
    attempt(label, lambda: os.mkdir(os.path.join(mnt.encode(), key)))

NODES, LINKS = 10, 5
GOOD_MAPS = json.dumps({"node_id_mapping": {f"n{i}": i for i in range(NODES)},
                        "link_id_mapping": {f"l{i}": i for i in range(LINKS)}}).encode()
GOOD_META = json.dumps({"total_nodes": NODES, "total_links": LINKS}).encode()

def scope(label, key, meta=GOOD_META, maps=GOOD_MAPS, maps_name="mappings.json"):
    """Writes a scope with meta.json last; prints how its final close() went."""
    d = os.path.join(mnt, key)
    def go():
        os.mkdir(d)
        for n, data in (("nodes.bits", b"\x80\x01"), ("links.bits", b"\x08"), (maps_name, maps)):
            with open(os.path.join(d, n), "wb") as f:
                f.write(data)
        f = open(os.path.join(d, "meta.json"), "wb")
        f.write(meta)
        f.close()  # the commit: its verdict
    attempt(label, go)
    if os.path.isdir(d) and os.path.exists(os.path.join(d, ".status")):
        assert os.system("rm -r '%s'" % d) == 0  # refused: rm -r removes the pending scope

# meta.json.
deep = b"[" * 100000 + b"]" * 100000
for label, meta in (("meta invalid json", b"{nope"), ("meta not object", b"[1]"),
                    ("meta negative", b'{"total_nodes":-1,"total_links":5}'),
                    ("meta string", b'{"total_nodes":"10","total_links":5}'),
                    ("meta huge", b'{"total_nodes":1e30,"total_links":5}'),
                    ("meta 2^64", b'{"total_nodes":18446744073709551616,"total_links":5}'),
                    ("meta fractional", b'{"total_nodes":10.5,"total_links":5}'),
                    ("meta duplicate", b'{"total_nodes":10,"total_nodes":10,"total_links":5}'),
                    ("meta nested", b'{"x":' + deep + b',"total_nodes":10,"total_links":5}'),
                    ("meta over 1MiB", b'{"x":"' + b"a" * (1 << 20) + b'"}')):
    scope(label, "m", meta=meta)

# Mappings.
for label, maps in (("maps index>=total", b'{"node_id_mapping":{"a":10},"link_id_mapping":{}}'),
                    ("maps negative", b'{"node_id_mapping":{"a":-1},"link_id_mapping":{}}'),
                    ("maps fractional", b'{"node_id_mapping":{"a":1.5},"link_id_mapping":{}}'),
                    ("maps string", b'{"node_id_mapping":{"a":"1"},"link_id_mapping":{}}'),
                    ("maps no links", b'{"node_id_mapping":{"a":1}}')):
    scope(label, "p", maps=maps)

# mappings.json.gz.
good_gz = gzip.compress(GOOD_MAPS, 6)
bad_crc = bytearray(good_gz); bad_crc[-8] ^= 0xFF
bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
bomb_gz = bomb.compress(b"{" + b" " * (200 << 20)) + bomb.flush()  # 200 MiB of spaces
for label, gz in (("gz truncated", good_gz[:len(good_gz) // 2]), ("gz bad crc", bytes(bad_crc)),
                  ("gz trailing garbage", good_gz + b"garbage"), ("gz plain json", GOOD_MAPS),
                  ("gz bomb", bomb_gz)):
    scope(label, "g", maps=gz, maps_name="mappings.json.gz")

# Writes and reads at absurd offsets.
os.mkdir(os.path.join(mnt, "w"))
fd = os.open(os.path.join(mnt, "w", "nodes.bits"), os.O_WRONLY | os.O_CREAT)
attempt("write at 2^40", lambda: os.pwrite(fd, b"x", 1 << 40) and None)
attempt("fallocate 1TiB", lambda: os.posix_fallocate(fd, 0, 1 << 40))
os.close(fd)
assert os.system("rm -r '%s'" % os.path.join(mnt, "w")) == 0
fd = os.open(os.path.join(mnt, "good", "mappings.json"), os.O_RDONLY)
size = os.fstat(fd).st_size
attempt("read at EOF", lambda: "%d bytes" % len(os.pread(fd, 100, size)))
attempt("read past EOF", lambda: "%d bytes" % len(os.pread(fd, 100, size + 12345)))
attempt("read at 2^62", lambda: "%d bytes" % len(os.pread(fd, 100, 1 << 62)))
os.close(fd)
