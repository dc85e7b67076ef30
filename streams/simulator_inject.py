"""Injected patterns: how `worksignals simulate --inject PATTERN` perturbs the agency.

Each injection picks a clear subject and shapes the work so that the pattern fires on it
under the default policy, and records an `Expectation`: the alert's subject and an event
time by which it has fired. Team injections take different teams while there are enough
(largest teams first), and contributor injections people nobody else's injection uses.
docs/simulator.md describes each injection and its side effects.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from projections.patterns import lifecycle
from projections.patterns.contributors import (
    BILLABLE_MIX_SHIFT,
    UNBILLED_CROSS_TEAM,
    UTILIZATION_DRIFT,
)
from projections.patterns.finding import Audience, Subject, SubjectType
from projections.patterns.org_patterns import DECISION_GAP
from projections.patterns.policy import Policy
from projections.patterns.projects import BLOCKED_WORK, BUDGET_BURN, MARGIN_EROSION
from projections.patterns.routes import HANDOFF_SLIPPAGE
from projections.patterns.teams import CAPACITY_VARIANCE, WORKLOAD_IMBALANCE
from streams.simulator_model import (
    DAY,
    FIXED_FEE,
    TIME_AND_MATERIALS,
    Agency,
    at,
    rng_for,
)
from streams.simulator_work import Block, Handoff, Work, handoff, routes

PATTERNS = (
    UTILIZATION_DRIFT,
    BILLABLE_MIX_SHIFT,
    UNBILLED_CROSS_TEAM,
    CAPACITY_VARIANCE,
    WORKLOAD_IMBALANCE,
    BUDGET_BURN,
    MARGIN_EROSION,
    BLOCKED_WORK,
    HANDOFF_SLIPPAGE,
    DECISION_GAP,
)
"""The ten patterns of the contract, in its order."""

MIN_WEEKS = {
    UTILIZATION_DRIFT: 4,
    BILLABLE_MIX_SHIFT: 3,
    UNBILLED_CROSS_TEAM: 2,
    CAPACITY_VARIANCE: 1,
    WORKLOAD_IMBALANCE: 1,
    BUDGET_BURN: 4,
    MARGIN_EROSION: 1,
    BLOCKED_WORK: 2,
    HANDOFF_SLIPPAGE: 3,
    DECISION_GAP: 13,
}
"""Weeks each injection needs to fire within the simulation."""

DRIFT_FROM_WEEK = 2
"""utilization_drift: the contributor's billable hours drop from the third week."""
DRIFT_SHARE = 0.40
MIX_DROP = 0.20
"""billable_mix_shift: points the team's billable share drops in the last 2 weeks."""
CROSS_FROM_WEEK = 1
CROSS_TEAM_HOURS = 11.5
"""unbilled_cross_team: the team's non-billable hours for another team each week."""
CROSS_MATE_MINUTES = 105
"""...of which each teammate of the subject logs 1.75 h (under the 2 h contributor bar)."""
CROSS_MIN_MINUTES = 270
UNDER_LOAD = 0.70
OVER_LOAD, UNDER_MEMBER_LOAD = 1.30, 0.50
BLOCKED_DAYS = 8
SLIPPAGE_FROM_WEEK = 1


class SimulationError(ValueError):
    """Arguments the simulation cannot honour; the message says which and what to change."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """An alert the simulation is built to give: its subject, and an event time by which
    the pipeline has fired it (conservative: the alert may fire earlier)."""

    pattern: str
    audience: Audience
    subject_type: SubjectType
    subject_id: str
    fires_by: dt.datetime

    def subject(self, org_id: str) -> Subject:
        """The alert's subject in `org_id`."""
        return Subject(org_id, self.pattern, self.audience, self.subject_type, self.subject_id)

    def alert_id(self, org_id: str, episode: int = 1) -> str:
        """The alert's id, as `projections.patterns.lifecycle` derives it."""
        return lifecycle.alert_id(self.subject(org_id), episode)


@dataclass(slots=True)
class Injection:
    """The subjects of the injected patterns and what is left to apply to the work."""

    patterns: tuple[str, ...]
    subjects: dict[str, str] = field(default_factory=dict)
    """Pattern -> the subject id it fires on (the ops subject where there are two)."""
    expected: list[Expectation] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    """Contributors whose weeks an injection shapes."""
    budget_project: str | None = None
    margin_project: str | None = None
    blocked: Block | None = None
    route: tuple[str, str] | None = None


def check(patterns: tuple[str, ...], weeks: int) -> None:
    """Raise SimulationError for an unknown pattern or too few weeks."""
    for pattern in patterns:
        if pattern not in MIN_WEEKS:
            raise SimulationError(f"unknown pattern {pattern!r}; known: {', '.join(PATTERNS)}")
        if weeks < MIN_WEEKS[pattern]:
            raise SimulationError(
                f"--inject {pattern} needs --weeks {MIN_WEEKS[pattern]} or more (got {weeks})"
            )


class _Picker:
    """Hands out teams (largest first, each once while possible) and contributors (each
    once while possible, full-time first)."""

    def __init__(self, agency: Agency, injection: Injection) -> None:
        self.agency = agency
        self.injection = injection
        self.ranked = agency.ranked_teams()
        self.next = 0

    def team(self, pattern: str, min_size: int = 3) -> str:
        count = len(self.ranked)
        for i in range(count):
            team = self.ranked[(self.next + i) % count]
            if len(self.agency.teams[team]) >= min_size:
                self.next = (self.next + i + 1) % count
                return team
        raise SimulationError(
            f"--inject {pattern} needs a team of {min_size} or more: use --contributors 5 or more"
        )

    def person(self, team: str, avoid: tuple[str, ...] = ()) -> str:
        used = self.injection.used
        people = self.agency.people

        def rank(c: str) -> tuple[bool, bool, bool, str]:
            full_time = people[c].profiles[0].capacity >= 40
            return (c in avoid, c in used, not full_time, c)

        chosen = min(self.agency.teams[team], key=rank)
        used.append(chosen)
        return chosen


def plan_injections(agency: Agency, patterns: tuple[str, ...]) -> Injection:
    """Choose the subjects and shape the week plans; projects, blocks and handoffs are
    applied later (`size_plans`, `inject_work`)."""
    check(patterns, agency.weeks)
    injection = Injection(patterns)
    picker = _Picker(agency, injection)
    # A fixed order, so `--inject a --inject b` and `--inject b --inject a` agree.
    for pattern in (WORKLOAD_IMBALANCE, CAPACITY_VARIANCE, BILLABLE_MIX_SHIFT):
        if pattern in patterns:
            _TEAM_INJECTIONS[pattern](agency, injection, picker, picker.team(pattern))
    if UNBILLED_CROSS_TEAM in patterns:
        _unbilled_cross_team(agency, injection, picker)
    if UTILIZATION_DRIFT in patterns:
        _utilization_drift(agency, injection, picker)
    _projects(agency, injection)
    if DECISION_GAP in patterns:
        days = Policy().decision_gap.days
        injection.subjects[DECISION_GAP] = agency.org_id
        injection.expected.append(
            Expectation(
                DECISION_GAP,
                "ops",
                "org",
                agency.org_id,
                agency.setup_at + DAY * (days + 2),
            )
        )
    return injection


def _weekly_by(agency: Agency, week: int) -> dt.datetime:
    """A week-based pattern on week `week` fires once that week is complete: with the
    first events of the next week, within its Monday."""
    return at(agency.monday(week + 1) + DAY, 0)


def _workload_imbalance(agency: Agency, injection: Injection, picker: _Picker, team: str) -> None:
    week = max(0, agency.weeks - 4)
    high, low = picker.person(team), picker.person(team)
    agency.week_plan(high, week).load = OVER_LOAD
    agency.week_plan(low, week).load = UNDER_MEMBER_LOAD
    _expect(injection, WORKLOAD_IMBALANCE, "ops", "team", team, _weekly_by(agency, week))


def _capacity_variance(agency: Agency, injection: Injection, _p: _Picker, team: str) -> None:
    week = max(0, agency.weeks - 2)
    for contributor in agency.teams[team]:
        agency.week_plan(contributor, week).load = UNDER_LOAD
    _expect(injection, CAPACITY_VARIANCE, "ops", "team", team, _weekly_by(agency, week))


def _billable_mix_shift(agency: Agency, injection: Injection, _p: _Picker, team: str) -> None:
    for contributor in agency.teams[team]:
        normal = agency.people[contributor].share
        for week in (agency.weeks - 2, agency.weeks - 1):
            plan = agency.week_plan(contributor, week)
            plan.share = max(0.0, (plan.share if plan.share is not None else normal) - MIX_DROP)
    _expect(
        injection, BILLABLE_MIX_SHIFT, "ops", "team", team, _weekly_by(agency, agency.weeks - 1)
    )


_TEAM_INJECTIONS = {
    WORKLOAD_IMBALANCE: _workload_imbalance,
    CAPACITY_VARIANCE: _capacity_variance,
    BILLABLE_MIX_SHIFT: _billable_mix_shift,
}


def _unbilled_cross_team(agency: Agency, injection: Injection, picker: _Picker) -> None:
    team = picker.team(UNBILLED_CROSS_TEAM)
    helped = next(t for t in agency.ranked_teams() if t != team)
    subject = picker.person(team)
    mates = [c for c in agency.teams[team] if c != subject]
    own = CROSS_TEAM_HOURS * 60 - CROSS_MATE_MINUTES * len(mates)
    minutes = max(CROSS_MIN_MINUTES, math.ceil(own / 15) * 15)
    for week in range(CROSS_FROM_WEEK, agency.weeks):
        agency.week_plan(subject, week).cross_minutes[helped] = minutes
        for mate in mates:
            agency.week_plan(mate, week).cross_minutes[helped] = CROSS_MATE_MINUTES
    fires_by = _weekly_by(agency, CROSS_FROM_WEEK)
    _expect(injection, UNBILLED_CROSS_TEAM, "contributor", "contributor", subject, fires_by)
    _expect(injection, UNBILLED_CROSS_TEAM, "ops", "team", team, fires_by)


def _utilization_drift(agency: Agency, injection: Injection, picker: _Picker) -> None:
    team = picker.team(UTILIZATION_DRIFT, min_size=1)
    subject = picker.person(team)
    normal = agency.people[subject].share
    for week in range(DRIFT_FROM_WEEK, agency.weeks):
        plan = agency.week_plan(subject, week)
        # Keep another injection's change (billable_mix_shift's drop) on top of the drift.
        change = plan.share - normal if plan.share is not None else 0.0
        plan.share = max(0.0, DRIFT_SHARE + change)
    window = Policy().utilization_drift.weeks
    fires_by = _weekly_by(agency, window - 1)
    _expect(injection, UTILIZATION_DRIFT, "contributor", "contributor", subject, fires_by)


def _projects(agency: Agency, injection: Injection) -> None:
    """Margin erosion takes the first time-and-materials project, budget burn the next
    one (a fixed-fee one when there is none: its capped revenue then erodes its margin
    too), blocked work the first client project neither uses."""
    clients = agency.client_projects()
    if not clients and {BUDGET_BURN, MARGIN_EROSION, BLOCKED_WORK} & set(injection.patterns):
        raise SimulationError("project injections need --projects 2 or more")
    tm = [p for p in clients if agency.projects[p].billing == TIME_AND_MATERIALS]
    ff = [p for p in clients if agency.projects[p].billing == FIXED_FEE]
    if MARGIN_EROSION in injection.patterns:
        injection.margin_project = tm[0]
        _expect(injection, MARGIN_EROSION, "ops", "project", tm[0], at(agency.start + DAY * 2, 0))
    if BUDGET_BURN in injection.patterns:
        free = [p for p in tm + ff if p != injection.margin_project]
        if not free:
            raise SimulationError(
                "--inject budget_burn with margin_erosion needs --projects 3 or more"
            )
        injection.budget_project = free[0]
        injection.subjects[BUDGET_BURN] = free[0]  # its expectation comes with its plan
    if BLOCKED_WORK in injection.patterns:
        taken = (injection.margin_project, injection.budget_project)
        project = next((p for p in clients if p not in taken), clients[0])
        week = 1 if agency.weeks >= 3 else 0
        start = at(agency.monday(week), 10)
        owner = agency.projects[project].team_id
        injection.blocked = Block(
            f"{project}-{200 + week}",
            project,
            start,
            start + DAY * BLOCKED_DAYS + dt.timedelta(hours=5),
            next((t for t in agency.teams if t != owner), None),
            "Waiting for the client's security review",
        )
        # 72 hours pass on Thursday; the evaluation before Friday's first event sees them.
        _expect(injection, BLOCKED_WORK, "ops", "project", project, start + DAY * 4)


def _expect(
    injection: Injection,
    pattern: str,
    audience: Audience,
    subject_type: SubjectType,
    subject_id: str,
    fires_by: dt.datetime,
) -> None:
    injection.expected.append(Expectation(pattern, audience, subject_type, subject_id, fires_by))
    if audience == "ops" or pattern not in injection.subjects:
        injection.subjects[pattern] = subject_id


def inject_work(agency: Agency, work: Work, injection: Injection) -> None:
    """Apply what needs the rendered work: the long block, and the late handoffs."""
    if injection.blocked is not None:
        work.blocks.append(injection.blocked)
    if HANDOFF_SLIPPAGE in injection.patterns:
        _handoff_slippage(agency, work, injection)


def _handoff_slippage(agency: Agency, work: Work, injection: Injection) -> None:
    """From the second week, the first route gets two handoffs a week, all completed
    2 to 12 hours late."""
    route = routes(agency)[0]
    since = at(agency.monday(SLIPPAGE_FROM_WEEK), 0)
    name = f"{route[0]}->{route[1]}"
    kept = [h for h in work.handoffs if h.route != name or h.requested_at < since]
    late = []
    for week in range(SLIPPAGE_FROM_WEEK, agency.weeks):
        rng = rng_for(agency.seed, "slippage", week)
        for j in range(2):
            late.append(
                handoff(agency, f"ho-{route[0]}-{route[1]}-{week:02d}-s{j}", route, week, rng, True)
            )
    work.handoffs = kept + late
    injection.route = route
    fired = route_fires_at(agency, [h for h in work.handoffs if h.route == name])
    if fired is None:  # pragma: no cover - two late handoffs a week always fire
        raise SimulationError("handoff_slippage could not be injected")
    _expect(injection, HANDOFF_SLIPPAGE, "ops", "route", name, fired + DAY)


def route_fires_at(
    agency: Agency, handoffs: list[Handoff], policy: Policy | None = None
) -> dt.datetime | None:
    """The first daily tick or completion at which the route's late share (or an open
    overdue handoff) reaches the slippage threshold, as `projections.patterns.routes`
    measures it; None if it never does."""
    p = (policy or Policy()).handoff_slippage
    window = dt.timedelta(days=p.window_days)
    moments = sorted(
        {at(agency.start + DAY * d, 0) for d in range(agency.days + 1)}
        | {h.completed_at for h in handoffs if h.completed_at is not None}
    )
    for now in moments:
        due = [h for h in handoffs if now - window < h.due_at <= now]
        late = [h for h in due if _late_at(h, now)]
        overdue = [h for h in handoffs if _open(h, now) and now > h.due_at]
        worst = max(((now - h.due_at).total_seconds() / 3600 for h in overdue), default=0.0)
        if len(due) >= p.min_due and len(late) / len(due) >= p.late_share:
            return now
        if worst >= p.overdue_hours:
            return now
    return None


def _open(h: Handoff, now: dt.datetime) -> bool:
    return h.completed_at is None or h.completed_at > now


def _late_at(h: Handoff, now: dt.datetime) -> bool:
    if _open(h, now):
        return now > h.due_at
    assert h.completed_at is not None
    return h.completed_at > h.due_at
