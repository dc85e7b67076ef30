"""Contributor patterns, told as the contract's table: fires, stays quiet just inside, comes
back. Stores are built by folding events; now is Monday 2026-03-30, so the last complete
week starts 2026-03-23 and the trailing 4 complete weeks start 2026-03-02."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import BaseEvent
from projections import fold
from projections.patterns.common import Bar, Context, grade
from projections.patterns.contributors import (
    billable_mix_shift,
    unbilled_cross_team,
    utilization_drift,
)
from projections.patterns.finding import CRITICAL, QUIET, WARNING
from projections.patterns.policy import Policy
from tests.factories import event

NOW = "2026-03-30T09:00:00Z"
D = dt.date.fromisoformat
LAST_FOUR = [D("2026-03-02"), D("2026-03-09"), D("2026-03-16"), D("2026-03-23")]
RECENT = [D("2026-03-16"), D("2026-03-23")]
BASELINE = [D("2026-01-19") + dt.timedelta(weeks=i) for i in range(8)]
_entries = itertools.count(1)


def profile(contributor: str, team: str = "design", **fields: Any) -> BaseEvent:
    return event(
        "contributor.profiled",
        contributor_id=contributor,
        team_id=team,
        effective_from="2026-01-01",
        occurred_at="2026-01-01T08:00:00Z",
        **fields,
    )


def work(
    contributor: str,
    monday: dt.date,
    hours: float,
    billable: bool = True,
    **fields: Any,
) -> list[BaseEvent]:
    """`hours` logged over Monday to Friday of the week, reported on its Sunday."""
    minutes = round(hours * 60)
    per_day, extra = divmod(minutes, 5)
    found = []
    for day in range(5):
        m = per_day + (extra if day == 0 else 0)
        if m:
            found.append(
                event(
                    "time.logged",
                    entry_id=f"e{next(_entries)}",
                    contributor_id=contributor,
                    work_date=(monday + dt.timedelta(days=day)).isoformat(),
                    minutes=m,
                    billable=billable,
                    occurred_at=f"{monday + dt.timedelta(days=6)}T20:00:00Z",
                    **fields,
                )
            )
    return found


def fold_all(events: list[BaseEvent], now: str = NOW) -> dict[str, Any]:
    store: dict[str, Any] = {}
    touched = fold.Touched()
    for e in [*events, event("clock.ticked", occurred_at=now)]:
        fold.apply(store, e, touched)
    return store


def ctx(store: dict[str, Any], policy: Policy | None = None) -> Context:
    found = Context.of(store, "acme", policy or Policy())
    assert found is not None
    return found


def weekly(contributor: str, mondays: list[dt.date], hours: float, **kw: Any) -> list[BaseEvent]:
    return [e for m in mondays for e in work(contributor, m, hours, **kw)]


# -- utilization_drift --------------------------------------------------------------------
# ana: 40 h a week, target 75%: 160 available hours over the 4 weeks.


@pytest.mark.parametrize(
    ("billable_per_week", "level", "holding", "threshold"),
    [
        (26.0, WARNING, WARNING, 0.65),  # 65%: 10 points below target
        (22.0, CRITICAL, CRITICAL, 0.55),  # 55%: 20 points below
        (22.8, WARNING, CRITICAL, 0.65),  # 57%: 18 points, inside the critical band
        (26.4, QUIET, WARNING, 0.65),  # 66%: 9 points, inside the warning band
        (27.5, QUIET, QUIET, 0.65),  # 68.75%
        (44.0, WARNING, WARNING, 1.10),  # 110%: over-utilized
        (43.5, QUIET, WARNING, 1.10),  # 108.75%
        (30.0, QUIET, QUIET, 0.65),  # on target
    ],
)
def test_utilization_drift(
    billable_per_week: float, level: int, holding: int, threshold: float
) -> None:
    store = fold_all([profile("ana"), *weekly("ana", LAST_FOUR, billable_per_week)])
    f = utilization_drift(ctx(store), "ana")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(billable_per_week * 4 / 160)
    assert f.threshold == pytest.approx(threshold)
    assert f.baseline == 0.75 and f.unit == "share"
    assert (f.period_start, f.period_end) == (D("2026-03-02"), D("2026-03-29"))
    assert f.subject.audience == "contributor" and f.subject.subject_id == "ana"
    assert f.suggested_action == "self_review"
    assert f.evidence["available_hours"] == 160


def test_utilization_drift_comes_back_when_late_hours_arrive() -> None:
    events = [profile("ana"), *weekly("ana", LAST_FOUR, 26.0)]
    assert utilization_drift(ctx(fold_all(events)), "ana").level == WARNING
    late = work("ana", D("2026-03-23"), 8.0)  # 112 / 160 = 70%
    f = utilization_drift(ctx(fold_all([*events, *late])), "ana")
    assert (f.level, f.holding) == (QUIET, QUIET)


def test_utilization_drift_ignores_the_current_week() -> None:
    events = [profile("ana"), *weekly("ana", LAST_FOUR, 26.0)]
    this_week = work("ana", D("2026-03-30"), 40.0)
    store = fold_all([*events, *this_week], now="2026-04-03T20:00:00Z")
    assert utilization_drift(ctx(store), "ana").level == WARNING


def test_utilization_drift_uses_the_contributors_team_thresholds() -> None:
    policy = Policy.model_validate(
        {"teams": {"design": {"utilization_drift": {"warning_points": 15}}}}
    )
    store = fold_all(
        [
            profile("ana"),
            profile("dan", team="dev"),
            *weekly("ana", LAST_FOUR, 26.0),
            *weekly("dan", LAST_FOUR, 26.0),
        ]
    )
    assert utilization_drift(ctx(store, policy), "ana").level == QUIET
    assert utilization_drift(ctx(store, policy), "ana").threshold == pytest.approx(0.60)
    assert utilization_drift(ctx(store, policy), "dan").level == WARNING


def test_utilization_drift_waits_for_a_whole_window_of_profile() -> None:
    """A joiner profiled from the window's second week is not judged on three weeks."""
    joined = event(
        "contributor.profiled",
        contributor_id="ana",
        team_id="design",
        effective_from="2026-03-09",
        occurred_at="2026-03-09T08:00:00Z",
    )
    store = fold_all([joined, *weekly("ana", LAST_FOUR[1:], 10.0)])
    f = utilization_drift(ctx(store), "ana")
    assert (f.level, f.holding) == (QUIET, QUIET)
    assert "Not enough history" in f.summary
    # A week later the window is whole: the same 25% fires.
    store = fold_all(
        [joined, *weekly("ana", [*LAST_FOUR[1:], D("2026-03-30")], 10.0)],
        now="2026-04-06T09:00:00Z",
    )
    assert utilization_drift(ctx(store), "ana").level == CRITICAL


def test_utilization_without_available_hours_is_quiet() -> None:
    store = fold_all(weekly("ana", LAST_FOUR, 10.0))  # no profile
    f = utilization_drift(ctx(store), "ana")
    assert (f.level, f.holding, f.baseline) == (QUIET, QUIET, None)


# -- billable_mix_shift -------------------------------------------------------------------
# ana logs 20 h a week; 16 of them billable (80%) in the 8 weeks before the recent 2.


def mix_store(recent_billable: float, recent_logged: float = 20.0) -> dict[str, Any]:
    return fold_all(
        [
            profile("ana"),
            *weekly("ana", BASELINE, 16.0),
            *weekly("ana", BASELINE, 4.0, billable=False),
            *weekly("ana", RECENT, recent_billable),
            *weekly("ana", RECENT, recent_logged - recent_billable, billable=False),
        ]
    )


@pytest.mark.parametrize(
    ("recent_billable", "level", "holding", "threshold"),
    [
        (13.0, WARNING, WARNING, 0.65),  # 65%: 15 points down
        (19.0, WARNING, WARNING, 0.95),  # 95%: 15 points up
        (13.4, QUIET, WARNING, 0.65),  # 67%: 13 points, inside the band
        (14.0, QUIET, QUIET, 0.65),  # 70%
        (16.0, QUIET, QUIET, 0.95),  # unchanged
    ],
)
def test_billable_mix_shift(
    recent_billable: float, level: int, holding: int, threshold: float
) -> None:
    f = billable_mix_shift(ctx(mix_store(recent_billable)), "ana")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(recent_billable / 20)
    assert f.baseline == pytest.approx(0.8)
    assert f.threshold == pytest.approx(threshold)
    assert (f.period_start, f.period_end) == (D("2026-01-19"), D("2026-03-29"))
    assert f.evidence["recent_logged_hours"] == 40


def test_billable_mix_shift_needs_16_recent_hours() -> None:
    # Nothing billable, 16 hours logged: fires; 15 hours: too little to tell.
    assert billable_mix_shift(ctx(mix_store(0.0, recent_logged=8.0)), "ana").level == WARNING
    f = billable_mix_shift(ctx(mix_store(0.0, recent_logged=7.5)), "ana")
    assert (f.level, f.holding) == (QUIET, QUIET)


def test_billable_mix_shift_comes_back() -> None:
    store = mix_store(13.0)
    assert billable_mix_shift(ctx(store), "ana").level == WARNING
    # Two weeks later the shifted weeks are the baseline's newest and the recent weeks match.
    later = fold_all(
        [
            profile("ana"),
            *weekly("ana", BASELINE, 16.0),
            *weekly("ana", BASELINE, 4.0, billable=False),
            *weekly("ana", RECENT, 13.0),
            *weekly("ana", RECENT, 7.0, billable=False),
            *weekly("ana", [D("2026-03-30"), D("2026-04-06")], 15.0),
            *weekly("ana", [D("2026-03-30"), D("2026-04-06")], 5.0, billable=False),
        ],
        now="2026-04-13T09:00:00Z",
    )
    assert billable_mix_shift(ctx(later), "ana").level == QUIET


# -- unbilled_cross_team ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "billable", "for_team", "level", "holding"),
    [
        (2.0, False, "dev", WARNING, WARNING),
        (1.9, False, "dev", QUIET, WARNING),  # inside the 5% band
        (1.8, False, "dev", QUIET, QUIET),
        (3.0, True, "dev", QUIET, QUIET),  # billed
        (3.0, False, "design", QUIET, QUIET),  # own team
    ],
)
def test_unbilled_cross_team(
    hours: float, billable: bool, for_team: str, level: int, holding: int
) -> None:
    store = fold_all(
        [
            profile("ana"),
            *work("ana", D("2026-03-23"), hours, billable=billable, for_team_id=for_team),
        ]
    )
    f = unbilled_cross_team(ctx(store), "ana")
    assert (f.level, f.holding) == (level, holding)
    assert (f.threshold, f.unit) == (2.0, "hours")
    assert (f.period_start, f.period_end) == (D("2026-03-23"), D("2026-03-29"))
    if not billable and for_team == "dev":
        assert f.observed == pytest.approx(hours)


def test_unbilled_cross_team_comes_back_the_next_week() -> None:
    events = [profile("ana"), *work("ana", D("2026-03-23"), 3.0, billable=False, for_team_id="dev")]
    assert unbilled_cross_team(ctx(fold_all(events)), "ana").level == WARNING
    later = fold_all(events, now="2026-04-06T09:00:00Z")
    assert unbilled_cross_team(ctx(later), "ana").level == QUIET


# -- hysteresis ---------------------------------------------------------------------------


@given(
    value=st.floats(-5, 5, allow_nan=False),
    warning=st.floats(0, 2, allow_nan=False),
    step=st.floats(0, 2, allow_nan=False),
    band=st.floats(0, 0.5, allow_nan=False),
    above=st.booleans(),
    strict=st.booleans(),
)
def test_holding_is_never_below_level(
    value: float, warning: float, step: float, band: float, above: bool, strict: bool
) -> None:
    critical = warning + step if above else warning - step
    bars = [
        Bar(WARNING, warning, band, above, strict),
        Bar(CRITICAL, critical, band, above, strict),
    ]
    level, holding = grade(value, bars)
    assert holding >= level


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 50 * 12), min_size=4, max_size=4))
def test_utilization_holding_is_never_below_level(twelfths: list[int]) -> None:
    events = [profile("ana")]
    for monday, amount in zip(LAST_FOUR, twelfths, strict=True):
        events += work("ana", monday, amount / 12)
    f = utilization_drift(ctx(fold_all(events)), "ana")
    assert f.holding >= f.level
