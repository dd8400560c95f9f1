"""The mapping a scope without index files gives: the dict ``json.load`` built,
behind the same API as ``IndexMapping`` (``get_many``, ``ids_of``, ``to_dict``).

Lookups cost what a dict lookup costs; the price was paid at open, by the parse.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from zlib import crc32

from .index import numpy_or_none


class JsonMapping(Mapping):
    """A read-only ``Mapping[str, int]`` over a dict parsed from ``mappings.json``.

    Iteration follows the JSON's order (an ``IndexMapping`` goes in index order;
    a scope written by enumerating rows has the two the same).

    Thread-safe for lookups; the reverse map of ``ids_of`` is built once, on its
    first call.
    """

    __slots__ = ("path", "_dict", "_reverse")

    def __init__(self, mapping: dict[str, int], path: str = "<dict>"):
        self.path = path
        self._dict = mapping
        self._reverse: dict[int, str] | None = None

    def __getitem__(self, key: str) -> int:
        return self._dict[key]

    def get(self, key, default=None):
        try:
            return self._dict.get(key, default)
        except TypeError:  # unhashable: no such id
            return default

    def __contains__(self, key) -> bool:
        try:
            return key in self._dict
        except TypeError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __repr__(self) -> str:
        return f"<scopefs.JsonMapping {self.path}: {len(self._dict)} ids>"

    def items(self):
        return self._dict.items()

    def values(self):
        return self._dict.values()

    def keys(self):
        return self._dict.keys()

    def to_dict(self) -> dict[str, int]:
        """A new dict (a copy: the mapping stays read-only)."""
        return dict(self._dict)

    def close(self) -> None:
        """Nothing to release; here so both mappings close alike."""

    def get_many(self, ids: Iterable[str]):
        """The index of each id, -1 where absent: a numpy int64 array when numpy
        can be imported, else a list."""
        ids = ids if isinstance(ids, list) else list(ids)
        get = self.get
        found = [get(k, -1) for k in ids]
        np = numpy_or_none()
        return found if np is None else np.array(found, dtype=np.int64)

    def ids_of(self, indices: Iterable[int]) -> list:
        """The id with each index, None where no id has it. Where several ids
        share an index, the one an index file would give (the lowest CRC-32, then
        the lowest bytes). The first call builds a reverse dict."""
        if self._reverse is None:
            reverse: dict[int, str] = {}
            for key, value in self._dict.items():
                have = reverse.setdefault(value, key)
                if have is not key and _entry_order(key) < _entry_order(have):
                    reverse[value] = key
            self._reverse = reverse
        get = self._reverse.get
        out = []
        for v in indices:
            try:
                out.append(get(v))
            except TypeError:
                out.append(None)
        return out


def _entry_order(key: str) -> tuple[int, bytes]:
    b = key.encode()
    return crc32(b), b
