"""BufferedStore: reads see pending writes, flush writes each key once, entries last."""

from __future__ import annotations

from typing import Any

from projections.store import BufferedStore, set_entry


class RecordingStore(dict[str, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append(key)
        super().__setitem__(key, value)


def test_reads_see_pending_writes_and_flush_writes_each_key_once() -> None:
    backing = RecordingStore()
    backing["day|a"] = 1
    backing.writes.clear()
    store = BufferedStore(backing)
    assert store.get("day|a") == 1 and store.get("nope") is None
    for value in range(5):
        store["entry|x"] = value
        store["day|a"] = value
    assert store["day|a"] == 4 and backing["day|a"] == 1
    assert sorted(store) == ["day|a", "entry|x"] and len(store) == 2
    assert store.flush() == 2
    assert backing.writes == ["day|a", "entry|x"]
    assert dict(backing) == {"day|a": 4, "entry|x": 4}
    assert store.flush() == 0


def test_cached_table_writes_through_and_forgets_on_request() -> None:
    from streams.table_cache import CachedTable

    table: dict[str, Any] = {"a": 1}
    cached = CachedTable(table, max_keys=2)
    assert cached.get("a") == 1 and cached.get("missing", 0) == 0
    table["a"] = 2  # a change behind the cache's back (partitions moved)...
    assert cached["a"] == 1
    cached.clear_cache()  # ...is seen once the cache is cleared
    assert cached["a"] == 2
    cached["b"] = 3
    assert table["b"] == 3 and cached.get("b") == 3
    cached["c"] = 4  # over max_keys: a new generation starts, values stay right
    assert [cached[k] for k in "abc"] == [2, 3, 4]


def test_cached_table_keeps_the_keys_in_use_across_generations() -> None:
    from streams.table_cache import CachedTable

    table: dict[str, Any] = {k: 1 for k in "abcd"}
    cached = CachedTable(table, max_keys=2)
    assert [cached[k] for k in "abc"] == [1, 1, 1]  # "a" and "b" are now the old generation
    assert cached["a"] == 1  # read again: back in the young one, with "c"
    assert cached["d"] == 1  # young full again: "b" is dropped, "c" and "a" get old
    table.update(a=2, b=2)  # changes behind the cache's back show which keys it holds
    assert (cached["a"], cached["b"]) == (1, 2)


def test_cached_table_reads_uncached_prefixes_from_the_table_every_time() -> None:
    from streams.table_cache import CachedTable

    table: dict[str, Any] = {"entry|1": 1, "day|1": 1}
    cached = CachedTable(table, uncached_prefixes=("entry|",))
    assert cached.get("entry|1") == 1 and cached.get("day|1") == 1
    table["entry|1"] = table["day|1"] = 2
    assert cached["entry|1"] == 2 and cached["day|1"] == 1
    cached["entry|2"] = 3
    del table["entry|2"]
    assert cached.get("entry|2") is None


def test_cached_table_remembers_absent_keys_until_written() -> None:
    from streams.table_cache import CachedTable

    reads: list[str] = []
    table: dict[str, Any] = {}

    def read(key: str) -> Any:
        from streams.state_writer import MISSING

        reads.append(key)
        return table.get(key, MISSING)

    cached = CachedTable(table, read=read)
    assert cached.get("alert|x") is None and cached.get("alert|x", 0) == 0
    assert reads == ["alert|x"]  # the second lookup was answered from the cache
    cached["alert|x"] = 1  # a write replaces the absent marker
    assert cached["alert|x"] == 1
    cached.remember("alert|y", 2)  # and so does a value written by the state writer
    assert cached.get("alert|y") == 2 and reads == ["alert|x"]
    del cached["alert|x"]
    assert cached.get("alert|x") is None and reads == ["alert|x", "alert|x"]


def test_a_batch_reads_each_key_from_the_backing_store_once_even_when_absent() -> None:
    reads: list[str] = []

    class CountingStore(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            reads.append(key)
            return super().get(key, default)

    backing = CountingStore(present=1)
    store = BufferedStore(backing)
    for _ in range(3):
        assert store.get("absent") is None and store.get("absent", 0) == 0
        assert store.get("present") == 1
    assert sorted(reads) == ["absent", "present"]
    store["absent"] = 2  # a write in the batch is seen over the remembered absence
    assert store.get("absent") == 2
    store.flush()  # the next batch reads the backing store again
    assert store.get("absent") == 2 and reads[-1] == "absent"


def test_set_entry_copies_a_stored_dict_once_per_batch_and_never_changes_it() -> None:
    stored = {"ana": "2026-03-02"}
    backing: dict[str, Any] = {"members": stored}
    batch = BufferedStore(backing)
    set_entry(batch, "members", "ben", "2026-03-03")
    copy = batch["members"]
    set_entry(batch, "members", "cy", "2026-03-04")
    assert batch["members"] is copy  # one copy for the batch
    assert copy == {"ana": "2026-03-02", "ben": "2026-03-03", "cy": "2026-03-04"}
    assert stored == {"ana": "2026-03-02"}
    batch.flush()
    assert backing["members"] is copy

    # The next batch copies again: the dict now in the backing store stays as written.
    following = BufferedStore(backing)
    set_entry(following, "members", "dee", "2026-03-05")
    assert copy == {"ana": "2026-03-02", "ben": "2026-03-03", "cy": "2026-03-04"}
    assert following["members"] == {**copy, "dee": "2026-03-05"}


def test_set_entry_copies_again_after_the_key_was_assigned_or_the_writes_dropped() -> None:
    batch = BufferedStore({})
    set_entry(batch, "members", "ana", "2026-03-02")
    replaced = {"ben": "2026-03-03"}
    batch["members"] = replaced
    set_entry(batch, "members", "cy", "2026-03-04")
    assert replaced == {"ben": "2026-03-03"}
    assert batch["members"] == {"ben": "2026-03-03", "cy": "2026-03-04"}
    kept = batch["members"]
    batch.pending.clear()  # the worker hands pending writes to the table itself
    set_entry(batch, "members", "dee", "2026-03-05")
    assert kept == {"ben": "2026-03-03", "cy": "2026-03-04"}


def test_set_entry_on_a_plain_mapping_writes_a_new_dict() -> None:
    stored = {"ana": "2026-03-02"}
    store: dict[str, Any] = {"members": stored}
    set_entry(store, "members", "ben", "2026-03-03")
    assert store["members"] == {"ana": "2026-03-02", "ben": "2026-03-03"}
    assert stored == {"ana": "2026-03-02"}
