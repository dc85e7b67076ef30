"""evaluate(): which subjects a batch may have changed, determinism, and contributor first.

The agency: team design (3 contributors) and team dev (2, too few to be shown to ops),
projects p1 and p2, a blocked task, a slipping route and no grounded decision. Contributor
ids are distinctive so that a leak into an ops alert cannot hide.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest

from events.models import BaseEvent
from projections import fold
from projections.contributor_weekly import ContributorWeek
from projections.patterns import common
from projections.patterns.common import Context
from projections.patterns.evaluate import evaluate, scope
from projections.patterns.finding import QUIET, Finding
from projections.patterns.policy import Policy
from tests.factories import event
from tests.unit.test_patterns_contributors import (
    BASELINE,
    LAST_FOUR,
    NOW,
    RECENT,
    profile,
    weekly,
    work,
)
from tests.unit.test_patterns_projects import handoff, plan

D = dt.date.fromisoformat
T = dt.datetime.fromisoformat
DESIGN = ["zq-ana-7781", "zq-ben-5512", "zq-cleo-9034"]
DEV = ["zq-dan-4410", "zq-eve-2203"]
PEOPLE = DESIGN + DEV


def agency() -> list[BaseEvent]:
    events: list[Any] = [profile(c, cost_rate=90.0) for c in DESIGN]
    events += [profile(c, team="dev", cost_rate=90.0) for c in DEV]
    events += [plan("p1"), plan("p2", end_date="2026-06-30", planned_hours=2000)]
    for c, load in zip(PEOPLE, (52.0, 40.0, 18.0, 50.0, 10.0), strict=True):
        events += weekly(c, BASELINE, 20.0, project_id="p2")
        events += weekly(c, RECENT[:1] + LAST_FOUR[:2], 30.0, project_id="p2")
        events += work(c, LAST_FOUR[-1], load, billable=c != DESIGN[2], project_id="p1")
        events += work(c, LAST_FOUR[-1], 4.0, billable=False, for_team_id="sales")
    events.append(
        event("task.blocked", task_id="t1", project_id="p1", occurred_at="2026-03-20T09:00:00Z")
    )
    events += handoff("h1", "2026-03-27T09:00:00Z", None, ("design", "dev"))
    return events


def folded(events: list[BaseEvent], now: str = NOW) -> tuple[dict[str, Any], fold.Touched]:
    store: dict[str, Any] = {}
    touched = fold.Touched()
    for e in [*events, event("clock.ticked", occurred_at=now)]:
        fold.apply(store, e, touched)
    return store, touched


def more(store: dict[str, Any], *events: BaseEvent) -> fold.Touched:
    touched = fold.Touched()
    for e in events:
        fold.apply(store, e, touched)
    return touched


def subjects(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.subject.pattern, f.subject.subject_id) for f in findings}


def test_ops_alerts_never_name_a_contributor() -> None:
    store, _ = folded(agency())
    findings = evaluate(store, "acme", Policy())
    ops = [f for f in findings if f.subject.audience == "ops"]
    assert any(f.level for f in ops), "the scenario must fire some ops alerts"
    assert {f.subject.pattern for f in ops if f.level} >= {
        "budget_burn",
        "blocked_work",
        "handoff_slippage",
        "workload_imbalance",
        "unbilled_cross_team",
        "margin_erosion",
    }
    for f in ops:
        text = json.dumps([f.summary, f.evidence, f.subject.subject_id], default=str)
        for person in PEOPLE:
            assert person not in text, (f.subject, person)
        assert f.subject.subject_type != "contributor"
    dev = [f for f in ops if f.subject.subject_type == "team" and f.subject.subject_id == "dev"]
    assert dev and all(f.level == f.holding == QUIET for f in dev)


def test_contributor_alerts_go_to_the_contributor_only() -> None:
    store, _ = folded(agency())
    mine = [f for f in evaluate(store, "acme", Policy()) if f.subject.audience == "contributor"]
    assert {f.subject.subject_id for f in mine} == set(PEOPLE)
    assert {f.subject.subject_type for f in mine} == {"contributor"}
    assert {f.suggested_action for f in mine} == {"self_review"}
    assert any(f.level for f in mine)


def test_a_full_evaluation_is_deterministic_and_sorted() -> None:
    store, _ = folded(agency())
    first = evaluate(store, "acme", Policy())
    assert first == evaluate(store, "acme", Policy())
    assert [f.subject.key() for f in first] == sorted(f.subject.key() for f in first)
    assert len({f.subject for f in first}) == len(first)
    reversed_store, _ = folded(list(reversed(agency())))
    assert evaluate(reversed_store, "acme", Policy()) == first


def test_a_full_evaluation_covers_every_subject() -> None:
    store, _ = folded(agency())
    found = subjects(evaluate(store, "acme", Policy()))
    for c in PEOPLE:
        for pattern in ("utilization_drift", "billable_mix_shift", "unbilled_cross_team"):
            assert (pattern, c) in found
    for t in ("design", "dev"):
        for pattern in (
            "billable_mix_shift",
            "unbilled_cross_team",
            "capacity_variance",
            "workload_imbalance",
        ):
            assert (pattern, t) in found
    for p in ("p1", "p2"):
        for pattern in ("budget_burn", "margin_erosion", "blocked_work"):
            assert (pattern, p) in found
    assert ("handoff_slippage", "design->dev") in found
    assert ("decision_gap", "acme") in found


def test_an_unknown_org_has_no_findings() -> None:
    store, _ = folded(agency())
    assert evaluate(store, "other", Policy()) == []


def test_each_week_is_read_once_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    store, _ = folded(agency())
    reads: Counter[tuple[str, dt.date]] = Counter()
    original = common.week

    def counting(s: Any, o: str, c: str, monday: dt.date) -> ContributorWeek:
        reads[(c, monday)] += 1
        return original(s, o, c, monday)

    monkeypatch.setattr(common, "week", counting)
    evaluate(store, "acme", Policy())
    assert reads and max(reads.values()) == 1


# -- scoping ------------------------------------------------------------------------------


def ctx_of(store: dict[str, Any]) -> Context:
    found = Context.of(store, "acme", Policy())
    assert found is not None
    return found


def test_without_touched_everything_is_in_scope() -> None:
    store, _ = folded(agency())
    s = scope(ctx_of(store), None, T(NOW))
    assert s.contributors == set(PEOPLE) and s.teams == {"design", "dev"}
    assert s.projects == {"p1", "p2"} and s.blocked_projects == {"p1", "p2"}
    assert s.routes == {"design->dev"} and s.org


def test_a_late_entry_into_a_complete_week_evaluates_its_contributor_and_teams() -> None:
    store, _ = folded(agency())
    touched = more(
        store,
        event(
            "time.logged",
            entry_id="late",
            contributor_id=DESIGN[0],
            project_id="p1",
            work_date="2026-03-24",
            minutes=60,
            billable=True,
            occurred_at="2026-03-30T08:00:00Z",
        ),
    )
    s = scope(ctx_of(store), touched, T(NOW))
    assert (s.contributors, s.teams) == ({DESIGN[0]}, {"design"})
    assert (s.projects, s.blocked_projects, s.routes, s.org) == ({"p1"}, set(), set(), False)
    found = subjects(evaluate(store, "acme", Policy(), touched, T(NOW)))
    assert found == {
        ("utilization_drift", DESIGN[0]),
        ("billable_mix_shift", DESIGN[0]),
        ("unbilled_cross_team", DESIGN[0]),
        ("billable_mix_shift", "design"),
        ("unbilled_cross_team", "design"),
        ("capacity_variance", "design"),
        ("workload_imbalance", "design"),
        ("budget_burn", "p1"),
        ("margin_erosion", "p1"),
    }


def test_an_entry_in_the_current_week_evaluates_no_week_pattern() -> None:
    store, _ = folded(agency(), now="2026-03-31T09:00:00Z")
    touched = more(
        store,
        event(
            "time.logged",
            entry_id="today",
            contributor_id=DESIGN[0],
            project_id="p2",
            work_date="2026-03-31",
            minutes=60,
            billable=True,
            occurred_at="2026-03-31T08:00:00Z",
        ),
    )
    s = scope(ctx_of(store), touched, T("2026-03-31T09:00:00Z"))
    assert (s.contributors, s.teams, s.projects) == (set(), set(), {"p2"})


def test_a_profile_change_evaluates_the_teams_it_moves_between() -> None:
    store, _ = folded(agency())
    touched = more(
        store,
        event(
            "contributor.profiled",
            contributor_id=DESIGN[2],
            team_id="dev",
            effective_from="2026-03-23",
            occurred_at="2026-03-30T08:00:00Z",
        ),
    )
    s = scope(ctx_of(store), touched, T(NOW))
    assert (s.contributors, s.teams) == ({DESIGN[2]}, {"design", "dev"})
    assert s.projects == {"p1", "p2"}  # a cost rate may have changed


def test_a_new_week_evaluates_every_contributor_and_team() -> None:
    store, _ = folded(agency())
    touched = more(store, event("clock.ticked", occurred_at="2026-03-30T10:00:00Z"))
    s = scope(ctx_of(store), touched, T("2026-03-29T23:00:00Z"))
    assert s.contributors == set(PEOPLE) and s.teams == {"design", "dev"}
    assert s.projects == {"p1", "p2"} and s.routes == {"design->dev"} and s.org


def test_a_new_day_evaluates_projects_routes_and_the_org_but_not_weeks() -> None:
    store, _ = folded(agency(), now="2026-03-31T09:00:00Z")
    touched = more(store, event("clock.ticked", occurred_at="2026-03-31T10:00:00Z"))
    s = scope(ctx_of(store), touched, T("2026-03-30T09:00:00Z"))
    assert (s.contributors, s.teams) == (set(), set())
    assert s.projects == {"p1", "p2"} and s.blocked_projects == {"p1"}
    assert s.routes == {"design->dev"} and s.org


def test_the_clock_moving_within_a_day_evaluates_open_blocks_and_open_handoffs() -> None:
    store, _ = folded(agency())
    touched = more(store, event("clock.ticked", occurred_at="2026-03-30T10:00:00Z"))
    s = scope(ctx_of(store), touched, T(NOW))
    assert (s.contributors, s.teams, s.projects) == (set(), set(), set())
    assert (s.blocked_projects, s.routes, s.org) == ({"p1"}, {"design->dev"}, False)


def test_touched_tasks_handoffs_and_decisions_are_evaluated() -> None:
    store, _ = folded(agency())
    touched = more(
        store,
        event("task.unblocked", task_id="t1", project_id="p1", occurred_at="2026-03-30T08:00:00Z"),
        *handoff("h2", "2026-03-31T09:00:00Z", None, ("dev", "ops")),
        event("decision.recorded", decision_id="d1", alert_ids=["x"], occurred_at=NOW),
    )
    s = scope(ctx_of(store), touched, T(NOW))
    assert s.blocked_projects == {"p1"} and "p1" in s.projects
    assert s.routes == {"dev->ops"} and s.org
    found = {
        (f.subject.pattern, f.subject.subject_id): f
        for f in evaluate(store, "acme", Policy(), touched, T(NOW))
    }
    assert found[("blocked_work", "p1")].level == QUIET  # unblocked: resolves
    assert ("handoff_slippage", "dev->ops") in found
    assert ("decision_gap", "acme") in found
