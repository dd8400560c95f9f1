"""The errors the package raises besides the built-in ones.

Both are ``OSError`` with ``errno.EIO``, the errno the daemon gives when it finds
damage, so ``except OSError`` catches damage whether the daemon or this package
found it. The message names the file.
"""
import errno


class DamagedScope(OSError):
    """A scope's file is not what its metadata says (a bits file of the wrong
    size, a ``meta.json`` or ``mappings.json`` that is not the expected JSON)."""

    def __init__(self, path: str, why: str):
        super().__init__(errno.EIO, why, path)


class DamagedIndex(DamagedScope):
    """A ``nodes.idx`` / ``links.idx`` file failed a check at open: its magic,
    version, hash function, widths, fanout size, header or section CRC-32, padding,
    or a section that lies outside the file or has the wrong length (store/FORMAT.md,
    "Checks")."""
