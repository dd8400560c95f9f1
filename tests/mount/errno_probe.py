"""Every refusal of the mount has its errno: one check per line, printed as
"<what> <errno name or OK>" for the test to compare as a whole.

Usage: errno_probe.py MOUNTPOINT COMMITTED_KEY (MOUNTPOINT/p must not exist).
"""
import errno, os, sys
mnt, committed = sys.argv[1], sys.argv[2]
def probe(what, fn):
    try:
        fn()
        print(what, "OK")
    except OSError as e:
        print(what, errno.errorcode[e.errno])
def write(path, data=b"x", flags=os.O_WRONLY | os.O_CREAT):
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
probe("mkdir .hidden", lambda: os.mkdir(mnt + "/.hidden"))
probe("mkdir space", lambda: os.mkdir(mnt + "/a b"))
probe("mkdir 201", lambda: os.mkdir(mnt + "/" + "k" * 201))
probe("mkdir existing", lambda: os.mkdir(mnt + "/" + committed))
probe("mkdir pending", lambda: os.mkdir(mnt + "/p"))
probe("create other name", lambda: write(mnt + "/p/other.txt"))
probe("create temp name", lambda: write(mnt + "/p/.nodes.bits.XYZ"))
probe("mkdir in scope", lambda: os.mkdir(mnt + "/p/sub"))
probe("symlink", lambda: os.symlink("nodes.bits", mnt + "/p/links.bits"))
probe("hard link", lambda: os.link(mnt + "/p/.nodes.bits.XYZ", mnt + "/p/nodes.bits"))
probe("mkfifo", lambda: os.mkfifo(mnt + "/p/meta.json"))
probe("file at top", lambda: write(mnt + "/file"))
probe("write pending", lambda: write(mnt + "/p/nodes.bits", b"\0" * 10))
probe("read pending", lambda: open(mnt + "/p/nodes.bits", "rb").read())
probe("write committed", lambda: write(mnt + "/" + committed + "/nodes.bits", flags=os.O_WRONLY))
probe("truncate committed", lambda: os.truncate(mnt + "/" + committed + "/links.bits", 0))
probe("create in committed", lambda: write(mnt + "/" + committed + "/.tmp"))
probe("rename in committed", lambda: os.rename(mnt + "/" + committed + "/nodes.bits", mnt + "/" + committed + "/.x"))
probe("chmod committed", lambda: os.chmod(mnt + "/" + committed + "/nodes.bits", 0o600))
probe("utime committed dir", lambda: os.utime(mnt + "/" + committed, (1, 1)))
probe("read committed", lambda: open(mnt + "/" + committed + "/nodes.bits", "rb").read())
probe("rmdir committed", lambda: os.rmdir(mnt + "/" + committed))
probe("rmdir missing", lambda: os.rmdir(mnt + "/nope"))
probe("rename scope onto scope", lambda: os.rename(mnt + "/p", mnt + "/" + committed))
probe("rename to bad key", lambda: os.rename(mnt + "/p", mnt + "/.p"))
probe("move file across scopes", lambda: os.rename(mnt + "/p/nodes.bits", mnt + "/" + committed + "/x"))
probe("unlink status", lambda: os.unlink(mnt + "/p/.status"))
probe("rm control", lambda: os.unlink(mnt + "/.scopefs/stats.json"))
probe("xattr", lambda: os.getxattr(mnt + "/" + committed + "/nodes.bits", "user.x"))
