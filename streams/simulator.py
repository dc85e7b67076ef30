"""`worksignals simulate`: a plausible agency's events, with patterns injected on demand.

`simulate(...)` builds a seeded agency (`streams.simulator_model`), injects the requested
patterns into its week plans (`streams.simulator_inject`), renders its work
(`streams.simulator_work`), plans its projects from that work and records the ops lead's
decisions (`streams.simulator_plans`), and returns every contract event in event-time
order. The same arguments give byte-identical output. Without injections the pipeline
stays quiet; each injection makes its pattern fire on the subject in `injected`.
docs/simulator.md is the user's guide.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from streams.settings import Settings
from streams.simulator_inject import (
    MIN_WEEKS,
    PATTERNS,
    Expectation,
    SimulationError,
    inject_work,
    plan_injections,
)
from streams.simulator_model import DAY, Agency, at, build_agency, reprofile
from streams.simulator_plans import Decision, decisions, routine_escalation, size_plans
from streams.simulator_work import Work, render

__all__ = [
    "DEFAULT_START",
    "PATTERNS",
    "Expectation",
    "Simulation",
    "SimulationError",
    "add_simulate_parser",
    "cmd_simulate",
    "simulate",
]

DEFAULT_START = dt.date(2026, 1, 5)
"""A Monday: the first simulated day unless told otherwise."""
DECIDED_BY = "ops.lead"
_ORG_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Simulation:
    """A simulated agency's events and what they were built to show."""

    org_id: str
    seed: int
    start: dt.date
    weeks: int
    events: list[Event]
    """Contract JSON documents, in event-time order."""
    teams: dict[str, list[str]]
    """Team id -> its contributors."""
    projects: dict[str, str]
    """Project id -> billing model."""
    injected: dict[str, str]
    """Injected pattern -> the subject id it fires on (the team for the team side of
    billable_mix_shift and unbilled_cross_team, the route `FROM->TO` for handoffs, the
    org for decision_gap)."""
    expected: tuple[Expectation, ...]
    """Every alert the simulation is built to give, with a time by which it has fired;
    includes the routine escalation of long runs (docs/simulator.md)."""

    def lines(self) -> Iterator[bytes]:
        """The events as JSON lines, without the newline."""
        for event in self.events:
            yield orjson.dumps(event)


def simulate(
    contributors: int,
    projects: int,
    weeks: int,
    seed: int,
    inject: Sequence[str] = (),
    start: dt.date = DEFAULT_START,
    org_id: str = "acme",
) -> Simulation:
    """Simulate `weeks` weeks of an agency of `contributors` people and `projects`
    projects (one of them internal) from `start` (a Monday), injecting the named patterns
    (`"all"` for every one). Raises SimulationError for arguments it cannot honour."""
    patterns = _patterns(inject)
    _check(contributors, projects, weeks, start, org_id)
    if "all" in inject and weeks < max(MIN_WEEKS.values()):
        raise SimulationError(
            f"--inject all needs --weeks {max(MIN_WEEKS.values())} or more (decision_gap "
            "fires 90 days after the first event); name the patterns to inject instead"
        )
    agency = build_agency(org_id, seed, contributors, projects, weeks, start)
    injection = plan_injections(agency, patterns)
    reprofile(agency, injection.used)
    work = render(agency)
    inject_work(agency, work, injection)
    size_plans(agency, work, injection)
    routine_escalation(agency, work, injection)
    events = _events(agency, work, decisions(agency, injection))
    return Simulation(
        org_id,
        seed,
        start,
        weeks,
        events,
        {t: list(members) for t, members in agency.teams.items()},
        {p: project.billing for p, project in agency.projects.items()},
        {p: injection.subjects[p] for p in patterns},
        tuple(injection.expected),
    )


def _patterns(inject: Sequence[str]) -> tuple[str, ...]:
    names = set(inject)
    unknown = sorted(names - {*PATTERNS, "all"})
    if unknown:
        raise SimulationError(
            f"unknown pattern(s) {', '.join(unknown)}; known: {', '.join(PATTERNS)}"
        )
    return PATTERNS if "all" in names else tuple(p for p in PATTERNS if p in names)


def _check(contributors: int, projects: int, weeks: int, start: dt.date, org_id: str) -> None:
    if contributors < 2:
        raise SimulationError("--contributors must be 2 or more")
    if projects < 2:
        raise SimulationError("--projects must be 2 or more (one of them is internal)")
    if not 1 <= weeks <= 520:
        raise SimulationError("--weeks must be between 1 and 520")
    if start.weekday() != 0:
        raise SimulationError(f"--start must be a Monday ({start} is a {start:%A})")
    if not _ORG_ID.match(org_id):
        raise SimulationError("--org must be 1-64 characters of A-Z a-z 0-9 . _ -")


class _Events:
    """Events as they are drafted; `documents()` orders them and gives them ids."""

    def __init__(self, agency: Agency) -> None:
        self.agency = agency
        self.drafts: list[tuple[dt.datetime, int, Event]] = []

    def add(self, when: dt.datetime, event_type: str, source: str, **fields: Any) -> None:
        when = when.replace(microsecond=0)
        body = {
            "event_id": "",
            "type": event_type,
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        body |= {"org_id": self.agency.org_id, "source": source}
        body |= {k: v for k, v in fields.items() if v is not None}
        self.drafts.append((when, len(self.drafts), body))

    def documents(self) -> list[Event]:
        ordered = [body for _when, _n, body in sorted(self.drafts, key=lambda d: (d[0], d[1]))]
        for i, body in enumerate(ordered, 1):
            body["event_id"] = f"sim{self.agency.seed}-{i:07d}"
        return ordered


def _events(agency: Agency, work: Work, recorded: list[Decision]) -> list[Event]:
    out = _Events(agency)
    _reference(out, agency)
    _time(out, work)
    _tasks(out, agency, work)
    for d in recorded:
        out.add(
            d.at,
            "decision.recorded",
            "ops-console",
            decision_id=d.decision_id,
            kind=d.kind,
            alert_ids=d.alert_ids,
            note=d.note,
            decided_by=DECIDED_BY,
        )
    for day in range(agency.days):
        out.add(at(agency.start + DAY * (day + 1), 0), "clock.ticked", "worksignals")
    return out.documents()


def _reference(out: _Events, agency: Agency) -> None:
    for person in agency.people.values():
        for p in person.profiles:
            out.add(
                p.announced_at,
                "contributor.profiled",
                "peoplehub",
                contributor_id=person.contributor_id,
                team_id=p.team_id,
                weekly_capacity_hours=p.capacity,
                target_utilization=p.target,
                cost_rate=p.cost_rate,
                effective_from=p.effective_from.isoformat(),
            )
    for project in agency.projects.values():
        for plan in project.plans:
            billable = project.billing != "non_billable"
            out.add(
                plan.announced_at,
                "project.planned",
                "forecast",
                project_id=project.project_id,
                name=project.name,
                team_id=project.team_id,
                billing=project.billing,
                planned_hours=plan.planned_hours,
                start_date=plan.start_date.isoformat(),
                end_date=plan.end_date.isoformat(),
                bill_rate=plan.bill_rate,
                fixed_fee=plan.fixed_fee,
                target_margin=project.target_margin if billable else None,
                currency="USD",
            )


def _time(out: _Events, work: Work) -> None:
    for t in work.time_off:
        out.add(
            t.announced_at,
            "contributor.time_off",
            "peoplehub",
            contributor_id=t.contributor_id,
            date=t.date.isoformat(),
            hours=t.hours,
        )
    for e in work.entries:
        entry = {
            "entry_id": e.entry_id,
            "contributor_id": e.contributor_id,
            "project_id": e.project_id,
            "work_date": e.work_date.isoformat(),
            "billable": e.billable,
            "for_team_id": e.for_team_id,
        }
        out.add(
            e.logged_at,
            "time.logged",
            "harvest",
            **entry,
            revision=1,
            task_id=e.task_id,
            minutes=e.minutes,
        )
        if e.amendment is not None:
            a = e.amendment
            out.add(
                a.at,
                "time.logged",
                "harvest",
                **entry,
                revision=2,
                task_id=a.task_id,
                minutes=a.minutes,
            )
        if e.deleted_at is not None:
            out.add(e.deleted_at, "time.deleted", "harvest", entry_id=e.entry_id, revision=2)


def _tasks(out: _Events, agency: Agency, work: Work) -> None:
    for b in work.blocks:
        task = {"task_id": b.task_id, "project_id": b.project_id}
        out.add(
            b.started_at,
            "task.blocked",
            "jira",
            **task,
            reason=b.reason,
            blocked_by_team_id=b.blocked_by_team_id,
        )
        if b.ended_at is not None and b.ended_at < agency.end_at:
            out.add(b.ended_at, "task.unblocked", "jira", **task)
    for h in work.handoffs:
        out.add(
            h.requested_at,
            "handoff.requested",
            "linear",
            handoff_id=h.handoff_id,
            project_id=h.project_id,
            task_id=h.task_id,
            from_team_id=h.from_team_id,
            to_team_id=h.to_team_id,
            due_at=h.due_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        out.add(h.accepted_at, "handoff.accepted", "linear", handoff_id=h.handoff_id)
        if h.completed_at is not None and h.completed_at < agency.end_at:
            out.add(h.completed_at, "handoff.completed", "linear", handoff_id=h.handoff_id)


def add_simulate_parser(verbs: Any) -> None:
    """Register `simulate` on the command line's subparsers (`streams.cli`)."""
    p = verbs.add_parser(
        "simulate",
        help="write a simulated agency's events (JSON lines) to stdout",
        description="Simulate an agency's time tracking and write its events as JSON lines, "
        "in event-time order. The baseline is healthy (no alert); --inject makes a pattern "
        "fire on a clear subject. Same arguments, same bytes.",
    )
    p.add_argument("--contributors", type=int, default=20, help="people (default 20)")
    p.add_argument(
        "--projects", type=int, default=8, help="projects, one of them internal (default 8)"
    )
    p.add_argument("--weeks", type=int, default=14, help="ISO weeks simulated (default 14)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--inject",
        action="append",
        default=[],
        choices=[*PATTERNS, "all"],
        metavar="PATTERN",
        help=f"make a pattern fire (repeatable): {', '.join(PATTERNS)}, or all",
    )
    p.add_argument(
        "--start",
        type=_monday,
        default=DEFAULT_START,
        help=f"first day, a Monday, YYYY-MM-DD (default {DEFAULT_START})",
    )
    p.add_argument("--org", default="acme", help="org_id of every event (default acme)")
    p.set_defaults(handler=cmd_simulate)


def _monday(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if day.weekday() != 0:
        raise argparse.ArgumentTypeError(f"{day} is a {day:%A}; the start must be a Monday")
    return day


def cmd_simulate(_settings: Settings, args: argparse.Namespace) -> int:
    """Write the simulated events to stdout as JSON lines; 2 when the arguments cannot be
    honoured (the message says why)."""
    try:
        simulation = simulate(
            args.contributors,
            args.projects,
            args.weeks,
            args.seed,
            inject=args.inject,
            start=args.start,
            org_id=args.org,
        )
    except SimulationError as error:
        sys.stderr.write(f"worksignals simulate: error: {error}\n")
        return 2
    out = sys.stdout.buffer
    try:
        out.write(b"".join(line + b"\n" for line in simulation.lines()))
        out.flush()
    except BrokenPipeError:
        # A reader that stopped early (`| head`) is not an error of ours.
        return 0
    return 0
