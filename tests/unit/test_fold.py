"""Routing events to the projections: which rows are written again, in any order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import BaseEvent
from projections import fold
from projections.contributor_weekly import week
from tests.factories import event

EVENTS: list[BaseEvent] = [
    event(
        "contributor.profiled",
        contributor_id="ana",
        team_id="design",
        effective_from="2026-03-02",
        occurred_at="2026-03-01T08:00:00Z",
    ),
    event(
        "contributor.profiled",
        contributor_id="ben",
        team_id="design",
        effective_from="2026-03-16",
        occurred_at="2026-03-13T08:00:00Z",
    ),
    event(
        "time.logged",
        entry_id="a1",
        contributor_id="ana",
        work_date="2026-03-03",
        minutes=300,
        billable=True,
        occurred_at="2026-03-03T18:00:00Z",
    ),
    event(
        "time.logged",
        entry_id="a1",
        revision=2,
        contributor_id="ana",
        work_date="2026-03-10",
        minutes=200,
        billable=True,
        occurred_at="2026-03-11T18:00:00Z",
    ),
    event(
        "time.logged",
        entry_id="c1",
        contributor_id="cleo",
        work_date="2026-03-18",
        minutes=120,
        billable=False,
        occurred_at="2026-03-18T18:00:00Z",
    ),
    event(
        "contributor.time_off",
        contributor_id="ana",
        date="2026-03-17",
        occurred_at="2026-03-12T18:00:00Z",
    ),
    event("time.deleted", entry_id="c1", revision=2, occurred_at="2026-03-19T09:00:00Z"),
    event("clock.ticked", occurred_at="2026-03-30T06:00:00Z"),
]


def run(events: list[BaseEvent]) -> tuple[dict[str, Any], fold.Touched]:
    store: dict[str, Any] = {}
    touched = fold.Touched()
    for e in events:
        fold.apply(store, e, touched)
    return store, touched


def test_rows_cover_every_contributor_from_their_first_week_to_the_current_week() -> None:
    _store, touched = run(EVENTS)
    weeks = {(c, w) for _o, c, w in touched.weeks}
    mondays = ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]
    assert weeks == (
        {("ana", m) for m in mondays}
        | {("ben", m) for m in mondays[2:]}
        | {("cleo", m) for m in mondays[2:]}
    )
    assert {(c, d) for _o, c, d in touched.days} == {
        ("ana", "2026-03-03"),
        ("ana", "2026-03-10"),
        ("cleo", "2026-03-18"),
    }


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(EVENTS), repeats=st.lists(st.sampled_from(EVENTS), max_size=4))
def test_any_order_and_duplicates_write_the_same_rows(
    order: list[BaseEvent], repeats: list[BaseEvent]
) -> None:
    expected_store, expected = run(EVENTS)
    store, touched = run([*order, *repeats])
    assert touched.weeks == expected.weeks and touched.days == expected.days
    for o, contributor, monday in expected.weeks:
        d = dt.date.fromisoformat(monday)
        assert week(store, o, contributor, d) == week(expected_store, o, contributor, d)


def test_refresh_marks_every_contributors_recent_weeks() -> None:
    store, _ = run(EVENTS)
    touched = fold.Touched()
    fold.refresh(store, "acme", touched, weeks=2)
    assert {(c, w) for _o, c, w in touched.weeks} == {
        (c, w) for c in ("ana", "ben", "cleo") for w in ("2026-03-16", "2026-03-23", "2026-03-30")
    }
    empty = fold.Touched()
    fold.refresh({}, "acme", empty)
    assert not empty.weeks
