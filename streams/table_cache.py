"""A decoded-value cache in front of the Faust table.

Reading a RocksDB-backed Faust table costs a key lookup, a value lookup and a JSON decode
on every `get`; the folds read the same keys many times. This worker is the only writer
of the partitions it owns, so a write-through cache is exact until the partitions move,
when it is cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from streams.state_writer import MISSING as _MISSING

_UNCACHED = object()


class CachedTable(MutableMapping[str, Any]):
    """Write-through cache of a table's values, in two generations of at most `max_keys`
    each: when the young one is full it becomes the old one, and the old one is dropped.
    A value read from the old generation moves to the young one, so the keys in use stay
    cached (an approximate LRU at a dict lookup per read).

    An absent key is cached too (as absent): the alert evaluation looks up the state of
    every quiet subject at each of its runs.

    Keys starting with one of `uncached_prefixes` are read from the table every time:
    for keys read about once each (a time entry's record, read when its events come),
    caching holds memory without saving reads.
    """

    def __init__(
        self,
        table: MutableMapping[str, Any],
        max_keys: int = 60_000,
        uncached_prefixes: tuple[str, ...] = (),
        read: Callable[[str], Any] | None = None,
    ) -> None:
        """`read(key)` reads the table, returning `missing` for an absent key (by default
        `table.get`)."""
        self.table = table
        self._read_table = read or (lambda key: table.get(key, _MISSING))
        self.max_keys = max_keys
        self.uncached_prefixes = uncached_prefixes
        self._cache: dict[str, Any] = {}
        self._old: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value = self._cache.get(key, _UNCACHED)
        if value is _UNCACHED:
            value = self._old.pop(key, _UNCACHED)
            if value is _UNCACHED:
                value = self._read_table(key)
            self.remember(key, value)
        return default if value is _MISSING else value

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.table[key] = value
        self.remember(key, value)

    def __delitem__(self, key: str) -> None:
        del self.table[key]
        self._cache.pop(key, None)
        self._old.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def clear_cache(self) -> None:
        """Forget every cached value (call when partitions are revoked)."""
        self._cache.clear()
        self._old.clear()

    def remember(self, key: str, value: Any) -> None:
        """Cache a value written to the table by other means (`StateWriter`), or the
        table's `missing` marker for a key known to be absent."""
        if self.uncached_prefixes and key.startswith(self.uncached_prefixes):
            return
        if len(self._cache) >= self.max_keys:
            self._old, self._cache = self._cache, {}
        self._old.pop(key, None)
        self._cache[key] = value
