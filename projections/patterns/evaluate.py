"""Which subjects a batch of events may have changed, and their findings.

Week-based patterns (contributor and team) only read complete weeks, so they change when
now enters a new ISO week, or when a late event changes a week before now's week (and a
profile change can move a contributor between teams: both teams are evaluated again).
Project patterns run with the date (elapsed share, burn window) and with the project's
hours; blocked work and overdue handoffs run with the clock; decision_gap with the date
and with decisions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from projections import blocked, handoffs, projects
from projections.clock import week_start
from projections.contributor_daily import Store
from projections.contributor_weekly import ContributorWeek
from projections.fold import Touched
from projections.patterns.common import Context
from projections.patterns.contributors import contributor_findings
from projections.patterns.finding import Finding
from projections.patterns.org_patterns import decision_gap
from projections.patterns.policy import Policy
from projections.patterns.projects import blocked_work, project_findings
from projections.patterns.routes import handoff_slippage
from projections.patterns.teams import team_findings
from projections.projects import ProjectDays


@dataclass
class Scope:
    """The subjects to evaluate, per kind of pattern."""

    contributors: set[str] = field(default_factory=set)
    teams: set[str] = field(default_factory=set)
    projects: set[str] = field(default_factory=set)
    """Projects for budget_burn and margin_erosion."""
    blocked_projects: set[str] = field(default_factory=set)
    routes: set[str] = field(default_factory=set)
    org: bool = False


def scope(ctx: Context, touched: Touched | None, previous_now: dt.datetime | None) -> Scope:
    """The subjects whose inputs may have changed since `previous_now` given what the
    events folded since then touched; every subject when `touched` is None."""
    store, o = ctx.store, ctx.org_id
    full = touched is None
    new_day = previous_now is None or previous_now.date() != ctx.today
    new_week = previous_now is None or week_start(previous_now.date()) != week_start(ctx.today)
    result = Scope(org=full or new_day)
    all_projects = set(projects.projects(store, o))
    open_blocked = set(ctx.open_blocks())
    if touched is None:
        result.contributors = set(ctx.members())
        result.teams = set(ctx.all_teams())
        result.projects = all_projects
        result.blocked_projects = all_projects | open_blocked
        result.routes = set(handoffs.routes(store, o))
        return result
    clock_moved = o in touched.clock_moved or new_day
    task_projects = {
        interval.project_id
        for org_id, task in touched.tasks
        if org_id == o
        for interval in blocked.intervals(store, o, task)
    }
    if new_week:
        result.contributors = set(ctx.members())
        result.teams = set(ctx.all_teams())
    else:
        current = week_start(ctx.today).isoformat()
        result.contributors = {
            c for org_id, c, monday in touched.weeks if org_id == o and monday < current
        }
        result.teams = {t for c in result.contributors for t in ctx.teams_of(c)}
    if new_day:
        result.projects = all_projects
        result.routes = set(handoffs.routes(store, o))
    else:
        result.projects = {p for org_id, p in touched.projects if org_id == o} | task_projects
    result.blocked_projects = task_projects | (open_blocked if clock_moved else set())
    for org_id, handoff_id in touched.handoffs:
        found = handoffs.handoff(store, o, handoff_id) if org_id == o else None
        if found is not None and found.route is not None:
            result.routes.add(found.route)
    if clock_moved:
        for handoff_id in handoffs.open_handoffs(store, o):
            found = handoffs.handoff(store, o, handoff_id)
            if found is not None and found.route is not None:
                result.routes.add(found.route)
    result.org = result.org or any(org_id == o for org_id, _d in touched.decisions)
    return result


def evaluate(
    store: Store,
    org_id: str,
    policy: Policy,
    touched: Touched | None = None,
    previous_now: dt.datetime | None = None,
    project_days: ProjectDays | None = None,
    weeks_memo: dict[tuple[str, dt.date], ContributorWeek] | None = None,
) -> list[Finding]:
    """Findings of every subject of the org whose inputs may have changed (all subjects
    when `touched` is None), sorted by subject key. Reads the store, never writes it.

    `previous_now` is the org's now at the previous evaluation (None: never evaluated).
    `project_days` and `weeks_memo` are memos the caller keeps across evaluations of the
    org, invalidated for what changed (see `streams.alerting`); None reads afresh.
    """
    ctx = Context.of(store, org_id, policy, project_days, weeks_memo)
    if ctx is None:
        return []
    subjects = scope(ctx, touched, previous_now)
    findings: list[Finding] = []
    for contributor in sorted(subjects.contributors):
        findings += contributor_findings(ctx, contributor)
    for team in sorted(subjects.teams):
        findings += team_findings(ctx, team)
    for project in sorted(subjects.projects):
        findings += project_findings(ctx, project)
    for project in sorted(subjects.blocked_projects):
        findings.append(blocked_work(ctx, project))
    for route in sorted(subjects.routes):
        findings.append(handoff_slippage(ctx, route))
    if subjects.org:
        gap = decision_gap(ctx)
        if gap is not None:
            findings.append(gap)
    return sorted(findings, key=lambda f: f.subject.key())
