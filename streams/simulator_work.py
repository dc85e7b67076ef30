"""The simulated agency's work: time entries, time off, blocked tasks and handoffs.

A normal week: each contributor logs 97-103% of their available hours (capacity over
Monday to Friday, minus time off) in 2 to 4 entries a workday, with a billable share
within a point of their normal share, so utilization, billable mix, team capacity and
member loads stay far from every threshold. Non-billable hours go to the internal project;
billable hours to the contributor's client projects in proportion to their weights.
About 5% of entries are amended later (a revision 2 that moves a quarter hour or fixes the
task) and about 1% are logged twice by mistake, the copy deleted within a day, before
its week is complete. Tasks are blocked for a few hours to two days, never over a weekend;
handoffs between teams are mostly on time, and a late one is kept only when its route
stays under the slippage threshold.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

from projections.patterns.policy import Policy
from streams.simulator_model import (
    DAY,
    INTERNAL,
    WORKDAYS,
    Agency,
    Person,
    WeekPlan,
    at,
    rng_for,
)

UNIT = 15
"""Minutes: entries are logged in quarter hours."""

BLOCK_REASONS = (
    "Waiting for client feedback on the copy",
    "Waiting for API credentials from the client",
    "Waiting for design sign-off",
    "Staging environment down",
    "Waiting for legal review of the terms",
    "Waiting for the data export",
)


@dataclass(frozen=True, slots=True)
class Amendment:
    """A revision 2 of an entry, published at `at`."""

    at: dt.datetime
    minutes: int
    task_id: str


@dataclass(slots=True)
class Entry:
    """A time entry with its later amendment or, for a mistaken copy, its deletion."""

    entry_id: str
    contributor_id: str
    project_id: str
    task_id: str
    work_date: dt.date
    minutes: int
    billable: bool
    for_team_id: str | None
    logged_at: dt.datetime
    amendment: Amendment | None = None
    deleted_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class TimeOff:
    """A `contributor.time_off`; hours None is a full workday."""

    contributor_id: str
    date: dt.date
    hours: float | None
    announced_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Block:
    """A task blocked from `started_at` to `ended_at` (None: still blocked at the end)."""

    task_id: str
    project_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    blocked_by_team_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Handoff:
    """A handoff from request to completion (None: still open at the end)."""

    handoff_id: str
    project_id: str
    task_id: str
    from_team_id: str
    to_team_id: str
    requested_at: dt.datetime
    due_at: dt.datetime
    accepted_at: dt.datetime
    completed_at: dt.datetime | None

    @property
    def route(self) -> str:
        """`FROM->TO`."""
        return f"{self.from_team_id}->{self.to_team_id}"

    @property
    def late(self) -> bool:
        """Completed after due, or never completed."""
        return self.completed_at is None or self.completed_at > self.due_at


@dataclass(slots=True)
class Work:
    """Everything the agency did, before it becomes events."""

    entries: list[Entry] = field(default_factory=list)
    time_off: list[TimeOff] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    handoffs: list[Handoff] = field(default_factory=list)


def render(agency: Agency) -> Work:
    """The agency's work over its weeks, following the week plans."""
    work = Work()
    for week in range(agency.weeks):
        for person in agency.people.values():
            rng = rng_for(agency.seed, "week", person.contributor_id, week)
            plan = agency.plans.get((person.contributor_id, week), WeekPlan())
            off = [] if plan.perturbed else _time_off(agency, person, week, rng)
            work.time_off += off
            entries = _week_entries(agency, person, week, plan, off, rng)
            if not plan.perturbed:
                entries = _slips(agency, entries, rng)
            work.entries += entries
        work.blocks += _blocks(agency, week)
    work.handoffs = baseline_handoffs(agency)
    return work


def split(total: int, weights: list[float]) -> list[int]:
    """`total` units shared in proportion to `weights` (largest remainders first): no
    share exceeds the ceiling of its exact part, and zero weights get nothing."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    exact = [total * w / whole for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _time_off(agency: Agency, person: Person, week: int, rng: random.Random) -> list[TimeOff]:
    """Now and then a day off, two days, or a half day; announced ahead or on the day."""
    draw = rng.random()
    monday = agency.monday(week)
    first = rng.randrange(WORKDAYS - 1)
    if draw < 0.06:
        days, hours = [first], None
    elif draw < 0.08:
        days, hours = [first, first + 1], None
    elif draw < 0.11:
        days, hours = [first], person.profile_on(monday).capacity / WORKDAYS / 2
    else:
        return []
    found = []
    for d in days:
        day = monday + DAY * d
        if rng.random() < 0.7:
            announced = at(day - DAY * rng.randint(3, 20), 9, rng.randrange(60))
        else:
            announced = at(day, 7, rng.randrange(60))
        found.append(TimeOff(person.contributor_id, day, hours, max(announced, agency.setup_at)))
    return found


def _week_entries(
    agency: Agency,
    person: Person,
    week: int,
    plan: WeekPlan,
    off: list[TimeOff],
    rng: random.Random,
) -> list[Entry]:
    monday = agency.monday(week)
    days = [monday + DAY * i for i in range(WORKDAYS)]
    off_hours = {t.date: t.hours for t in off}
    caps = []
    for day in days:
        daily = person.profile_on(day).capacity / WORKDAYS
        away = (off_hours[day] or daily) if day in off_hours else 0.0
        caps.append(max(0.0, daily - away))
    available = sum(caps) * 60 / UNIT
    if available <= 0:
        return []
    load = plan.load if plan.load is not None else rng.uniform(0.97, 1.03)
    share = plan.share if plan.share is not None else person.share + rng.uniform(-0.01, 0.01)
    total = round(available * load)
    cross = {team: min(m // UNIT, total) for team, m in sorted(plan.cross_minutes.items())}
    # Non-billable work for other teams replaces internal time first, billable time after.
    billable = max(0, min(round(total * share), total - sum(cross.values())))
    per_day = split(total, [c * rng.uniform(0.9, 1.1) for c in caps])
    billable_days = split(billable, [float(u) for u in per_day])
    rest = [u - b for u, b in zip(per_day, billable_days, strict=True)]
    cross_days: dict[str, list[int]] = {}
    for team, units in cross.items():
        cross_days[team] = split(units, [float(r) for r in rest])
        rest = [r - c for r, c in zip(rest, cross_days[team], strict=True)]
    entries: list[Entry] = []
    for i, day in enumerate(days):
        logged = at(day, 16, 30)
        parts = _billable_parts(person, billable_days[i], rng)
        parts += [(INTERNAL, rest[i], False, None)]
        parts += [(INTERNAL, c[i], False, team) for team, c in cross_days.items()]
        for project, units, is_billable, for_team in parts:
            if units <= 0:
                continue
            owner = agency.projects[project].team_id
            entries.append(
                Entry(
                    f"te-{person.contributor_id}-{week:02d}-{len(entries):02d}",
                    person.contributor_id,
                    project,
                    _task(project, week, rng),
                    day,
                    units * UNIT,
                    is_billable,
                    for_team if for_team else owner,
                    logged + dt.timedelta(minutes=rng.randrange(150) + len(entries)),
                )
            )
    return entries


def _billable_parts(
    person: Person, units: int, rng: random.Random
) -> list[tuple[str, int, bool, str | None]]:
    """A day's billable units over the person's projects: one entry per project, the main
    one sometimes in two (two tasks)."""
    if units <= 0 or not person.projects:
        return []
    shares = split(units, [w for _p, w in person.projects])
    parts: list[tuple[str, int, bool, str | None]] = []
    for (project, _w), share in zip(person.projects, shares, strict=True):
        if share >= 16 and len(person.projects) == 1 and rng.random() < 0.5:
            first = share // 2
            parts += [(project, first, True, None), (project, share - first, True, None)]
        else:
            parts.append((project, share, True, None))
    return parts


def _task(project: str, week: int, rng: random.Random) -> str:
    return f"{project}-{rng.randint(1, 12) + 4 * week}"


def _slips(agency: Agency, entries: list[Entry], rng: random.Random) -> list[Entry]:
    """Amend about 5% of the entries later, and log about 1% twice by mistake (the copy
    is deleted within a day, so it never reaches a complete week)."""
    found: list[Entry] = []
    for entry in entries:
        found.append(entry)
        draw = rng.random()
        if draw < 0.05:
            when = entry.logged_at + dt.timedelta(hours=rng.uniform(14, 60))
            if when < agency.end_at:
                minutes = entry.minutes + rng.choice((-UNIT, UNIT))
                fixed = rng.random() < 0.5
                entry.amendment = Amendment(
                    when,
                    entry.minutes if fixed or minutes < UNIT else minutes,
                    f"{entry.project_id}-{rng.randint(1, 12) + 4 * _week_of(agency, entry)}"
                    if fixed
                    else entry.task_id,
                )
        elif draw < 0.06:
            gone = entry.logged_at + dt.timedelta(hours=rng.uniform(1, 26))
            if gone < agency.end_at:
                copy = replace(
                    entry,
                    entry_id=f"{entry.entry_id}-x",
                    logged_at=entry.logged_at + dt.timedelta(minutes=1),
                    deleted_at=gone,
                )
                found.append(copy)
    return found


def _week_of(agency: Agency, entry: Entry) -> int:
    return (entry.work_date - agency.start).days // 7


def _blocks(agency: Agency, week: int) -> list[Block]:
    """About one client project in five has a task blocked for a few hours to two days in
    a week, started Monday to Thursday and cleared by Friday evening."""
    found = []
    monday = agency.monday(week)
    for project in agency.client_projects():
        rng = rng_for(agency.seed, "blocks", project, week)
        if rng.random() >= 0.2:
            continue
        start = at(monday + DAY * rng.randint(0, 3), rng.randint(9, 14), rng.randrange(60))
        end = min(start + dt.timedelta(hours=rng.uniform(3, 40)), at(monday + DAY * 4, 17, 30))
        owner = agency.projects[project].team_id
        others = [t for t in agency.teams if t != owner]
        by = rng.choice(others) if others and rng.random() < 0.5 else None
        found.append(
            Block(
                _task(project, week, rng),
                project,
                start,
                max(end, start + dt.timedelta(hours=1)),
                by,
                rng.choice(BLOCK_REASONS),
            )
        )
    return found


def routes(agency: Agency) -> list[tuple[str, str]]:
    """The routes work passes along: each team hands over to the next one."""
    teams = list(agency.teams)
    return [(teams[i], teams[(i + 1) % len(teams)]) for i in range(len(teams))]


def route_project(agency: Agency, from_team: str, to_team: str) -> str:
    """The project a route's handoffs belong to: one the sending team owns, else one the
    receiving team owns, else any client project (the internal one when there is none)."""
    clients = agency.client_projects()
    for team in (from_team, to_team):
        owned = [p for p in clients if agency.projects[p].team_id == team]
        if owned:
            return owned[0]
    return clients[0] if clients else INTERNAL


def handoff(
    agency: Agency,
    handoff_id: str,
    route: tuple[str, str],
    week: int,
    rng: random.Random,
    late: bool,
) -> Handoff:
    """A handoff requested Monday to Wednesday, due two days later at 17:00; completed
    3 to 30 hours early, or `late` 2 to 12 hours after its due time."""
    day = agency.monday(week) + DAY * rng.randint(0, 2)
    requested = at(day, rng.randint(9, 15), rng.randrange(60))
    due = at(day + DAY * 2, 17)
    accepted = requested + dt.timedelta(hours=rng.uniform(1, 6))
    if late:
        done = due + dt.timedelta(hours=rng.uniform(2, 12))
    else:
        done = max(due - dt.timedelta(hours=rng.uniform(3, 30)), accepted + dt.timedelta(hours=1))
    project = route_project(agency, *route)
    return Handoff(
        handoff_id, project, _task(project, week, rng), *route, requested, due, accepted, done
    )


def baseline_handoffs(agency: Agency) -> list[Handoff]:
    """Zero to two handoffs a week on each route, about one in ten late, but only where
    the whole route stays quiet (`route_may_fire`): a late one that would tip a window is
    completed on time instead."""
    found: list[Handoff] = []
    for route in routes(agency):
        on_route: list[Handoff] = []
        late: list[tuple[int, Handoff]] = []
        for week in range(agency.weeks):
            rng = rng_for(agency.seed, "handoffs", *route, week)
            for j in range(rng.choice((0, 1, 1, 2))):
                handoff_id = f"ho-{route[0]}-{route[1]}-{week:02d}-{j}"
                h = handoff(agency, handoff_id, route, week, rng, rng.random() < 0.1)
                if h.late:
                    late.append((len(on_route), h))
                    h = replace(h, completed_at=h.due_at - dt.timedelta(hours=4))
                on_route.append(h)
        for i, h in late:
            trial = [*on_route[:i], h, *on_route[i + 1 :]]
            if not route_may_fire(trial):
                on_route = trial
        found += on_route
    return found


def route_may_fire(handoffs: list[Handoff], policy: Policy | None = None) -> bool:
    """Whether some 28-day window of due times could reach the late share (counting each
    late handoff as late from its due time on, which can only overstate it)."""
    p = (policy or Policy()).handoff_slippage
    window = dt.timedelta(days=p.window_days)
    moments = [h.due_at for h in handoffs] + [
        h.due_at + window + dt.timedelta(seconds=1) for h in handoffs
    ]
    for now in moments:
        due = [h for h in handoffs if now - window < h.due_at <= now]
        late = sum(1 for h in due if h.late)
        if len(due) >= p.min_due and late / len(due) >= p.late_share - 0.02:
            return True
    return False
