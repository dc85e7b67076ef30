"""Keyed state stores for the folds."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from projections.contributor_daily import ENTRY_PREFIX, PART_PREFIX

_MISSING = object()
"""An absent key, as remembered in `BufferedStore._read`."""
_UNREAD = object()


def sync_member(store: MutableMapping[str, Any], key: str, member: str, present: bool) -> None:
    """Add `member` to (or with present=False remove it from) the sorted list at `key`,
    writing only when that changes it."""
    members: list[str] = store.get(key) or []
    at = bisect.bisect_left(members, member)
    found = at < len(members) and members[at] == member
    if present and not found:
        store[key] = [*members[:at], member, *members[at:]]
    elif not present and found:
        store[key] = [*members[:at], *members[at + 1 :]]


def set_entry(store: MutableMapping[str, Any], key: str, name: str, value: Any) -> None:
    """Set `name` to `value` in the dict stored at `key` (a new dict when there is none).

    A stored dict is never changed in place: a Faust table persists on assignment, and
    readers may hold it. A `BufferedStore` copies it once per batch and changes its own
    copy after that (`BufferedStore.own`), so adding many names to a large dict in one
    batch costs one copy, not one per name."""
    if isinstance(store, BufferedStore):
        store.own(key, _copy_dict)[name] = value
    else:
        store[key] = {**(store.get(key) or {}), name: value}


def _copy_dict(found: dict[str, Any] | None) -> dict[str, Any]:
    return dict(found or {})


class BufferedStore(MutableMapping[str, Any]):
    """Reads through to a backing store, keeps writes until `flush`.

    A Faust table sends every assignment to its changelog; folding a batch through this
    buffer writes each changed key once per batch instead of once per event.
    """

    def __init__(self, backing: MutableMapping[str, Any]) -> None:
        self.backing = backing
        self.pending: dict[str, Any] = {}
        self._read: dict[str, Any] = {}
        """What was read from the backing store (or found missing) during the batch: the
        folds read a key several times, and nothing else writes the backing store."""
        self._copies: dict[str, dict[str, Any]] = {}
        """Values this batch copied for `own`, by key: its own while still pending."""

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        value = self.pending.get(key, _UNREAD)
        if value is _UNREAD:
            value = self._read.get(key, _UNREAD)
            if value is _UNREAD:
                value = self._read[key] = self.backing.get(key, _MISSING)
        return default if value is _MISSING else value

    def __setitem__(self, key: str, value: Any) -> None:
        self.pending[key] = value

    def own(self, key: str, copy: Callable[[Any], Any]) -> Any:
        """The batch's own copy of the value at `key`, pending, for the caller to change in
        place: made with `copy` (of the value, None when absent) on the batch's first call,
        the same object on later calls while it is pending. Values read or handed to the
        backing store are never changed."""
        copies = self._copies
        found = copies.get(key)
        if found is None or self.pending.get(key) is not found:
            found = copies[key] = self.pending[key] = copy(self.get(key))
        return found

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError("the folds never delete keys")

    def __iter__(self) -> Iterator[str]:
        yield from self.pending
        yield from (k for k in self.backing if k not in self.pending)

    def __len__(self) -> int:
        return len(self.pending) + sum(1 for k in self.backing if k not in self.pending)

    def write_order(self) -> list[str]:
        """The buffered keys in the order they must reach the backing store: split days'
        parts first, so a day's record never says split without its parts (see
        contributor_daily.SPLIT_AT); entry records last, so a crash between the writes
        leaves the days written and the entries to be redone (see contributor_daily.apply).
        """
        return sorted(self.pending, key=_write_rank)

    def flush(self) -> int:
        """Write the buffered keys to the backing store in write order; return how many."""
        keys = self.write_order()
        for key in keys:
            self.backing[key] = self.pending[key]
        self.pending.clear()
        self._read.clear()
        self._copies.clear()
        return len(keys)


def _write_rank(key: str) -> int:
    if key.startswith(PART_PREFIX):
        return 0
    return 2 if key.startswith(ENTRY_PREFIX) else 1
