"""What the detectors share: one evaluation's view of the store, and graded thresholds.

A `Context` reads the projection store of one org at its event-time now and memoises what
several detectors read (contributor weeks, project days, open blocks), so one evaluation
reads each week once. It never writes the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from projections import blocked, org, reference
from projections.blocked import BlockedInterval
from projections.clock import week_start
from projections.contributor_daily import Store
from projections.contributor_weekly import ContributorWeek, week
from projections.patterns.finding import QUIET, Audience, Subject, SubjectType
from projections.patterns.policy import Policy
from projections.project_status import ProjectStatus, status
from projections.projects import ProjectDays

_WEEK = dt.timedelta(weeks=1)
_EPSILON = 1e-9


@dataclass
class Context:
    """One org's store at its event-time `now`, with memoised reads."""

    store: Store
    org_id: str
    now: dt.datetime
    policy: Policy
    project_days: ProjectDays | None = None
    """A memo of project days to read through (kept by the caller across evaluations and
    invalidated by it); None: a fresh one for this context."""
    weeks_memo: dict[tuple[str, dt.date], ContributorWeek] | None = None
    """Contributor weeks memoised by the caller across evaluations and invalidated by it
    (see `streams.alerting`); None: read once per evaluation."""
    _weeks: dict[tuple[str, dt.date], ContributorWeek] = field(init=False, default_factory=dict)
    _teams: dict[str, list[str]] | None = field(init=False, default=None)
    _statuses: dict[str, ProjectStatus | None] = field(init=False, default_factory=dict)
    _blocks: dict[str, list[BlockedInterval]] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.weeks_memo is not None:
            self._weeks = self.weeks_memo
        if self.project_days is None:
            self.project_days = ProjectDays(self.store)
        else:
            self.project_days.store = self.store

    @classmethod
    def of(
        cls,
        store: Store,
        org_id: str,
        policy: Policy,
        project_days: ProjectDays | None = None,
        weeks_memo: dict[tuple[str, dt.date], ContributorWeek] | None = None,
    ) -> Context | None:
        """The org's context, or None before its first event."""
        now = org.now(store, org_id)
        if now is None:
            return None
        return cls(store, org_id, now, policy, project_days, weeks_memo)

    @property
    def today(self) -> dt.date:
        """The org's event-time date."""
        return self.now.date()

    def complete_weeks(self, count: int, skip: int = 0) -> list[dt.date]:
        """Mondays of `count` complete ISO weeks, oldest first, ending `skip` weeks before
        the last complete week (the week before now's week)."""
        last = week_start(self.today) - _WEEK * (1 + skip)
        return [last - _WEEK * i for i in reversed(range(count))]

    def week(self, contributor_id: str, monday: dt.date) -> ContributorWeek:
        """A contributor's week, read once per evaluation."""
        key = (contributor_id, monday)
        found = self._weeks.get(key)
        if found is None:
            found = week(self.store, self.org_id, contributor_id, monday)
            self._weeks[key] = found
        return found

    def weeks(self, contributor_id: str, mondays: list[dt.date]) -> list[ContributorWeek]:
        """A contributor's weeks, in the order of `mondays`."""
        return [self.week(contributor_id, m) for m in mondays]

    def members(self) -> list[str]:
        """The org's contributors, sorted."""
        return list(org.members(self.store, self.org_id))

    def teams_of(self, contributor_id: str) -> set[str]:
        """Every team any profile version of the contributor names (past and present)."""
        history = self.store.get(reference.profile_key(self.org_id, contributor_id)) or []
        # A profile version is [effective_from, occurred_at, event_id, team_id, ...].
        return {version[3] for version in history}

    def team_candidates(self, team_id: str) -> list[str]:
        """Contributors with some profile version for the team, sorted; whether they were
        on it in a given week is read from that week."""
        if self._teams is None:
            index: dict[str, list[str]] = {}
            for contributor in self.members():
                for team in self.teams_of(contributor):
                    index.setdefault(team, []).append(contributor)
            self._teams = index
        return self._teams.get(team_id, [])

    def all_teams(self) -> list[str]:
        """Every team some contributor's profile names, sorted."""
        self.team_candidates("")
        assert self._teams is not None
        return sorted(self._teams)

    def team_weeks(self, team_id: str, monday: dt.date) -> list[ContributorWeek]:
        """The weeks of the contributors whose team that week was `team_id`."""
        found = (self.week(c, monday) for c in self.team_candidates(team_id))
        return [w for w in found if w.team_id == team_id]

    def status(self, project_id: str) -> ProjectStatus | None:
        """The project's status today under its current plan (None without a plan)."""
        if project_id not in self._statuses:
            assert self.project_days is not None  # set in __post_init__
            plan = reference.plan_at(self.store, self.org_id, project_id, self.now)
            found = None
            if plan is not None:
                days, totals = self.project_days.totals(self.org_id, project_id)
                found = status(self.org_id, plan, days, self.today, totals)
            self._statuses[project_id] = found
        return self._statuses[project_id]

    def open_blocks(self) -> dict[str, list[BlockedInterval]]:
        """Open blocks of the org's tasks, per project."""
        if self._blocks is None:
            found: dict[str, list[BlockedInterval]] = {}
            for task in blocked.open_tasks(self.store, self.org_id):
                intervals = blocked.intervals(self.store, self.org_id, task)
                if intervals and intervals[-1].ended_at is None:
                    found.setdefault(intervals[-1].project_id, []).append(intervals[-1])
            self._blocks = found
        return self._blocks

    def subject(
        self, pattern: str, audience: Audience, subject_type: SubjectType, subject_id: str
    ) -> Subject:
        """A subject of this org."""
        return Subject(self.org_id, pattern, audience, subject_type, subject_id)


@dataclass(frozen=True, slots=True)
class Bar:
    """One threshold of a pattern: the level it fires at and its hysteresis band.

    `above` bars fire at value >= threshold, others at value <= threshold (`strict`: > or
    <). Relaxed, the threshold moves by `band` towards normal.
    """

    level: int
    threshold: float
    band: float
    above: bool = True
    strict: bool = False

    def crossed(self, value: float, relaxed: bool = False) -> bool:
        """Whether `value` fires this bar (at the threshold relaxed by the band)."""
        shift = self.band if relaxed else 0.0
        # Sums of hours are floats: 0.75 - 104 / 160 is a hair under 0.10, and a value
        # exactly at a threshold must fire.
        if self.above:
            limit = self.threshold - shift
            return value > limit + _EPSILON if self.strict else value >= limit - _EPSILON
        limit = self.threshold + shift
        return value < limit - _EPSILON if self.strict else value <= limit + _EPSILON


def grade(value: float, bars: list[Bar]) -> tuple[int, int]:
    """(level, holding) of `value` against the bars: the highest level each reaches."""
    level = max((b.level for b in bars if b.crossed(value)), default=QUIET)
    holding = max((b.level for b in bars if b.crossed(value, relaxed=True)), default=QUIET)
    return level, holding


def pct(share: float) -> str:
    """A share as a whole percentage: 0.554 -> '55%'."""
    return f"{share * 100:.0f}%"


def r(value: float, digits: int = 2) -> float:
    """A figure rounded for evidence (floats sums are noisy in the last digits)."""
    return round(value, digits)


def sunday(monday: dt.date) -> dt.date:
    """The last day of the ISO week starting on `monday`."""
    return monday + dt.timedelta(days=6)


Evidence = dict[str, Any]
