"""contributor_daily: revisions, deletions, moves, and order/duplicate independence."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import TimeDeleted, TimeLogged
from projections import contributor_daily as cd
from projections.store import BufferedStore
from tests.factories import event


def logged(**fields: Any) -> TimeLogged:
    e = event("time.logged", **fields)
    assert isinstance(e, TimeLogged)
    return e


def deleted(**fields: Any) -> TimeDeleted:
    e = event("time.deleted", **fields)
    assert isinstance(e, TimeDeleted)
    return e


def fold(events: Sequence[TimeLogged | TimeDeleted]) -> dict[str, Any]:
    store: dict[str, Any] = {}
    for e in events:
        cd.apply(store, e)
    return store


def minutes(
    store: dict[str, Any], contributor: str, day: str, org: str = "acme"
) -> tuple[int, int, int]:
    d = cd.day(store, (org, contributor, day))
    return d.logged_minutes, d.billable_minutes, d.entries


def test_entries_sum_per_contributor_day() -> None:
    store = fold(
        [
            logged(entry_id="a", minutes=60, billable=True),
            logged(entry_id="b", minutes=30, billable=False),
            logged(entry_id="c", minutes=45, contributor_id="ben"),
        ]
    )
    assert minutes(store, "ana", "2026-03-02") == (90, 60, 2)
    assert minutes(store, "ben", "2026-03-02") == (45, 45, 1)
    day = cd.day(store, ("acme", "ana", "2026-03-02"))
    assert (day.logged_hours, day.billable_hours, day.non_billable_hours) == (1.5, 1.0, 0.5)


def test_higher_revision_replaces_and_lower_or_equal_changes_nothing() -> None:
    store = fold(
        [
            logged(entry_id="a", revision=2, minutes=120),
            logged(entry_id="a", revision=1, minutes=30),
            logged(entry_id="a", revision=2, minutes=999 % 1440),
        ]
    )
    assert minutes(store, "ana", "2026-03-02") == (120, 120, 1)
    store = fold(
        [
            logged(entry_id="a", revision=1, minutes=30),
            logged(entry_id="a", revision=3, minutes=90, billable=False),
        ]
    )
    assert minutes(store, "ana", "2026-03-02") == (90, 0, 1)


def test_amendment_moves_an_entry_to_another_day_and_contributor() -> None:
    store = fold(
        [
            logged(entry_id="a", minutes=60),
            logged(
                entry_id="a",
                revision=2,
                minutes=60,
                work_date="2026-03-03",
                occurred_at="2026-03-03T10:00:00Z",
                contributor_id="ben",
            ),
        ]
    )
    assert minutes(store, "ana", "2026-03-02") == (0, 0, 0)
    assert minutes(store, "ben", "2026-03-03") == (60, 60, 1)


def test_deletion_needs_a_higher_revision() -> None:
    store = fold([logged(entry_id="a", revision=2, minutes=60), deleted(entry_id="a", revision=2)])
    assert minutes(store, "ana", "2026-03-02") == (60, 60, 1)
    cd.apply(store, deleted(entry_id="a", revision=3))
    assert minutes(store, "ana", "2026-03-02") == (0, 0, 0)
    cd.apply(store, logged(entry_id="a", revision=3, minutes=10))
    assert minutes(store, "ana", "2026-03-02") == (0, 0, 0)
    cd.apply(store, logged(entry_id="a", revision=4, minutes=10))
    assert minutes(store, "ana", "2026-03-02") == (10, 10, 1)


def test_orgs_never_mix() -> None:
    store = fold(
        [
            logged(entry_id="a", minutes=60, org_id="acme"),
            logged(entry_id="a", minutes=30, org_id="globex"),
        ]
    )
    assert minutes(store, "ana", "2026-03-02", "acme") == (60, 60, 1)
    assert minutes(store, "ana", "2026-03-02", "globex") == (30, 30, 1)


def test_apply_reports_every_day_of_the_entry() -> None:
    store: dict[str, Any] = {}
    assert cd.apply(store, logged(entry_id="a")) == {("acme", "ana", "2026-03-02")}
    moved = logged(entry_id="a", revision=2, work_date="2026-03-01")
    both = {("acme", "ana", "2026-03-01"), ("acme", "ana", "2026-03-02")}
    assert cd.apply(store, moved) == both
    before = dict(store)
    assert cd.apply(store, moved) == both  # a repeat rewrites the rows, not the state
    assert store == before


def test_reapplying_repairs_a_store_restored_from_different_moments() -> None:
    first = logged(entry_id="a", minutes=60)
    moved = logged(entry_id="a", revision=2, minutes=60, work_date="2026-03-01")
    early: dict[str, Any] = {}
    cd.apply(early, first)
    late = dict(early)
    cd.apply(late, moved)
    # After a crash: the entry comes back from the later moment, the old day from the
    # earlier one (it still counts the entry that has moved away).
    mixed = {
        **late,
        cd.day_key(("acme", "ana", "2026-03-02")): early[cd.day_key(("acme", "ana", "2026-03-02"))],
    }
    assert minutes(mixed, "ana", "2026-03-02") == (60, 60, 1)
    cd.apply(mixed, moved)  # replayed from the last committed offset
    assert mixed == late


def test_computed_at_is_the_latest_change_in_event_time() -> None:
    store = fold(
        [
            logged(entry_id="a", occurred_at="2026-03-02T09:00:00Z"),
            logged(entry_id="b", occurred_at="2026-03-02T18:30:00+01:00"),
        ]
    )
    assert cd.day(store, ("acme", "ana", "2026-03-02")).computed_at == dt.datetime(
        2026, 3, 2, 17, 30, tzinfo=dt.UTC
    )


# Property: any order, any duplication, any batching gives the same days.

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]


@st.composite
def histories(
    draw: st.DrawFn, max_entries: int = 4, mixed: bool = False
) -> list[TimeLogged | TimeDeleted]:
    """Entries revised up to 4 times, some deleted. `mixed`: on several projects and teams,
    and each revision at any event time (otherwise later revisions come later)."""
    events: list[TimeLogged | TimeDeleted] = []
    for n in range(draw(st.integers(1, max_entries))):
        for revision in draw(st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True)):
            hour = draw(st.integers(0, 23)) if mixed else revision
            at = f"2026-03-03T{hour:02d}:00:00Z"
            if draw(st.integers(0, 4)) == 0:
                events.append(deleted(entry_id=f"e{n}", revision=revision, occurred_at=at))
                continue
            where = (
                {
                    "project_id": draw(st.sampled_from(["p1", "p2"])),
                    "for_team_id": draw(st.sampled_from([None, "design", "eng"])),
                }
                if mixed
                else {}
            )
            events.append(
                logged(
                    entry_id=f"e{n}",
                    revision=revision,
                    occurred_at=at,
                    contributor_id=draw(st.sampled_from(["ana", "ben"])),
                    work_date=draw(st.sampled_from(DAYS)),
                    minutes=draw(st.integers(1, 600)),
                    billable=draw(st.booleans()),
                    **where,
                )
            )
    return events


def days_of(store: dict[str, Any]) -> dict[str, cd.ContributorDay]:
    keys = [k for k in store if k.startswith("day|")]
    return {k: cd.day(store, tuple(k.split("|")[1:])) for k in keys}  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(history=histories(), data=st.data())
def test_any_order_duplication_and_batching_gives_the_same_days(
    history: list[TimeLogged | TimeDeleted], data: st.DataObject
) -> None:
    expected = days_of(fold(sorted(history, key=lambda e: (e.entry_id, e.revision))))
    shuffled = data.draw(st.permutations(history))
    duplicated = shuffled + data.draw(st.lists(st.sampled_from(history), max_size=6))
    store: dict[str, Any] = {}
    for e in duplicated:
        cd.apply(store, e)
    assert days_of(store) == expected


@settings(max_examples=100, deadline=None)
@given(history=histories())
def test_days_equal_a_recount_of_the_latest_revisions(
    history: list[TimeLogged | TimeDeleted],
) -> None:
    latest: dict[str, TimeLogged | TimeDeleted] = {}
    for e in history:
        if e.entry_id not in latest or e.revision > latest[e.entry_id].revision:
            latest[e.entry_id] = e
    totals: dict[tuple[str, str], int] = {}
    for e in latest.values():
        if isinstance(e, TimeLogged):
            key = (e.contributor_id, e.work_date.isoformat())
            totals[key] = totals.get(key, 0) + e.minutes
    store = fold(history)
    for contributor in ("ana", "ben"):
        for day in DAYS:
            assert minutes(store, contributor, day)[0] == totals.get((contributor, day), 0)


# Split days (contributor_daily.SPLIT_AT): in these properties days split from 2 entries
# into 3 parts, so the generated days cross that size and use the split days' paths.


def small_splits(split_at: int = 2) -> Any:
    return mock.patch.multiple(cd, SPLIT_AT=split_at, DAY_PARTS=3)


@settings(max_examples=200, deadline=None)
@given(history=histories(max_entries=6, mixed=True), data=st.data())
def test_split_days_give_the_same_days_in_any_order_and_batches(
    history: list[TimeLogged | TimeDeleted], data: st.DataObject
) -> None:
    with small_splits():
        expected = days_of(fold(sorted(history, key=lambda e: (e.entry_id, e.revision))))
        backing: dict[str, Any] = {}
        events = data.draw(st.permutations(history))
        events += data.draw(st.lists(st.sampled_from(history), max_size=6))
        for batch_events in _batches(events, data):
            batch = BufferedStore(backing)
            for e in batch_events:
                cd.apply(batch, e)
            batch.flush()
        assert days_of(backing) == expected


@settings(max_examples=400, deadline=None)
@given(history=histories(max_entries=8, mixed=True), data=st.data())
def test_replaying_a_batch_cut_short_by_a_crash_gives_the_same_days(
    history: list[TimeLogged | TimeDeleted], data: st.DataObject
) -> None:
    """A crash keeps any prefix of a batch's writes in write order (one RocksDB write
    batch, changelog records in order); the worker then folds the batch's events again.
    Days split from 3 entries: a day written before its split in the same batch is the
    case where the parts' place in the write order matters."""
    with small_splits(split_at=3):
        events = data.draw(st.permutations(history))
        expected = days_of(fold(events))
        backing: dict[str, Any] = {}
        for batch_events in _batches(events, data):
            batch = BufferedStore(backing)
            for e in batch_events:
                cd.apply(batch, e)
            if data.draw(st.booleans()):  # a crash
                order = batch.write_order()
                for key in order[: data.draw(st.integers(0, len(order)))]:
                    backing[key] = batch.pending[key]
                batch = BufferedStore(backing)
                for e in batch_events:  # replayed from the last committed offset
                    cd.apply(batch, e)
            batch.flush()
        assert days_of(backing) == expected


def _batches(events: list[Any], data: st.DataObject) -> list[list[Any]]:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4)))
    return [events[start:end] for start, end in itertools.pairwise([0, *cuts, len(events)])]


# Property: the memoised summaries of split days (carried over write by write) always equal
# a summary of the day summed afresh.


@settings(max_examples=300, deadline=None)
@given(history=histories(max_entries=6, mixed=True), data=st.data())
def test_memoised_day_summaries_equal_a_fresh_sum(
    history: list[TimeLogged | TimeDeleted], data: st.DataObject
) -> None:
    with small_splits():
        _fold_and_read_summaries(history, data)


def _fold_and_read_summaries(history: list[TimeLogged | TimeDeleted], data: st.DataObject) -> None:
    backing: dict[str, Any] = {}
    keys = [("acme", c, d) for c in ("ana", "ben") for d in DAYS]
    for batch_events in _batches(data.draw(st.permutations(history)), data):
        batch = BufferedStore(backing)
        for e in batch_events:
            cd.apply(batch, e)
            if data.draw(st.booleans()):  # reads in the middle of a batch memoise too
                cd.summarize(batch, data.draw(st.sampled_from(keys)))
        batch.flush()
        for key in data.draw(st.lists(st.sampled_from(keys), max_size=3)):
            cd.summarize(backing, key)
    fresh = copy.deepcopy(backing)  # new record objects: nothing memoised for them
    for key in keys:
        assert cd.summarize(backing, key) == cd.summarize(fresh, key)


def test_a_large_day_is_not_summed_again_for_each_entry_added() -> None:
    backing: dict[str, Any] = {}
    key = ("acme", "ana", "2026-03-02")
    sums = mock.Mock(wraps=cd._summarize)
    with mock.patch.object(cd, "_summarize", sums):
        for batch_start in range(0, 100, 25):
            batch = BufferedStore(backing)
            for n in range(batch_start, batch_start + 25):
                cd.apply(batch, logged(entry_id=f"e{n}", work_date=key[2], minutes=10))
                assert cd.summarize(batch, key).logged_minutes == 10 * (n + 1)
            batch.flush()
            assert cd.summarize(backing, key).entries == batch_start + 25
    # Summed while the day is small, then once when it is split; carried over after.
    assert sums.call_count <= cd.SPLIT_AT + 1


def test_an_entry_added_to_a_large_day_writes_one_part_of_it() -> None:
    backing = fold([logged(entry_id=f"e{n}", minutes=10) for n in range(200)])
    skey = cd.day_key(("acme", "ana", "2026-03-02"))
    assert backing[skey] == {"parts": cd.DAY_PARTS}
    batch = BufferedStore(backing)
    cd.apply(batch, logged(entry_id="one-more", minutes=10))
    part = cd.part_key(skey, cd.part_of("one-more", cd.DAY_PARTS))
    # The day's record is written again too: tiny, and what tells a memoised summary is stale.
    assert batch.write_order() == [part, skey, cd.entry_key("acme", "one-more")]
    assert batch.pending[skey] == {"parts": cd.DAY_PARTS}
    assert len(batch.pending[part]["entries"]) < 200 // cd.DAY_PARTS * 2
    batch.flush()
    assert minutes(backing, "ana", "2026-03-02") == (2010, 2010, 201)


def test_a_summary_memoised_in_another_store_is_not_carried_over() -> None:
    """Two stores of the same day (a partition that moved away and back, a rebuild in the
    same process): a change in one does not reach the other's summary."""
    key = ("acme", "ana", "2026-03-02")
    here = fold([logged(entry_id=f"e{n}", minutes=10) for n in range(40)])
    there = copy.deepcopy(here)
    cd.apply(here, logged(entry_id="only-here", minutes=60))
    assert cd.summarize(here, key).logged_minutes == 460  # memoised for `here`
    cd.apply(there, logged(entry_id="only-there", minutes=20))
    assert cd.summarize(there, key).logged_minutes == 420
    assert cd.summarize(here, key).logged_minutes == 460


def test_a_crash_between_a_split_and_its_parts_loses_nothing() -> None:
    """The day is written in the batch before its split, so only the write order puts the
    parts before the day's record; every prefix of it is what a crash can keep."""
    with small_splits(split_at=3):
        first = [logged(entry_id="c", minutes=10), logged(entry_id="d", minutes=20)]
        later = "2026-03-03T10:00:00Z"
        second = [
            logged(entry_id="d", revision=2, minutes=25, occurred_at=later),
            logged(entry_id="e", minutes=30),
        ]
        expected = days_of(fold(first + second))
        backing = fold(first)
        batch = BufferedStore(backing)
        for e in second:
            cd.apply(batch, e)
        order = batch.write_order()
        for kept in range(len(order) + 1):
            crashed = dict(backing)
            for key in order[:kept]:
                crashed[key] = batch.pending[key]
            replay = BufferedStore(crashed)
            for e in second:  # from the last committed offset
                cd.apply(replay, e)
            replay.flush()
            assert days_of(crashed) == expected, order[:kept]


def test_a_split_writes_every_part_before_the_day() -> None:
    batch = BufferedStore({})
    for n in range(cd.SPLIT_AT):
        cd.apply(batch, logged(entry_id=f"e{n}", minutes=10))
    skey = cd.day_key(("acme", "ana", "2026-03-02"))
    order = batch.write_order()
    parts = [cd.part_key(skey, k) for k in range(cd.DAY_PARTS)]
    assert sorted(order[: cd.DAY_PARTS]) == sorted(parts)
    assert order[cd.DAY_PARTS] == skey
    assert sum(len(batch.pending[p]["entries"]) for p in parts) == cd.SPLIT_AT
