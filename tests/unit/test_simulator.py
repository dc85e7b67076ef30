"""`worksignals simulate`: contract events, deterministic per seed, a quiet baseline, and
each injected pattern firing on its subject when folded exactly as the worker folds
(`tests.scenarios.Run`: one `AlertingFold` per event-time day, changes marked sent)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from functools import cache

import orjson
import pytest

from events.models import EVENT_ADAPTER
from streams.alerting import Alert
from streams.settings import Settings
from streams.simulator import (
    PATTERNS,
    Simulation,
    SimulationError,
    add_simulate_parser,
    cmd_simulate,
    simulate,
)
from tests.scenarios import Run, summary

SMALL = (14, 6, 8)
"""contributors, projects, weeks: 3 teams, quick to fold."""
LONG = (12, 6, 14)
"""Past decision_gap's 90 days."""


@cache
def folded(
    size: tuple[int, int, int], seed: int, inject: tuple[str, ...] = ()
) -> tuple[Simulation, tuple[Alert, ...]]:
    """A simulation and every alert change the worker's fold gives for it."""
    sim = simulate(*size, seed=seed, inject=inject)
    run = Run()
    run.daily([EVENT_ADAPTER.validate_json(line) for line in sim.lines()])
    return sim, tuple(run.changes)


def fired(changes: tuple[Alert, ...], pattern: str) -> dict[str, Alert]:
    """Subject id -> the first firing change of the pattern on it."""
    found: dict[str, Alert] = {}
    for a in changes:
        if a["pattern"] == pattern and a["status"] == "firing":
            found.setdefault(a["subject_id"], a)
    return found


def test_every_line_is_a_contract_event_in_event_time_order() -> None:
    sim, _changes = folded(LONG, 1, ("all",))
    models = [EVENT_ADAPTER.validate_json(line) for line in sim.lines()]
    stamps = [m.occurred_at for m in models]
    assert stamps == sorted(stamps)
    assert len({m.event_id for m in models}) == len(models)
    assert {m.org_id for m in models} == {"acme"}
    assert {m.type for m in models} == {
        "contributor.profiled",
        "contributor.time_off",
        "project.planned",
        "time.logged",
        "time.deleted",
        "task.blocked",
        "task.unblocked",
        "handoff.requested",
        "handoff.accepted",
        "handoff.completed",
        "decision.recorded",
        "clock.ticked",
    }


def test_the_agency_looks_like_one() -> None:
    sim = simulate(30, 8, 14, seed=4)
    kinds = Counter(e["type"] for e in sim.events)
    logged = [e for e in sim.events if e["type"] == "time.logged"]
    first = [e for e in logged if e["revision"] == 1]
    assert len(sim.teams) == 6 and all(4 <= len(m) <= 6 for m in sim.teams.values())
    assert set(sim.projects.values()) == {"time_and_materials", "fixed_fee", "non_billable"}
    assert kinds["contributor.profiled"] == 30 + 2, "two re-profiles mid-way"
    assert kinds["project.planned"] == 8 + 1, "one re-plan"
    assert kinds["clock.ticked"] == 14 * 7
    assert 0.03 < (len(logged) - len(first)) / len(first) < 0.07, "about 5% amended"
    assert 0.005 < kinds["time.deleted"] / len(first) < 0.02, "about 1% deleted"
    per_day = Counter((e["contributor_id"], e["work_date"]) for e in first)
    assert 2 <= sum(per_day.values()) / len(per_day) <= 4
    billable = sum(e["minutes"] for e in first if e["billable"])
    assert 0.7 < billable / sum(e["minutes"] for e in first) < 0.9
    cross = [e for e in first if e.get("for_team_id") and e["project_id"] != "internal"]
    assert cross and all(e["billable"] for e in cross), "cross-team work is billable"


def test_same_arguments_give_the_same_bytes_and_seeds_differ() -> None:
    a = b"\n".join(simulate(*SMALL, seed=9, inject=("budget_burn",)).lines())
    b = b"\n".join(simulate(*SMALL, seed=9, inject=("budget_burn",)).lines())
    c = b"\n".join(simulate(*SMALL, seed=10, inject=("budget_burn",)).lines())
    assert a == b
    assert a != c


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_baseline_is_quiet(seed: int) -> None:
    sim, changes = folded(SMALL, seed)
    assert [summary(a) for a in changes] == []
    assert sim.injected == {} and sim.expected == ()
    assert not [e for e in sim.events if e["type"] == "decision.recorded"]


def test_a_long_baseline_has_only_the_routine_escalation_and_no_decision_gap() -> None:
    sim, changes = folded(LONG, 1)
    (routine,) = sim.expected
    assert (routine.pattern, routine.subject_type) == ("blocked_work", "project")
    assert [(a["pattern"], a["subject_id"], a["status"]) for a in changes] == [
        ("blocked_work", routine.subject_id, "firing"),
        ("blocked_work", routine.subject_id, "resolved"),
    ]
    decisions = [e for e in sim.events if e["type"] == "decision.recorded"]
    assert decisions and all(e["alert_ids"] == [changes[0]["alert_id"]] for e in decisions)


def size_for(pattern: str) -> tuple[int, int, int]:
    return LONG if pattern == "decision_gap" else SMALL


@pytest.mark.parametrize("pattern", PATTERNS)
def test_an_injected_pattern_fires_on_its_subject_in_time(pattern: str) -> None:
    sim, changes = folded(size_for(pattern), 2, (pattern,))
    subject = sim.injected[pattern]
    assert subject in fired(changes, pattern), [summary(a) for a in changes]
    for e in sim.expected:
        alert = fired(changes, e.pattern).get(e.subject_id)
        assert alert is not None, e
        assert alert["alert_id"] == e.alert_id(sim.org_id)
        assert dt.datetime.fromisoformat(alert["first_fired_at"]) <= e.fires_by
    expected_ops = {(e.pattern, e.subject_id) for e in sim.expected if e.audience == "ops"}
    ops = {(a["pattern"], a["subject_id"]) for a in changes if a["audience"] == "ops"}
    assert ops == expected_ops, "no ops alert but the injected ones"


def test_inject_all_fires_all_ten_on_their_subjects() -> None:
    sim, changes = folded(LONG, 1, ("all",))
    assert set(sim.injected) == set(PATTERNS)
    for pattern, subject in sim.injected.items():
        assert subject in fired(changes, pattern), pattern


def test_decisions_name_alerts_that_had_fired_and_close_the_gap() -> None:
    sim, changes = folded(LONG, 3, ("billable_mix_shift", "budget_burn", "workload_imbalance"))
    first_fired = {a["alert_id"]: a["first_fired_at"] for a in changes}
    decisions = [e for e in sim.events if e["type"] == "decision.recorded"]
    assert decisions
    for d in decisions:
        (named,) = d["alert_ids"]
        assert named in first_fired, d
        fired_at = dt.datetime.fromisoformat(first_fired[named])
        assert fired_at <= dt.datetime.fromisoformat(d["occurred_at"])
    assert not fired(changes, "decision_gap")
    assert not [a for a in changes if a["pattern"] == "blocked_work"], "no routine one needed"


def test_with_decision_gap_injected_no_decision_names_an_alert() -> None:
    sim, changes = folded(LONG, 1, ("all",))
    decisions = [e for e in sim.events if e["type"] == "decision.recorded"]
    assert decisions and all(e["alert_ids"] == [] for e in decisions)
    assert sim.org_id in fired(changes, "decision_gap")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="worksignals")
    add_simulate_parser(p.add_subparsers(dest="verb", required=True))
    return p


def test_the_command_writes_the_simulation_as_json_lines(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    argv = (
        "simulate --contributors 8 --projects 4 --weeks 3 --seed 5 "
        "--inject margin_erosion --inject blocked_work --start 2025-06-02 --org globex"
    )
    args = parser().parse_args(argv.split())
    assert args.handler(Settings(), args) == 0
    out = capsysbinary.readouterr().out
    lines = out.splitlines()
    assert out.endswith(b"\n")
    assert all(EVENT_ADAPTER.validate_json(line).org_id == "globex" for line in lines)
    assert orjson.loads(lines[0])["occurred_at"] == "2025-06-02T07:00:00Z"
    expected = simulate(
        8, 4, 3, 5, ("margin_erosion", "blocked_work"), dt.date(2025, 6, 2), "globex"
    )
    assert lines == list(expected.lines())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ("--inject budget_overrun", b"invalid choice: 'budget_overrun'"),
        ("--start 2025-06-03", b"the start must be a Monday"),
        ("--weeks many", b"invalid int value"),
    ],
)
def test_bad_arguments_are_argparse_errors(
    argv: str, message: bytes, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["simulate", *argv.split()])
    assert exit_info.value.code == 2
    assert message in capsysbinary.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ("--weeks 6 --inject decision_gap", b"decision_gap needs --weeks 13 or more"),
        ("--weeks 6 --inject all", b"--inject all needs --weeks 13 or more"),
        ("--contributors 1", b"--contributors must be 2 or more"),
        ("--projects 1", b"--projects must be 2 or more"),
        ("--org bad/org", b"--org must be"),
    ],
)
def test_what_cannot_be_simulated_is_refused_with_the_reason(
    argv: str, message: bytes, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    args = parser().parse_args(["simulate", *argv.split()])
    assert cmd_simulate(Settings(), args) == 2
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    assert message in captured.err


def test_the_api_rejects_unknown_patterns() -> None:
    with pytest.raises(SimulationError, match="unknown pattern"):
        simulate(*SMALL, seed=1, inject=("budget_overrun",))
