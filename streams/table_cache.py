"""A decoded-value cache in front of the Faust table.

Reading a RocksDB-backed Faust table costs a key lookup, a value lookup and a JSON decode
on every `get`; the folds read the same keys many times. This worker is the only writer
of the partitions it owns, so a write-through cache is exact until the partitions move,
when it is cleared.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_MISSING = object()


class CachedTable(MutableMapping[str, Any]):
    """Write-through cache of a table's values, bounded by `max_keys` (cleared when full)."""

    def __init__(self, table: MutableMapping[str, Any], max_keys: int = 500_000) -> None:
        self.table = table
        self.max_keys = max_keys
        self._cache: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            value = self.table.get(key, _MISSING)
            if value is _MISSING:
                return default
            self.remember(key, value)
        return value

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

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def clear_cache(self) -> None:
        """Forget every cached value (call when partitions are revoked)."""
        self._cache.clear()

    def remember(self, key: str, value: Any) -> None:
        """Cache a value written to the table by other means (`StateWriter`)."""
        if len(self._cache) >= self.max_keys:
            self._cache.clear()
        self._cache[key] = value
