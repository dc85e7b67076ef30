"""The simulated agency behind `worksignals simulate`: people, teams, projects, calendar.

An agency is built from a seed: teams of 4 to 6 contributors (at least 2 teams), each
contributor with a capacity, a target utilization and a cost rate; client projects of each
billing model owned by the teams, and one internal non-billable project; and who works on
what. Week plans say how one contributor's week departs from a normal one (how much they
log, their billable share, non-billable work for other teams). Injections edit them
(`streams.simulator_inject`) before the work is rendered (`streams.simulator_work`).

Randomness comes from generators seeded with the seed and a name (`rng_for`), one per
concern and per contributor-week, so perturbing one week leaves every other one as it was.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)
WORKDAYS = 5
INTERNAL = "internal"
"""The id of the internal, non-billable project (meetings, training, pitches)."""

TIME_AND_MATERIALS = "time_and_materials"
FIXED_FEE = "fixed_fee"
NON_BILLABLE = "non_billable"
BILLING_CYCLE = (TIME_AND_MATERIALS, FIXED_FEE, TIME_AND_MATERIALS)
"""Billing models of client projects 1, 2, 3, 4, ... in turn."""

FIRST_NAMES = (
    "ana", "ben", "cleo", "dev", "eli", "fay", "gus", "hana", "ines", "jon", "kai", "lea",
    "milo", "nora", "omar", "pia", "quinn", "rosa", "sami", "tess", "uma", "vic", "wren",
    "xavi", "yara", "zoe", "arlo", "bea", "cruz", "dina", "emil", "flor", "gil", "hugo",
    "ida", "jude", "kira", "luca", "maya", "nils",
)  # fmt: skip
TEAM_NAMES = (
    "design", "engineering", "content", "data", "strategy", "mobile", "qa", "growth",
    "platform", "research",
)  # fmt: skip
CLIENTS = (
    "northwind", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "soylent",
    "tyrell", "cyberdyne", "wonka", "oscorp", "vandelay", "monarch", "aperture", "dunder",
)  # fmt: skip
WORKS = {
    "web": "website relaunch",
    "app": "mobile app",
    "brand": "brand refresh",
    "data": "data platform",
    "shop": "online shop",
    "crm": "CRM rollout",
}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """The UTC moment `hour:minute` on `day`."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def rng_for(seed: int, *names: object) -> random.Random:
    """A generator for one concern of one run: the same seed and names give the same
    numbers, whatever else the run draws."""
    return random.Random(":".join(str(n) for n in (seed, *names)))  # noqa: S311 - not a secret


@dataclass(frozen=True, slots=True)
class Profile:
    """One `contributor.profiled`: valid from `effective_from`, published at `announced_at`."""

    effective_from: dt.date
    team_id: str
    capacity: float
    target: float
    cost_rate: float
    announced_at: dt.datetime


@dataclass(slots=True)
class Person:
    """A contributor: profile history, normal billable share, and the client projects they
    bill to with their weights (the first is their main project)."""

    contributor_id: str
    team_id: str
    share: float
    """Billable share of logged hours in a normal week: a little above the target, so a
    contributor who logs their available hours meets it."""
    profiles: list[Profile]
    projects: list[tuple[str, float]]

    def profile_on(self, day: dt.date) -> Profile:
        """The profile valid on `day`."""
        found = self.profiles[0]
        for profile in self.profiles:
            if profile.effective_from <= day:
                found = profile
        return found


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """One `project.planned`: a plan, or a re-plan from `announced_at`."""

    announced_at: dt.datetime
    planned_hours: float
    start_date: dt.date
    end_date: dt.date
    bill_rate: float | None = None
    fixed_fee: float | None = None


@dataclass(slots=True)
class Project:
    """A project; its plan versions are sized once the work is known."""

    project_id: str
    name: str
    billing: str
    team_id: str | None
    target_margin: float
    plans: list[PlanVersion] = field(default_factory=list)


@dataclass(slots=True)
class WeekPlan:
    """How one contributor's week departs from normal; None keeps the normal value."""

    load: float | None = None
    """Logged over available hours (normal: 97-103%)."""
    share: float | None = None
    """Billable share of logged hours (normal: the person's share, +-1 point)."""
    cross_minutes: dict[str, int] = field(default_factory=dict)
    """Non-billable minutes logged for other teams, per team (taken from internal time)."""

    @property
    def perturbed(self) -> bool:
        """True when an injection shaped this week: it gets no time off, amendments or
        mistaken entries, so the injected figures are exactly as documented."""
        return self.load is not None or self.share is not None or bool(self.cross_minutes)


@dataclass(slots=True)
class Agency:
    """Everything the simulation knows about the org before any work is rendered."""

    org_id: str
    seed: int
    start: dt.date
    weeks: int
    people: dict[str, Person]
    teams: dict[str, list[str]]
    projects: dict[str, Project]
    plans: dict[tuple[str, int], WeekPlan] = field(default_factory=dict)

    def monday(self, week: int) -> dt.date:
        """The Monday of week `week` (0 is the first)."""
        return self.start + WEEK * week

    @property
    def end(self) -> dt.date:
        """The Monday after the last week: the date of the final clock tick."""
        return self.monday(self.weeks)

    @property
    def end_at(self) -> dt.datetime:
        """The final clock tick; every other event comes before it."""
        return at(self.end, 0)

    @property
    def setup_at(self) -> dt.datetime:
        """When profiles and plans are published: the org's first event."""
        return at(self.start, 7)

    @property
    def days(self) -> int:
        """Calendar days simulated."""
        return 7 * self.weeks

    def week_plan(self, contributor_id: str, week: int) -> WeekPlan:
        """The contributor's plan for a week, created normal on first use."""
        return self.plans.setdefault((contributor_id, week), WeekPlan())

    def client_projects(self) -> list[str]:
        """Client project ids in creation order."""
        return [p for p in self.projects if p != INTERNAL]

    def ranked_teams(self) -> list[str]:
        """Teams, largest first (ties by name)."""
        return sorted(self.teams, key=lambda t: (-len(self.teams[t]), t))


def build_agency(
    org_id: str, seed: int, contributors: int, projects: int, weeks: int, start: dt.date
) -> Agency:
    """A healthy agency: its teams, people, projects and assignments (no plans yet)."""
    rng = rng_for(seed, "agency")
    teams = _teams(rng, contributors)
    people = _people(rng, teams, start)
    agency = Agency(org_id, seed, start, weeks, people, teams, _projects(rng, projects, teams))
    _assign(rng, agency)
    return agency


def _teams(rng: random.Random, contributors: int) -> dict[str, list[str]]:
    count = max(2, round(contributors / 5))
    names = rng.sample(TEAM_NAMES, len(TEAM_NAMES))
    team_ids = [
        names[i % len(names)] + ("" if i < len(names) else f"-{i // len(names) + 1}")
        for i in range(count)
    ]
    first = rng.sample(FIRST_NAMES, len(FIRST_NAMES))
    ids = [
        first[i % len(first)] + ("" if i < len(first) else str(i // len(first) + 1))
        for i in range(contributors)
    ]
    rng.shuffle(ids)
    teams: dict[str, list[str]] = {t: [] for t in team_ids}
    for i, contributor in enumerate(ids):
        teams[team_ids[i % count]].append(contributor)
    return {t: sorted(members) for t, members in teams.items()}


def _people(rng: random.Random, teams: dict[str, list[str]], start: dt.date) -> dict[str, Person]:
    people: dict[str, Person] = {}
    setup = at(start, 7)
    for team, members in teams.items():
        for contributor in members:
            capacity = rng.choice((24.0, 32.0)) if rng.random() < 0.15 else 40.0
            target = rng.choice((0.70, 0.75, 0.75, 0.80, 0.80, 0.85))
            seniority = rng.random()
            cost = round(35 + 60 * seniority * seniority, 1)
            profile = Profile(start, team, capacity, target, cost, setup)
            people[contributor] = Person(
                contributor, team, round(min(0.95, target + 0.03), 4), [profile], []
            )
    return dict(sorted(people.items()))


def _projects(rng: random.Random, count: int, teams: dict[str, list[str]]) -> dict[str, Project]:
    found = {
        INTERNAL: Project(
            INTERNAL, "Internal: operations, training and pitches", NON_BILLABLE, None, 0.0
        )
    }
    clients = rng.sample(CLIENTS, len(CLIENTS))
    works = list(WORKS)
    team_ids = list(teams)
    for j in range(1, count):
        client = clients[(j - 1) % len(clients)]
        work = works[rng.randrange(len(works))]
        suffix = "" if j <= len(clients) else f"-{(j - 1) // len(clients) + 1}"
        project_id = f"{client}-{work}{suffix}"
        while project_id in found:
            project_id += "-b"
        found[project_id] = Project(
            project_id,
            f"{client.title()} {WORKS[work]}",
            BILLING_CYCLE[(j - 1) % len(BILLING_CYCLE)],
            team_ids[(j - 1) % len(team_ids)],
            rng.choice((0.25, 0.30, 0.35)),
        )
    return found


def _assign(rng: random.Random, agency: Agency) -> None:
    """Each contributor bills to a main project of their team (another team's when theirs
    owns none) and, now and then, a second one, sometimes another team's (billable
    cross-team work); every client project gets somebody."""
    clients = agency.client_projects()
    if not clients:
        return
    for t, (team, members) in enumerate(agency.teams.items()):
        own = [p for p in clients if agency.projects[p].team_id == team]
        others = [p for p in clients if p not in own]
        for k, contributor in enumerate(members):
            person = agency.people[contributor]
            main = own[k % len(own)] if own else clients[(t + k) % len(clients)]
            person.projects = [(main, 1.0)]
            if rng.random() < 0.35:
                pool = others if others and rng.random() < 0.3 else own
                pool = [p for p in pool if p != main]
                if pool:
                    person.projects.append((rng.choice(pool), round(rng.uniform(0.15, 0.35), 2)))
    staffed = {p for person in agency.people.values() for p, _w in person.projects}
    for project in clients:
        if project not in staffed:
            owner = agency.projects[project].team_id
            pool = agency.teams.get(owner or "", []) or list(agency.people)
            person = min((agency.people[c] for c in pool), key=lambda p: len(p.projects))
            person.projects.append((project, 0.3))


def reprofile(agency: Agency, avoid: list[str]) -> None:
    """A re-profile or two mid-way, announced the Friday before they take effect: a 6%
    raise in the middle week and, in agencies of 8 or more over 4 weeks or more, a move
    from 40 to 32 hours a week (or back to 40) two thirds in. Contributors whose weeks an
    injection shapes are left alone."""
    if agency.weeks < 2:
        return
    rng = rng_for(agency.seed, "reprofile")
    free = [c for c in agency.people if c not in avoid]
    rng.shuffle(free)
    changes: list[tuple[str, int]] = []
    if free:
        changes.append((free[0], agency.weeks // 2))
    if len(free) > 1 and len(agency.people) >= 8 and agency.weeks >= 4:
        changes.append((free[1], 2 * agency.weeks // 3))
    for n, (contributor, week) in enumerate(changes):
        person = agency.people[contributor]
        now = person.profiles[-1]
        monday = agency.monday(week)
        if n == 0:
            cost, capacity = round(now.cost_rate * 1.06, 1), now.capacity
        else:
            cost, capacity = now.cost_rate, 32.0 if now.capacity >= 40 else 40.0
        person.profiles.append(
            Profile(monday, now.team_id, capacity, now.target, cost, at(monday - DAY * 3, 10))
        )
