"""Contributor weeks: capacity under the profile valid each day, utilization, cross-team."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from events.models import ContributorProfiled, ContributorTimeOff, TimeDeleted, TimeLogged
from projections import contributor_daily, reference
from projections.contributor_weekly import trailing, week
from tests.factories import event

MONDAY = dt.date(2026, 3, 9)


def build(*events: Any) -> dict[str, Any]:
    store: dict[str, Any] = {}
    for e in events:
        if isinstance(e, TimeLogged | TimeDeleted):
            contributor_daily.apply(store, e)
        elif isinstance(e, ContributorProfiled):
            reference.apply_profile(store, e)
        elif isinstance(e, ContributorTimeOff):
            reference.apply_time_off(store, e)
    return store


def log(entry: str, day: str, minutes: int, billable: bool = True, **fields: Any) -> Any:
    return event(
        "time.logged",
        entry_id=entry,
        work_date=day,
        minutes=minutes,
        billable=billable,
        occurred_at=f"{day}T18:00:00Z",
        **fields,
    )


def test_a_week_with_a_profile_change_time_off_and_cross_team_work() -> None:
    store = build(
        event(
            "contributor.profiled",
            team_id="design",
            weekly_capacity_hours=40,
            target_utilization=0.8,
            effective_from="2026-03-01",
        ),
        # From Thursday she works 30 hours a week for engineering.
        event(
            "contributor.profiled",
            team_id="engineering",
            weekly_capacity_hours=30,
            effective_from="2026-03-12",
        ),
        event("contributor.time_off", date="2026-03-10", hours=4),
        log("a", "2026-03-09", 480, project_id="web"),
        log(
            "b", "2026-03-10", 240, billable=False, project_id="internal", for_team_id="engineering"
        ),  # cross-team: she is in design on Tuesday
        log("c", "2026-03-12", 360, project_id="data", for_team_id="engineering"),  # own team
        log("d", "2026-03-13", 120, billable=False, project_id="web", for_team_id="design"),
        log("e", "2026-03-14", 60, project_id="web"),  # Saturday work counts, no capacity
    )
    w = week(store, "acme", "ana", MONDAY)
    assert (w.team_id, w.target_utilization) == ("design", 0.8)
    # Mon 8 + Tue 8-4 + Wed 8 + Thu 6 + Fri 6 = 32
    assert w.available_hours == pytest.approx(32.0)
    assert (w.logged_hours, w.billable_hours, w.non_billable_hours) == (21.0, 15.0, 6.0)
    assert w.utilization == pytest.approx(15 / 32)
    assert w.load == pytest.approx(21 / 32)
    # Tuesday's 4 hours for engineering (unbilled) and Friday's 2 for design (unbilled).
    assert (w.cross_team_hours, w.cross_team_unbilled_hours) == (6.0, 6.0)
    assert w.hours_by_project == {"data": 6.0, "internal": 4.0, "web": 11.0}
    assert w.computed_at == dt.datetime(2026, 3, 14, 18, tzinfo=dt.UTC)


def test_amendments_and_deletions_change_the_week() -> None:
    store = build(
        event("contributor.profiled", team_id="design", effective_from="2026-03-01"),
        log("a", "2026-03-09", 480),
        log("b", "2026-03-10", 480),
        event(
            "time.logged",
            entry_id="a",
            revision=2,
            work_date="2026-03-09",
            minutes=240,
            billable=False,
            occurred_at="2026-03-11T09:00:00Z",
        ),
        event("time.deleted", entry_id="b", revision=2, occurred_at="2026-03-11T09:00:00Z"),
    )
    w = week(store, "acme", "ana", MONDAY)
    assert (w.logged_hours, w.billable_hours, w.available_hours) == (4.0, 0.0, 40.0)
    assert w.utilization == 0.0


def test_no_profile_means_no_capacity_and_no_team() -> None:
    store = build(log("a", "2026-03-09", 60, for_team_id="engineering"))
    w = week(store, "acme", "ana", MONDAY)
    assert (w.team_id, w.available_hours, w.utilization, w.cross_team_hours) == (
        None,
        0.0,
        None,
        0.0,
    )


def test_trailing_utilization_is_total_over_total() -> None:
    store = build(
        event("contributor.profiled", team_id="design", effective_from="2026-02-01"),
        log("a", "2026-02-13", 600),  # outside the 4 weeks from 2026-02-16 to 2026-03-15
        log("b", "2026-02-23", 1200),
        log("c", "2026-03-09", 600, billable=False),
    )
    t = trailing(store, "acme", "ana", MONDAY)
    assert (t.weeks, t.logged_hours, t.billable_hours, t.available_hours) == (4, 30.0, 20.0, 160.0)
    assert t.utilization == 0.125
