"""Reference data with history: the profile and plan valid on a date, time off, capacity."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from events.models import ContributorProfiled, ContributorTimeOff, ProjectPlanned
from projections import reference as ref
from tests.factories import event

D = dt.date.fromisoformat


def profiled(**fields: Any) -> ContributorProfiled:
    e = event("contributor.profiled", **fields)
    assert isinstance(e, ContributorProfiled)
    return e


def time_off(**fields: Any) -> ContributorTimeOff:
    e = event("contributor.time_off", **fields)
    assert isinstance(e, ContributorTimeOff)
    return e


def planned(**fields: Any) -> ProjectPlanned:
    e = event("project.planned", **fields)
    assert isinstance(e, ProjectPlanned)
    return e


HISTORY = [
    profiled(team_id="design", weekly_capacity_hours=40, effective_from="2026-03-02"),
    profiled(
        team_id="engineering",
        weekly_capacity_hours=30,
        cost_rate=80,
        effective_from="2026-03-16",
        occurred_at="2026-03-10T09:00:00Z",
    ),
    # A correction for the same date, reported later, replaces the first report.
    profiled(
        team_id="engineering",
        weekly_capacity_hours=32,
        cost_rate=80,
        effective_from="2026-03-16",
        occurred_at="2026-03-11T09:00:00Z",
    ),
]


def test_the_profile_valid_on_a_date_is_used_in_any_arrival_order() -> None:
    for order in itertools.permutations(HISTORY):
        store: dict[str, Any] = {}
        for e in order:
            ref.apply_profile(store, e)
        assert ref.profile_at(store, "acme", "ana", D("2026-03-01")) is None
        march = ref.profile_at(store, "acme", "ana", D("2026-03-13"))
        assert march and (march.team_id, march.weekly_capacity_hours) == ("design", 40)
        later = ref.profile_at(store, "acme", "ana", D("2026-04-01"))
        assert later and (later.team_id, later.weekly_capacity_hours, later.cost_rate) == (
            "engineering",
            32,
            80,
        )


def test_a_repeated_profile_changes_nothing() -> None:
    store: dict[str, Any] = {}
    assert ref.apply_profile(store, HISTORY[0])
    assert not ref.apply_profile(store, HISTORY[0])
    assert len(store[ref.profile_key("acme", "ana")]) == 1


def test_available_hours_follow_profile_workdays_and_time_off() -> None:
    store: dict[str, Any] = {}
    for e in HISTORY:
        ref.apply_profile(store, e)
    ref.apply_time_off(store, time_off(date="2026-03-03"))  # a full day
    ref.apply_time_off(store, time_off(date="2026-03-04", hours=3))
    ref.apply_time_off(store, time_off(date="2026-03-17", hours=10))  # more than the day
    hours = {
        d: ref.available_hours(store, "acme", "ana", D(d))
        for d in [
            "2026-03-01",
            "2026-03-02",
            "2026-03-03",
            "2026-03-04",
            "2026-03-07",
            "2026-03-16",
            "2026-03-17",
        ]
    }
    assert hours == {
        "2026-03-01": 0.0,  # before the first profile
        "2026-03-02": 8.0,
        "2026-03-03": 0.0,
        "2026-03-04": 5.0,
        "2026-03-07": 0.0,  # Saturday
        "2026-03-16": 6.4,  # 32 hours over five days
        "2026-03-17": 0.0,
    }


def test_the_latest_time_off_report_for_a_date_wins() -> None:
    store: dict[str, Any] = {}
    later = time_off(date="2026-03-03", hours=2, occurred_at="2026-03-03T12:00:00Z")
    earlier = time_off(date="2026-03-03", hours=6, occurred_at="2026-03-02T12:00:00Z")
    assert ref.apply_time_off(store, later)
    assert not ref.apply_time_off(store, earlier)
    assert ref.time_off_hours(store, "acme", "ana", D("2026-03-03"), None) == 2.0


def test_a_replan_applies_from_its_time() -> None:
    first = planned(planned_hours=100, occurred_at="2026-03-01T09:00:00Z")
    rescoped = planned(planned_hours=160, end_date="2026-05-31", occurred_at="2026-03-20T09:00:00Z")
    for order in ([first, rescoped], [rescoped, first]):
        store: dict[str, Any] = {}
        for e in order:
            ref.apply_plan(store, e)
        before = ref.plan_at(store, "acme", "p1", dt.datetime(2026, 3, 19, tzinfo=dt.UTC))
        assert before and before.planned_hours == 100
        latest = ref.plan_at(store, "acme", "p1")
        assert latest and (latest.planned_hours, latest.end_date) == (160, D("2026-05-31"))
        assert ref.plan_at(store, "acme", "p1", dt.datetime(2026, 2, 1, tzinfo=dt.UTC)) is None
