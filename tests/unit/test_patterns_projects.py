"""Ops project, route and org patterns: budget burn, margin erosion, blocked work, handoff
slippage and decision gap. Now is 2026-03-30T09:00Z unless a test moves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from events.models import BaseEvent
from projections.patterns.finding import CRITICAL, QUIET, WARNING
from projections.patterns.org_patterns import decision_gap
from projections.patterns.policy import Policy
from projections.patterns.projects import blocked_work, budget_burn, margin_erosion
from projections.patterns.routes import handoff_slippage
from tests.factories import event
from tests.unit.test_patterns_contributors import ctx, fold_all, profile, work

D = dt.date.fromisoformat


def plan(project: str = "p1", **fields: Any) -> BaseEvent:
    values: dict[str, Any] = {
        "project_id": project,
        "billing": "time_and_materials",
        "bill_rate": 100,
        "planned_hours": 100,
        "start_date": "2026-03-01",
        "end_date": "2026-03-31",
        "occurred_at": "2026-02-20T09:00:00Z",
    }
    values.update(fields)
    return event("project.planned", **values)


def hours_on(project: str, total: float, contributor: str = "ana") -> list[BaseEvent]:
    """`total` billable hours on the project over the weeks of 2026-03-16 and 2026-03-23."""
    half = total / 2
    return [
        *work(contributor, D("2026-03-16"), half, project_id=project),
        *work(contributor, D("2026-03-23"), half, project_id=project),
    ]


# -- budget_burn: p1 runs 2026-03-01..31, so 30 of its 31 days have elapsed -----------------


@pytest.mark.parametrize(
    ("consumed", "level", "holding", "threshold"),
    [
        (80.0, WARNING, WARNING, 0.80),
        (79.0, QUIET, WARNING, 0.80),
        (77.0, QUIET, QUIET, 0.80),
        (100.0, CRITICAL, CRITICAL, 1.00),
        (99.0, WARNING, CRITICAL, 0.80),
    ],
)
def test_budget_burn_against_planned_hours(
    consumed: float, level: int, holding: int, threshold: float
) -> None:
    store = fold_all([profile("ana"), plan(), *hours_on("p1", consumed)])
    f = budget_burn(ctx(store), "p1")
    assert f is not None
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(consumed / 100)
    assert f.threshold == pytest.approx(threshold)
    assert f.baseline == pytest.approx(30 / 31, abs=1e-4)
    assert (f.unit, f.subject.subject_type, f.suggested_action) == ("share", "project", "rescope")
    assert (f.period_start, f.period_end) == (D("2026-03-01"), D("2026-03-30"))
    assert f.evidence["scope_creep"] is False
    assert f.evidence["run_out_date"] is not None


def test_budget_burn_marks_scope_creep_at_200_percent() -> None:
    store = fold_all([profile("ana"), plan(), *hours_on("p1", 200.0)])
    f = budget_burn(ctx(store), "p1")
    assert f is not None and f.level == CRITICAL
    assert f.evidence["scope_creep"] is True
    assert f.evidence["run_out_date"] == "2026-03-30"  # already used up
    assert f.suggested_action == "renegotiate"


@pytest.mark.parametrize(
    ("consumed", "level", "holding"),
    [(54.0, WARNING, WARNING), (52.0, QUIET, WARNING), (50.0, QUIET, QUIET)],
)
def test_budget_burn_ahead_of_the_calendar(consumed: float, level: int, holding: int) -> None:
    # 2026-03-01..05-29 is 90 days, 30 elapsed: a third of the dates.
    store = fold_all([profile("ana"), plan(end_date="2026-05-29"), *hours_on("p1", consumed)])
    f = budget_burn(ctx(store), "p1")
    assert f is not None
    assert (f.level, f.holding) == (level, holding)
    assert f.threshold == pytest.approx(1 / 3 + 0.20, abs=1e-4)
    assert f.evidence["ahead_points"] == pytest.approx((consumed / 100 - 1 / 3) * 100, abs=0.1)
    # 48.6 of the 54 hours fall in the 14 days to today (2026-03-16 is outside): 24.3 a
    # week, so the 46 hours left run out 14 days (13.25, rounded up) after today.
    if consumed == 54.0:
        assert f.evidence["burn_rate_hours_per_week"] == pytest.approx(24.3)
        assert f.evidence["run_out_date"] == "2026-04-13"


def test_budget_burn_comes_back_after_a_replan() -> None:
    events = [profile("ana"), plan(), *hours_on("p1", 80.0)]
    assert budget_burn(ctx(fold_all(events)), "p1").level == WARNING  # type: ignore[union-attr]
    replan = plan(planned_hours=200, occurred_at="2026-03-29T09:00:00Z")
    f = budget_burn(ctx(fold_all([*events, replan])), "p1")
    assert f is not None and (f.level, f.holding) == (QUIET, QUIET)


def test_budget_burn_uses_project_overrides_and_skips_unplanned_projects() -> None:
    store = fold_all([profile("ana"), plan(), *hours_on("p1", 85.0), *hours_on("p9", 10.0)])
    policy = Policy.model_validate({"projects": {"p1": {"budget_burn": {"warning_share": 0.9}}}})
    f = budget_burn(ctx(store, policy), "p1")
    assert f is not None and f.level == QUIET
    assert budget_burn(ctx(store), "p9") is None


# -- margin_erosion: 40 billable hours at 100 an hour, target margin 30% ---------------------


@pytest.mark.parametrize(
    ("cost_rate", "level", "holding", "threshold"),
    [
        (80.0, WARNING, WARNING, 0.20),  # margin 20%: 10 points below target
        (78.0, QUIET, WARNING, 0.20),  # 22%
        (75.0, QUIET, QUIET, 0.20),  # 25%
        (110.0, CRITICAL, CRITICAL, 0.0),  # -10%
        (99.0, WARNING, CRITICAL, 0.20),  # 1%: inside the critical band
        (100.0, WARNING, CRITICAL, 0.20),  # 0% is not below 0
    ],
)
def test_margin_erosion(cost_rate: float, level: int, holding: int, threshold: float) -> None:
    store = fold_all([profile("ana", cost_rate=cost_rate), plan(), *hours_on("p1", 40.0)])
    f = margin_erosion(ctx(store), "p1")
    assert f is not None
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx((100 - cost_rate) / 100)
    assert f.threshold == pytest.approx(threshold)
    assert (f.baseline, f.unit, f.suggested_action) == (0.30, "share", "renegotiate")
    assert f.evidence["earned_revenue"] == 4000
    assert f.evidence["cost"] == pytest.approx(40 * cost_rate)


def test_margin_erosion_of_a_fixed_fee() -> None:
    events = [
        profile("ana", cost_rate=80.0),
        plan(billing="fixed_fee", fixed_fee=10000, bill_rate=None),
        *hours_on("p1", 40.0),
    ]
    f = margin_erosion(ctx(fold_all(events)), "p1")
    assert f is not None and f.level == WARNING
    assert f.evidence["earned_revenue"] == 4000  # 40% of the hours: 40% of the fee


def test_margin_erosion_needs_cost_rates_and_billing() -> None:
    uncosted = fold_all([profile("ana"), plan(), *hours_on("p1", 40.0)])
    f = margin_erosion(ctx(uncosted), "p1")
    assert f is not None and (f.level, f.holding) == (QUIET, QUIET)
    assert f.evidence["uncosted_hours"] == 40
    internal = fold_all(
        [profile("ana", cost_rate=200.0), plan(billing="non_billable"), *hours_on("p1", 40.0)]
    )
    assert margin_erosion(ctx(internal), "p1") is None


def test_margin_erosion_comes_back_when_a_cost_rate_is_corrected() -> None:
    events = [profile("ana", cost_rate=110.0), plan(), *hours_on("p1", 40.0)]
    assert margin_erosion(ctx(fold_all(events)), "p1").level == CRITICAL  # type: ignore[union-attr]
    corrected = event(
        "contributor.profiled",
        contributor_id="ana",
        team_id="design",
        cost_rate=60.0,
        effective_from="2026-01-01",
        occurred_at="2026-03-29T09:00:00Z",
    )
    f = margin_erosion(ctx(fold_all([*events, corrected])), "p1")
    assert f is not None and (f.level, f.holding) == (QUIET, QUIET)


# -- blocked_work: t1 of p1 blocked at 2026-03-20T09:00Z ------------------------------------

BLOCK = event(
    "task.blocked",
    task_id="t1",
    project_id="p1",
    blocked_by_team_id="legal",
    reason="waiting for Ana's sign-off",
    occurred_at="2026-03-20T09:00:00Z",
)


@pytest.mark.parametrize(
    ("now", "hours", "level", "holding", "threshold"),
    [
        ("2026-03-23T09:00:00Z", 72.0, WARNING, WARNING, 72.0),
        ("2026-03-23T08:00:00Z", 71.0, QUIET, WARNING, 72.0),  # inside the 5% band
        ("2026-03-23T05:00:00Z", 68.0, QUIET, QUIET, 72.0),
        ("2026-03-27T09:00:00Z", 168.0, CRITICAL, CRITICAL, 168.0),
        ("2026-03-27T01:00:00Z", 160.0, WARNING, CRITICAL, 72.0),
    ],
)
def test_blocked_work(now: str, hours: float, level: int, holding: int, threshold: float) -> None:
    f = blocked_work(ctx(fold_all([BLOCK], now=now)), "p1")
    assert (f.level, f.holding) == (level, holding)
    assert (f.observed, f.threshold, f.unit) == (hours, threshold, "hours")
    assert f.evidence["open_blocked_tasks"] == 1
    assert f.evidence["blocked_by_teams"] == ["legal"]
    assert "sign-off" not in str(f.evidence) + f.summary  # free text stays out
    assert f.period_start == D("2026-03-20")


def test_blocked_work_takes_the_longest_open_block_and_resolves_on_unblock() -> None:
    later = event("task.blocked", task_id="t2", project_id="p1", occurred_at="2026-03-25T09:00:00Z")
    f = blocked_work(ctx(fold_all([BLOCK, later])), "p1")
    assert (f.level, f.observed, f.evidence["open_blocked_tasks"]) == (CRITICAL, 240.0, 2)
    assert f.evidence["longest_blocked_task_id"] == "t1"
    unblocked = [
        event("task.unblocked", task_id=t, project_id="p1", occurred_at="2026-03-29T09:00:00Z")
        for t in ("t1", "t2")
    ]
    f = blocked_work(ctx(fold_all([BLOCK, later, *unblocked])), "p1")
    assert (f.level, f.holding, f.evidence["open_blocked_tasks"]) == (QUIET, QUIET, 0)


# -- handoff_slippage: route a->b, trailing 28 days to 2026-03-30T09:00Z ---------------------


def handoff(
    hid: str, due: str, completed: str | None, route: tuple[str, str] = ("a", "b")
) -> list[BaseEvent]:
    found = [
        event(
            "handoff.requested",
            handoff_id=hid,
            from_team_id=route[0],
            to_team_id=route[1],
            due_at=due,
            occurred_at="2026-02-25T09:00:00Z",
        )
    ]
    if completed:
        found.append(event("handoff.completed", handoff_id=hid, occurred_at=completed))
    return found


def handoffs_due(on_time: int, late: int) -> list[BaseEvent]:
    events: list[BaseEvent] = []
    for i in range(on_time + late):
        due = f"2026-03-{10 + i:02d}T12:00:00Z"
        done = f"2026-03-{10 + i:02d}T{'18' if i < late else '09'}:00:00Z"
        events += handoff(f"h{i}", due, done)
    return events


@pytest.mark.parametrize(
    ("on_time", "late", "level", "holding"),
    [
        (2, 1, WARNING, WARNING),  # 33%
        (5, 2, QUIET, WARNING),  # 28.6%: inside the band
        (3, 1, QUIET, QUIET),  # 25%
        (0, 2, QUIET, QUIET),  # 100%, but only 2 fell due
    ],
)
def test_handoff_slippage_late_share(on_time: int, late: int, level: int, holding: int) -> None:
    f = handoff_slippage(ctx(fold_all(handoffs_due(on_time, late))), "a->b")
    assert (f.level, f.holding) == (level, holding)
    assert f.observed == pytest.approx(late / (on_time + late), abs=1e-4)
    assert (f.threshold, f.unit, f.subject.subject_id) == (0.30, "share", "a->b")
    assert (f.evidence["handoffs_due"], f.evidence["handoffs_late"]) == (on_time + late, late)
    assert (f.period_start, f.period_end) == (D("2026-03-02"), D("2026-03-30"))


def test_handoffs_due_outside_the_window_do_not_count() -> None:
    events = handoffs_due(2, 1) + handoff("old", "2026-02-27T12:00:00Z", "2026-02-28T12:00:00Z")
    events += handoff("other", "2026-03-12T12:00:00Z", "2026-03-13T12:00:00Z", ("b", "a"))
    f = handoff_slippage(ctx(fold_all(events)), "a->b")
    assert f.evidence["handoffs_due"] == 3


@pytest.mark.parametrize(
    ("due", "level", "holding"),
    [
        ("2026-03-28T09:00:00Z", WARNING, WARNING),  # 48 h past due
        ("2026-03-28T10:00:00Z", QUIET, WARNING),  # 47 h
        ("2026-03-28T14:00:00Z", QUIET, QUIET),  # 43 h
    ],
)
def test_handoff_slippage_open_and_overdue(due: str, level: int, holding: int) -> None:
    f = handoff_slippage(ctx(fold_all(handoff("h1", due, None))), "a->b")
    assert (f.level, f.holding) == (level, holding)
    assert f.evidence["open_overdue_handoffs"] == 1
    if level:
        assert (f.observed, f.threshold, f.unit) == (48.0, 48.0, "hours")


def test_handoff_slippage_comes_back_when_the_handoff_is_completed() -> None:
    events = handoff("h1", "2026-03-27T09:00:00Z", None)
    assert handoff_slippage(ctx(fold_all(events)), "a->b").level == WARNING
    done = event("handoff.completed", handoff_id="h1", occurred_at="2026-03-30T08:00:00Z")
    f = handoff_slippage(ctx(fold_all([*events, done])), "a->b")
    assert (f.level, f.holding) == (QUIET, QUIET)  # 1 late of 1 due: below 3 handoffs


# -- decision_gap: the org's first event is 2026-01-01T00:00Z --------------------------------

FIRST = event("clock.ticked", occurred_at="2026-01-01T00:00:00Z")


def decision(alert_ids: list[str]) -> BaseEvent:
    return event(
        "decision.recorded",
        decision_id=f"d{len(alert_ids)}",
        alert_ids=alert_ids,
        occurred_at="2026-03-01T00:00:00Z",
    )


@pytest.mark.parametrize(
    ("now", "decisions", "level"),
    [
        ("2026-04-01T00:00:00Z", [], WARNING),  # 90 days
        ("2026-03-31T23:00:00Z", [], QUIET),
        ("2026-04-01T00:00:00Z", [decision([])], WARNING),  # names no alert
        ("2026-04-01T00:00:00Z", [decision(["a-1"])], QUIET),
    ],
)
def test_decision_gap(now: str, decisions: list[BaseEvent], level: int) -> None:
    f = decision_gap(ctx(fold_all([FIRST, *decisions], now=now)))
    assert f is not None
    assert (f.level, f.holding) == (level, level)
    assert (f.threshold, f.unit, f.subject.subject_id) == (90.0, "days", "acme")
    assert f.period_start == D("2026-01-01")
