"""Per-project figures from the contributor days: hours, cost and revenue per day and week.

The store keeps, per project and work_date, the contributors who ever logged an entry on
the project that day (a grow-only set, so the same events in any order give the same
index). A project day's figures are read from those contributors' day records, so an
amendment that moves an entry to another project or day is reflected without bookkeeping.

Cost is each hour at its contributor's cost_rate valid on the work_date (hours of a
contributor without a cost_rate then are counted as uncosted). A week's earned revenue is
what the week adds to the revenue earned to date under the plan valid at the end of the
week: billable hours x bill_rate for time_and_materials; for fixed_fee, the fee x the
growth of min(1, consumed / planned hours) over the week; nothing for non_billable.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from events.models import TimeLogged
from projections import reference
from projections.clock import week_start
from projections.contributor_daily import Store, summarize
from projections.project_status import DayTotals, ProjectDay, date_bounds, earned_revenue
from projections.store import sync_member

_WEEK = dt.timedelta(weeks=1)


def projects_key(org_id: str) -> str:
    """Store key of the org's projects (planned or with time logged)."""
    return f"projects|{org_id}"


def dates_key(org_id: str, project_id: str) -> str:
    """Store key of the work_dates a project ever had time logged on."""
    return f"pdates|{org_id}|{project_id}"


def day_contributors_key(org_id: str, project_id: str, work_date: str) -> str:
    """Store key of the contributors who ever logged time on a project on a work_date."""
    return f"pday|{org_id}|{project_id}|{work_date}"


def add_project(store: Store, org_id: str, project_id: str) -> None:
    """Remember a project of the org (idempotent)."""
    sync_member(store, projects_key(org_id), project_id, True)


def apply_time(store: Store, event: TimeLogged) -> None:
    """Index the (project, work_date, contributor) an entry names (idempotent)."""
    day = event.work_date.isoformat()
    add_project(store, event.org_id, event.project_id)
    sync_member(store, dates_key(event.org_id, event.project_id), day, True)
    sync_member(
        store, day_contributors_key(event.org_id, event.project_id, day), event.contributor_id, True
    )


def projects(store: Store, org_id: str) -> list[str]:
    """The org's projects, sorted."""
    return list(store.get(projects_key(org_id)) or [])


@dataclass(frozen=True, slots=True)
class ProjectWeek:
    """A project's figures for the ISO week starting on `week_start`."""

    org_id: str
    project_id: str
    week_start: dt.date
    billing: str
    currency: str
    hours: float
    billable_hours: float
    contributors: int
    earned_revenue: float
    cost: float
    uncosted_hours: float
    computed_at: dt.datetime
    """Event time of the latest change of the project's entries in the week (its Monday
    when none)."""

    @property
    def non_billable_hours(self) -> float:
        """Hours minus billable hours."""
        return self.hours - self.billable_hours


_Part = tuple[int, int, float | None, float, str]
"""A contributor's part of a project day: minutes, billable minutes, cost (None without a
cost rate that day), hours (uncosted when cost is None), latest change (ISO)."""

PARTS_DAYS = 62
"""Work_dates, back from the latest, whose contributor parts stay memoised."""


@dataclass(frozen=True, slots=True)
class _Memo:
    figures: ProjectDay
    contributors: tuple[str, ...]
    """Contributors with hours on the project that day (a tuple: a few names each, and a
    frozenset of them took several times the memory over 66,000 memoised days)."""
    latest: dt.datetime | None
    """Event time of the latest change of the project's entries on the day."""


@dataclass(slots=True)
class _Listed:
    """A project's days as last listed: each date's position, and each figure as a column
    of floats, so its sum costs one `math.fsum` (exact, whatever way the list was built)."""

    days: list[ProjectDay]
    index: dict[str, int]
    columns: tuple[list[float], list[float], list[float], list[float]]
    _sums: DayTotals | None = None

    @classmethod
    def of(cls, days: list[ProjectDay], index: dict[str, int]) -> _Listed:
        """The listing of `days` (oldest first) at `index`."""
        return cls(days, index, _columns(days))

    def extended(self, dates: list[str], added: list[ProjectDay]) -> _Listed:
        """A new listing with `added` (on `dates`, all after the last one) at the end."""
        start = len(self.days)
        more = _columns(added)
        return _Listed(
            [*self.days, *added],
            {**self.index, **{d: start + i for i, d in enumerate(dates)}},
            (
                self.columns[0] + more[0],
                self.columns[1] + more[1],
                self.columns[2] + more[2],
                self.columns[3] + more[3],
            ),
        )

    def patched(self, changes: dict[int, ProjectDay]) -> _Listed:
        """A new listing with the days at the given positions replaced."""
        days = list(self.days)
        hours, billable, cost, uncosted = (list(column) for column in self.columns)
        for i, day in changes.items():
            days[i] = day
            hours[i], billable[i] = day.hours, day.billable_hours
            cost[i], uncosted[i] = day.cost, day.uncosted_hours
        return _Listed(days, self.index, (hours, billable, cost, uncosted))

    def sums(self) -> DayTotals:
        """The totals of the listed days."""
        if self._sums is None:
            self._sums = DayTotals(*(math.fsum(column) for column in self.columns))
        return self._sums


def _columns(
    days: list[ProjectDay],
) -> tuple[list[float], list[float], list[float], list[float]]:
    return (
        [d.hours for d in days],
        [d.billable_hours for d in days],
        [d.cost for d in days],
        [d.uncosted_hours for d in days],
    )


class ProjectDays:
    """Reads project days from a store, memoising each (org, project, work_date).

    The memo belongs to one reader (the worker's projector or a rebuild); `forget_days`
    and `forget_costs` drop what a change of contributor days or profiles made stale, project
    by project, so a batch recomputes only the project days its entries are on.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._memo: dict[tuple[str, str], dict[str, _Memo]] = {}
        self._days: dict[tuple[str, str], _Listed] = {}
        """Per (org, project): its days as last listed. A project's status reads every day
        it ever had, at every evaluation."""
        self._dirty: dict[tuple[str, str], set[str]] = {}
        """Per (org, project): the dates of its listed days whose figures were dropped."""
        self._parts: dict[tuple[str, str], dict[str, dict[str, _Part]]] = {}
        """Per (org, work_date), per contributor: their part of each project's figures,
        so a changed contributor day is read once, not once per project on that day."""
        self._latest: dict[str, str] = {}
        """Per org, the latest work_date whose parts were read (for pruning)."""

    def forget_days(self, days: Iterable[tuple[str, str, str]]) -> None:
        """Drop what changed contributor days (org_id, contributor_id, work_date ISO) made
        stale: the figures of the projects the contributor has entries on that day now,
        and of those they had hours on before."""
        for org_id, contributor_id, work_date in days:
            parts = self._parts.get((org_id, work_date))
            old = parts.pop(contributor_id, None) if parts else None
            memo = self._memo.get((org_id, work_date))
            if not memo:
                continue
            # A day's figures list a contributor only through their memoised parts, so those
            # name every project whose figures list them; without parts (pruned), the
            # figures are searched (a scan of every project's contributors that day).
            if old is not None:
                stale = set(old)
            else:
                stale = {p for p, m in memo.items() if contributor_id in m.contributors}
            stale |= summarize(self.store, (org_id, contributor_id, work_date)).projects.keys()
            for project_id in stale:
                if memo.pop(project_id, None) is not None and (org_id, project_id) in self._days:
                    self._dirty.setdefault((org_id, project_id), set()).add(work_date)

    def forget_costs(self, org_id: str, contributor_id: str, since: dt.date) -> None:
        """Drop what a new profile of a contributor, valid from `since`, made stale: their
        parts of the days from `since` on, and those days' figures of the projects they
        had hours on (cost rates apply by date)."""
        first = since.isoformat()
        for (o, iso), parts in self._parts.items():
            if o == org_id and iso >= first:
                parts.pop(contributor_id, None)
        for (o, iso), memo in self._memo.items():
            if o != org_id or iso < first:
                continue
            for project_id in [p for p, m in memo.items() if contributor_id in m.contributors]:
                del memo[project_id]
                if (o, project_id) in self._days:
                    self._dirty.setdefault((o, project_id), set()).add(iso)

    def clear(self) -> None:
        """Drop the whole memo."""
        self._memo.clear()
        self._days.clear()
        self._dirty.clear()
        self._parts.clear()
        self._latest.clear()

    def day(self, org_id: str, project_id: str, work_date: dt.date) -> tuple[ProjectDay, int]:
        """The project's figures on a work_date and how many contributors had hours on it."""
        iso = work_date.isoformat()
        by_project = self._memo.setdefault((org_id, iso), {})
        found = by_project.get(project_id)
        if found is None:
            found = self._compute(org_id, project_id, work_date)
            by_project[project_id] = found
        return found.figures, len(found.contributors)

    def totals(self, org_id: str, project_id: str) -> tuple[list[ProjectDay], DayTotals]:
        """The project's days (as `days`) and their sums."""
        self.days(org_id, project_id)
        listed = self._days[(org_id, project_id)]
        return listed.days, listed.sums()

    def days(self, org_id: str, project_id: str) -> list[ProjectDay]:
        """Every day the project ever had time logged on, oldest first (do not modify)."""
        key = (org_id, project_id)
        stored: list[str] = self.store.get(dates_key(org_id, project_id)) or []
        listed = self._days.get(key)
        dirty = self._dirty.pop(key, set())
        # The dates index only grows and stays sorted, so its length tells whether a date
        # was added, and when the last date listed before is still at its place, the new
        # dates all came after it.
        if listed is not None and listed.days and len(listed.days) < len(stored):
            count = len(listed.days)
            if stored[count - 1] == listed.days[-1].work_date.isoformat():
                listed = listed.extended(
                    stored[count:],
                    [
                        self.day(org_id, project_id, dt.date.fromisoformat(d))[0]
                        for d in stored[count:]
                    ],
                )
                self._days[key] = listed
        if listed is not None and len(listed.days) == len(stored):
            if not dirty:
                return listed.days
            if all(d in listed.index for d in dirty):
                listed = listed.patched(
                    {
                        listed.index[d]: self.day(org_id, project_id, dt.date.fromisoformat(d))[0]
                        for d in dirty
                    }
                )
                self._days[key] = listed
                return listed.days
        # Listed again (a date was added before the last one listed): the days still
        # listed and not dropped since are current, the others are read.
        known, known_days = (listed.index, listed.days) if listed is not None else ({}, [])
        found = []
        for d in stored:
            at = known.get(d)
            if at is None or d in dirty:
                found.append(self.day(org_id, project_id, dt.date.fromisoformat(d))[0])
            else:
                found.append(known_days[at])
        self._days[key] = _Listed.of(found, {d: i for i, d in enumerate(stored)})
        return found

    def _compute(self, org_id: str, project_id: str, work_date: dt.date) -> _Memo:
        iso = work_date.isoformat()
        minutes = billable = 0
        cost = uncosted = 0.0
        present: list[str] = []
        latest = ""
        for contributor in self.store.get(day_contributors_key(org_id, project_id, iso)) or []:
            part = self._contributor_parts(org_id, contributor, work_date).get(project_id)
            if part is None:
                continue
            own, own_billable, own_cost, own_uncosted, changed_at = part
            latest = max(latest, changed_at)
            present.append(contributor)  # the index is sorted and has each once
            minutes += own
            billable += own_billable
            if own_cost is None:
                uncosted += own_uncosted
            else:
                cost += own_cost
        return _Memo(
            ProjectDay(work_date, minutes / 60, billable / 60, cost, uncosted),
            tuple(present),
            dt.datetime.fromisoformat(latest) if latest else None,
        )

    def _contributor_parts(
        self, org_id: str, contributor_id: str, work_date: dt.date
    ) -> dict[str, _Part]:
        """The contributor's part of each project's figures on the day (memoised)."""
        iso = work_date.isoformat()
        by_contributor = self._parts.get((org_id, iso))
        if by_contributor is None:
            by_contributor = self._parts[(org_id, iso)] = {}
            self._prune(org_id, iso)
        found = by_contributor.get(contributor_id)
        if found is not None:
            return found
        by_project = summarize(self.store, (org_id, contributor_id, iso)).projects
        profile = reference.profile_at(self.store, org_id, contributor_id, work_date)
        rate = profile.cost_rate if profile is not None else None
        found = {}
        for project_id, (own, own_billable, changed) in by_project.items():
            found[project_id] = (
                own,
                own_billable,
                None if rate is None else own / 60 * rate,
                own / 60,
                changed,
            )
        by_contributor[contributor_id] = found
        return found

    def _prune(self, org_id: str, iso: str) -> None:
        """Keep parts of the last PARTS_DAYS work_dates of the org: older days are rarely
        changed again, and are read from the store when they are."""
        if iso <= self._latest.get(org_id, ""):
            return
        self._latest[org_id] = iso
        oldest = (dt.date.fromisoformat(iso) - dt.timedelta(days=PARTS_DAYS)).isoformat()
        for key in [k for k in self._parts if k[0] == org_id and k[1] < oldest]:
            del self._parts[key]

    def week(self, org_id: str, project_id: str, monday: dt.date) -> ProjectWeek:
        """The project's week: hours, cost and the revenue the week earned."""
        listed = self.days(org_id, project_id)
        sunday = monday + dt.timedelta(days=6)
        first, end = date_bounds(listed, monday, sunday)
        before = listed[:first]
        contributors: set[str] = set()
        week_days: list[ProjectDay] = []
        latest: dt.datetime | None = None
        for day in listed[first:end]:
            self.day(org_id, project_id, day.work_date)
            memo = self._memo[(org_id, day.work_date.isoformat())][project_id]
            week_days.append(memo.figures)
            contributors.update(memo.contributors)
            if memo.latest and (latest is None or memo.latest > latest):
                latest = memo.latest
        end_of_week = dt.datetime.combine(sunday, dt.time.max, dt.UTC)
        plan = reference.plan_at(self.store, org_id, project_id, end_of_week)
        hours = sum(d.hours for d in week_days)
        billable = sum(d.billable_hours for d in week_days)
        revenue = 0.0
        if plan is not None:
            hours_before = sum(d.hours for d in before)
            billable_before = sum(d.billable_hours for d in before)
            revenue = earned_revenue(
                plan, hours_before + hours, billable_before + billable
            ) - earned_revenue(plan, hours_before, billable_before)
        return ProjectWeek(
            org_id=org_id,
            project_id=project_id,
            week_start=monday,
            billing=plan.billing if plan else "",
            currency=plan.currency if plan else "",
            hours=hours,
            billable_hours=billable,
            contributors=len(contributors),
            earned_revenue=revenue,
            cost=sum(d.cost for d in week_days),
            uncosted_hours=sum(d.uncosted_hours for d in week_days),
            computed_at=latest or dt.datetime.combine(monday, dt.time(), dt.UTC),
        )


def weeks_of(store: Store, org_id: str, project_id: str, since: dt.date) -> set[dt.date]:
    """The Mondays of the weeks, from the week of `since`, in which the project has days."""
    stored: list[str] = store.get(dates_key(org_id, project_id)) or []
    first = bisect.bisect_left(stored, week_start(since).isoformat())
    return {week_start(dt.date.fromisoformat(d)) for d in stored[first:]}
