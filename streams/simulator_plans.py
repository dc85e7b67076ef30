"""Plans, money and decisions of the simulated agency, sized from its rendered work.

Projects are planned once the work is known, so that a healthy project stays quiet on
every simulated day: its planned hours keep the consumed share under 76% (warning: 80%)
and no more than 16 points ahead of the elapsed share of its dates (warning: 20), and its
bill rate or fixed fee keeps its margin to date at or above its target (warning: 10 points
below). Dates run past the simulation, so 62-85% of them have elapsed at its end. One
project is re-planned mid-way (more hours, a later end), as a client extending the work.

The ops lead reviews alerts every Friday afternoon and, from the first review after an
ops alert fired, records a decision naming one (the oldest not named yet, else the latest
again as a follow-up). Contributor alerts are never named: ops does not see them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

from projections.patterns.org_patterns import DECISION_GAP
from projections.patterns.policy import Policy
from projections.patterns.projects import BLOCKED_WORK
from projections.project_status import elapsed_share
from streams.simulator_inject import MIN_WEEKS, Expectation, Injection
from streams.simulator_model import (
    DAY,
    FIXED_FEE,
    INTERNAL,
    TIME_AND_MATERIALS,
    WEEK,
    Agency,
    PlanVersion,
    Project,
    at,
    rng_for,
)
from streams.simulator_work import Block, Work

_POLICY = Policy()
SAFE_SHARE = _POLICY.budget_burn.warning_share - 0.04
SAFE_AHEAD = _POLICY.budget_burn.ahead_points / 100 - 0.04
OVERRUN = 1.15
"""budget_burn: hours logged by the end of the simulation over the subject's planned hours."""
UNDER_COST = 0.88
"""margin_erosion: the subject's bill rate over the lowest blended cost per billable hour."""
REVIEW_DEADLINE_WEEK = 12
"""The last weekly review before decision_gap's 90 days (counted from the first event)."""
ROUTINE_WEEK = 10


@dataclass(slots=True)
class Ledger:
    """A project's cumulative figures per simulated day (index 0: the first Monday).

    `most_*` count every minute that is ever on the books for a day by then (mistaken
    copies, the larger revision); `least_hours` only those that surely are."""

    most_hours: list[float]
    least_hours: list[float]
    billable: list[float]
    cost: list[float]


def ledgers(agency: Agency, work: Work) -> dict[str, Ledger]:
    """Every project's ledger."""
    n = agency.days
    daily = {p: [[0.0] * n for _ in range(4)] for p in agency.projects}
    for e in work.entries:
        d = (e.work_date - agency.start).days
        minutes = [e.minutes] + ([e.amendment.minutes] if e.amendment else [])
        most = max(minutes) / 60
        rows = daily[e.project_id]
        rows[0][d] += most
        rows[1][d] += 0.0 if e.deleted_at else min(minutes) / 60
        rows[2][d] += most if e.billable else 0.0
        rows[3][d] += most * agency.people[e.contributor_id].profile_on(e.work_date).cost_rate
    return {p: Ledger(*(_cumulative(row) for row in rows)) for p, rows in daily.items()}


def _cumulative(values: list[float]) -> list[float]:
    total, found = 0.0, []
    for v in values:
        total += v
        found.append(total)
    return found


def size_plans(agency: Agency, work: Work, injection: Injection) -> None:
    """Plan every project from its ledger (see the module doc); the budget_burn subject is
    planned short and its expectation recorded."""
    books = ledgers(agency, work)
    replanned = _replanned(agency, injection)
    for project_id, project in agency.projects.items():
        rng = rng_for(agency.seed, "plan", project_id)
        ledger = books[project_id]
        if project_id == injection.budget_project:
            _overrun(agency, project, ledger, injection)
        elif project_id == replanned:
            _replan(agency, project, ledger, rng, injection)
        else:
            end = _end_date(agency, rng)
            planned = _planned(ledger, agency.start, end, range(agency.days), rng)
            money = _money(agency, project, ledger, planned, range(agency.days), rng, injection)
            project.plans = [PlanVersion(agency.setup_at, planned, agency.start, end, *money)]


def _replanned(agency: Agency, injection: Injection) -> str | None:
    taken = (
        injection.budget_project,
        injection.margin_project,
        injection.blocked.project_id if injection.blocked else None,
    )
    free = [p for p in agency.client_projects() if p not in taken]
    return free[-1] if free and agency.weeks >= 4 else None


def _end_date(agency: Agency, rng: random.Random) -> dt.date:
    elapsed_at_end = rng.uniform(0.62, 0.85)
    return agency.start + DAY * (math.ceil(agency.days / elapsed_at_end) - 1)


def _planned(
    ledger: Ledger, start: dt.date, end: dt.date, days: Iterable[int], rng: random.Random
) -> float:
    need = 10.0
    for d in days:
        hours = ledger.most_hours[d]
        elapsed = elapsed_share(start, end, start + DAY * d)
        need = max(need, hours / SAFE_SHARE, hours / (elapsed + SAFE_AHEAD))
    return float(math.ceil(need * rng.uniform(1.0, 1.12) / 10) * 10)


def _money(
    agency: Agency,
    project: Project,
    ledger: Ledger,
    planned: float,
    days: Iterable[int],
    rng: random.Random,
    injection: Injection,
) -> tuple[float | None, float | None]:
    """(bill_rate, fixed_fee) keeping the margin to date at or above target every day;
    the margin_erosion subject is billed under its cost."""
    keep = 1 - project.target_margin
    if project.billing == TIME_AND_MATERIALS:
        # The rate is one for every plan version, so it is sized over the whole run.
        ratios = [c / b for c, b in zip(ledger.cost, ledger.billable, strict=True) if b > 0]
        if not ratios:
            return 120.0, None
        if project.project_id == injection.margin_project:
            return float(math.floor(min(ratios) * UNDER_COST / 5) * 5), None
        return float(math.ceil(max(ratios) / keep * rng.uniform(1.02, 1.08) / 5) * 5), None
    if project.billing == FIXED_FEE:
        ratios = [
            ledger.cost[d] * planned / ledger.most_hours[d]
            for d in days
            if ledger.most_hours[d] > 0
        ]
        top = max(ratios, default=planned * 100.0)
        return None, float(math.ceil(top / keep * rng.uniform(1.02, 1.08) / 100) * 100)
    return None, None


def _overrun(agency: Agency, project: Project, ledger: Ledger, injection: Injection) -> None:
    """The budget_burn subject: planned at 1/1.15 of what the run logs on it, due at the
    end of the run, so it crosses 80% at about 70% of the run and 100% at about 87%."""
    rng = rng_for(agency.seed, "plan", project.project_id)
    planned = max(1.0, round(ledger.least_hours[-1] / OVERRUN, 1))
    end = agency.end - DAY
    money = _money(agency, project, ledger, planned, range(agency.days), rng, injection)
    project.plans = [PlanVersion(agency.setup_at, planned, agency.start, end, *money)]
    crossing = next(
        (
            d
            for d, hours in enumerate(ledger.least_hours)
            if hours >= _POLICY.budget_burn.warning_share * planned
        ),
        agency.days - 1,
    )
    injection.expected.append(
        Expectation(
            "budget_burn",
            "ops",
            "project",
            project.project_id,
            at(agency.start, 0) + DAY * (crossing + 2),
        )
    )


def _replan(
    agency: Agency, project: Project, ledger: Ledger, rng: random.Random, injection: Injection
) -> None:
    """Planned at the start; re-planned on the middle week's Wednesday with a later end
    and at least 20% more hours."""
    day = (agency.weeks // 2) * 7 + 2
    end = _end_date(agency, rng)
    first_end = max(end - WEEK * rng.randint(4, 8), agency.start + DAY * (day + 14))
    first = _planned(ledger, agency.start, first_end, range(day + 1), rng)
    later = max(
        _planned(ledger, agency.start, end, range(day, agency.days), rng),
        float(math.ceil(first * 1.2 / 10) * 10),
    )
    before = _money(agency, project, ledger, first, range(day + 1), rng, injection)
    after = _money(agency, project, ledger, later, range(day, agency.days), rng, injection)
    project.plans = [
        PlanVersion(agency.setup_at, first, agency.start, first_end, *before),
        PlanVersion(at(agency.start + DAY * day, 14), later, agency.start, end, *after),
    ]


def routine_escalation(agency: Agency, work: Work, injection: Injection) -> None:
    """Without an injected alert before the 90th day, a long enough run still gets one
    alert the ops lead can name: a task blocked Monday to Friday in week 11 (97 hours:
    blocked_work fires on Thursday and resolves on Friday). Not when decision_gap is
    injected."""
    if DECISION_GAP in injection.patterns or agency.weeks < MIN_WEEKS[DECISION_GAP]:
        return
    deadline = at(agency.monday(REVIEW_DEADLINE_WEEK) + DAY * 4, 16)
    if any(e.audience == "ops" and e.fires_by <= deadline for e in injection.expected):
        return
    clients = agency.client_projects()
    project = clients[0] if clients else INTERNAL
    monday = agency.monday(ROUTINE_WEEK)
    owner = agency.projects[project].team_id
    work.blocks.append(
        Block(
            f"{project}-{300 + ROUTINE_WEEK}",
            project,
            at(monday, 9, 30),
            at(monday + DAY * 4, 11),
            next((t for t in agency.teams if t != owner), None),
            "Waiting for production access from the client",
        )
    )
    injection.expected.append(
        Expectation(BLOCKED_WORK, "ops", "project", project, at(monday + DAY * 4, 1))
    )


KINDS = {
    "budget_burn": "rescope",
    "margin_erosion": "renegotiate",
    "blocked_work": "escalate",
    "handoff_slippage": "escalate",
    "capacity_variance": "rebalance",
    "workload_imbalance": "rebalance",
    "unbilled_cross_team": "rebalance",
    "billable_mix_shift": "other",
    "decision_gap": "other",
}
NOTES = {
    "budget_burn": "Rescoped {s}: the remaining nice-to-haves move to a second phase.",
    "margin_erosion": "Renegotiating the rate of {s} with the client; staffing reviewed.",
    "blocked_work": "Escalated the blocked task of {s} to the client's sponsor.",
    "handoff_slippage": "Escalated handoffs on {s}: agreed a daily check-in between the teams.",
    "capacity_variance": "Rebalancing {s}: reminded everyone to log, moved work in.",
    "workload_imbalance": "Rebalancing work within {s} for next week.",
    "unbilled_cross_team": "Agreed with the other team how to plan and bill {s}'s help.",
    "billable_mix_shift": "Reviewing the mix of work of {s}.",
    "decision_gap": "Reviewing the open alerts and recording what was decided.",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """A `decision.recorded` of the ops lead's weekly review."""

    decision_id: str
    at: dt.datetime
    kind: str
    alert_ids: list[str]
    note: str


def decisions(agency: Agency, injection: Injection) -> list[Decision]:
    """One decision per weekly review from the first one after an ops alert fired; with
    decision_gap injected, the decisions name no alert."""
    ops = sorted(
        (e for e in injection.expected if e.audience == "ops"),
        key=lambda e: (e.fires_by, e.pattern, e.subject_id),
    )
    grounded = DECISION_GAP not in injection.patterns
    named: list[Expectation] = []
    found = []
    for week in range(agency.weeks):
        rng = rng_for(agency.seed, "review", week)
        when = at(agency.monday(week) + DAY * 4, 16, rng.randrange(45))
        fired = [e for e in ops if e.fires_by <= when]
        if not fired:
            continue
        decision_id = f"dec-{week + 1:02d}"
        if not grounded:
            note = "Weekly review of the open alerts; decisions taken without linking them."
            found.append(Decision(decision_id, when, "other", [], note))
            continue
        fresh = [e for e in fired if e not in named]
        pick = fresh[0] if fresh else fired[-1]
        named.append(pick)
        note = NOTES[pick.pattern].format(s=pick.subject_id)
        if not fresh:
            note = f"Follow-up: {note}"
        found.append(
            Decision(decision_id, when, KINDS[pick.pattern], [pick.alert_id(agency.org_id)], note)
        )
    return found
