"""Ops team patterns: team aggregates over 3 or more profiled contributors, never less.

Team design is ana, ben and cleo (40 h a week each); the last complete week starts
2026-03-23 (now is Monday 2026-03-30)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from events.models import BaseEvent
from projections.patterns.finding import QUIET, WARNING, Finding
from projections.patterns.teams import (
    billable_mix_shift,
    capacity_variance,
    unbilled_cross_team,
    workload_imbalance,
)
from tests.factories import event
from tests.unit.test_patterns_contributors import (
    BASELINE,
    RECENT,
    ctx,
    fold_all,
    profile,
    weekly,
    work,
)

D = dt.date.fromisoformat
LAST = D("2026-03-23")
DESIGN = ["ana", "ben", "cleo"]


def team(members: list[str] = DESIGN) -> list[BaseEvent]:
    return [profile(c) for c in members]


def hidden(f: Finding) -> bool:
    return (f.level, f.holding) == (QUIET, QUIET) and "not shown to ops" in f.summary


@pytest.mark.parametrize(
    ("hours_each", "level", "holding"),
    [(3.5, WARNING, WARNING), (3.2, QUIET, WARNING), (3.0, QUIET, QUIET)],
)
def test_unbilled_cross_team_for_a_team(hours_each: float, level: int, holding: int) -> None:
    events = team()
    for c in DESIGN:
        events += work(c, LAST, hours_each, billable=False, for_team_id="dev")
    f = unbilled_cross_team(ctx(fold_all(events)), "design")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(3 * hours_each)
    assert (f.threshold, f.unit, f.subject.audience) == (10.0, "hours", "ops")
    assert f.evidence["contributors"] == 3


def test_a_team_of_two_is_never_shown_to_ops() -> None:
    events = team(["ana", "ben"])
    for c in ["ana", "ben"]:
        events += work(c, LAST, 20.0, billable=False, for_team_id="dev")
        events += work(c, LAST, 40.0)
    store = fold_all(events)
    for detector in (unbilled_cross_team, capacity_variance, workload_imbalance):
        assert hidden(detector(ctx(store), "design"))


@pytest.mark.parametrize(
    ("hours_each", "level", "holding", "observed"),
    [
        (48.0, WARNING, WARNING, 0.20),  # 144 h logged of 120 available
        (32.0, WARNING, WARNING, 0.20),  # 96 of 120
        (47.5, QUIET, WARNING, 0.1875),
        (45.0, QUIET, QUIET, 0.125),
    ],
)
def test_capacity_variance(hours_each: float, level: int, holding: int, observed: float) -> None:
    events = team()
    for c in DESIGN:
        events += work(c, LAST, hours_each)
    f = capacity_variance(ctx(fold_all(events)), "design")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(observed)
    assert (f.threshold, f.unit, f.suggested_action) == (0.20, "share", "rebalance")
    assert f.evidence["available_hours"] == 120


def test_capacity_variance_comes_back_when_time_off_is_reported() -> None:
    events = team()
    for c in DESIGN:
        events += work(c, LAST, 32.0)
    assert capacity_variance(ctx(fold_all(events)), "design").level == WARNING
    # A day off each: 96 h logged of 96 available.
    for c in DESIGN:
        events.append(
            event(
                "contributor.time_off",
                contributor_id=c,
                date="2026-03-27",
                occurred_at="2026-03-29T10:00:00Z",
            )
        )
    assert capacity_variance(ctx(fold_all(events)), "design").level == QUIET


@pytest.mark.parametrize(
    ("loads", "level", "holding"),
    [
        ((50.0, 40.0, 20.0), WARNING, WARNING),  # 125% and 50%
        ((47.5, 40.0, 20.0), QUIET, WARNING),  # 118.75%: inside the band
        ((50.0, 40.0, 24.6), QUIET, WARNING),  # 61.5%: inside the band
        ((50.0, 40.0, 25.0), QUIET, QUIET),  # 62.5%
        ((46.0, 40.0, 20.0), QUIET, QUIET),  # 115%
    ],
)
def test_workload_imbalance(loads: tuple[float, ...], level: int, holding: int) -> None:
    events = team()
    for c, hours in zip(DESIGN, loads, strict=True):
        events += work(c, LAST, hours)
    f = workload_imbalance(ctx(fold_all(events)), "design")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(max(loads) / 40)
    assert f.evidence["min_load"] == pytest.approx(min(loads) / 40)
    assert (f.threshold, f.unit) == (1.20, "load")
    assert f.baseline == pytest.approx(sum(loads) / 120, abs=1e-4)


def test_a_profile_change_moves_a_member_out_of_the_team() -> None:
    events = team()
    for c, hours in zip(DESIGN, (50.0, 40.0, 20.0), strict=True):
        events += work(c, LAST, hours)
    assert workload_imbalance(ctx(fold_all(events)), "design").level == WARNING
    moved = event(
        "contributor.profiled",
        contributor_id="cleo",
        team_id="dev",
        effective_from="2026-03-23",
        occurred_at="2026-03-29T09:00:00Z",
    )
    assert hidden(workload_imbalance(ctx(fold_all([*events, moved])), "design"))


def mix_events(members: list[str], recent_billable: float) -> list[BaseEvent]:
    events: list[Any] = team(members)
    for c in members:
        events += weekly(c, BASELINE, 16.0)
        events += weekly(c, BASELINE, 4.0, billable=False)
        events += weekly(c, RECENT, recent_billable)
        events += weekly(c, RECENT, 20.0 - recent_billable, billable=False)
    return events


@pytest.mark.parametrize(
    ("recent_billable", "level", "holding"),
    [(13.0, WARNING, WARNING), (13.4, QUIET, WARNING), (14.0, QUIET, QUIET)],
)
def test_billable_mix_shift_for_a_team(recent_billable: float, level: int, holding: int) -> None:
    f = billable_mix_shift(ctx(fold_all(mix_events(DESIGN, recent_billable))), "design")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(recent_billable / 20)
    assert (f.baseline, f.threshold) == (pytest.approx(0.8), pytest.approx(0.65))
    assert f.evidence["recent_logged_hours"] == 120
    assert f.evidence["recent_contributors"] == 3


def test_billable_mix_shift_of_a_small_team_is_hidden() -> None:
    store = fold_all(mix_events(["ana", "ben"], 5.0))
    assert hidden(billable_mix_shift(ctx(store), "design"))
