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
from collections.abc import Iterable
from dataclasses import dataclass

from events.models import TimeLogged
from projections import reference
from projections.clock import week_start
from projections.contributor_daily import Store, read_day
from projections.project_status import ProjectDay, earned_revenue
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


def dates(store: Store, org_id: str, project_id: str) -> list[dt.date]:
    """The work_dates the project ever had time logged on, sorted."""
    return [dt.date.fromisoformat(d) for d in store.get(dates_key(org_id, project_id)) or []]


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


@dataclass(frozen=True, slots=True)
class _Memo:
    figures: ProjectDay
    contributors: frozenset[str]
    """Contributors with hours on the project that day."""
    latest: dt.datetime | None
    """Event time of the latest change of the project's entries on the day."""


class ProjectDays:
    """Reads project days from a store, memoising each (org, project, work_date).

    The memo belongs to one reader (the worker's projector or a rebuild); `forget` drops
    what a change of contributor days or profiles may have made stale.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._memo: dict[tuple[str, str], dict[str, _Memo]] = {}

    def forget_dates(self, org_id: str, work_dates: Iterable[str]) -> None:
        """Drop the memo of these work_dates (some contributor day on them changed)."""
        for work_date in work_dates:
            self._memo.pop((org_id, work_date), None)

    def forget_org(self, org_id: str) -> None:
        """Drop the org's memo (a profile, and so a cost rate, changed)."""
        for key in [k for k in self._memo if k[0] == org_id]:
            del self._memo[key]

    def clear(self) -> None:
        """Drop the whole memo."""
        self._memo.clear()

    def day(self, org_id: str, project_id: str, work_date: dt.date) -> tuple[ProjectDay, int]:
        """The project's figures on a work_date and how many contributors had hours on it."""
        iso = work_date.isoformat()
        by_project = self._memo.setdefault((org_id, iso), {})
        found = by_project.get(project_id)
        if found is None:
            found = self._compute(org_id, project_id, work_date)
            by_project[project_id] = found
        return found.figures, len(found.contributors)

    def days(self, org_id: str, project_id: str) -> list[ProjectDay]:
        """Every day the project ever had time logged on, oldest first."""
        return [self.day(org_id, project_id, d)[0] for d in dates(self.store, org_id, project_id)]

    def _compute(self, org_id: str, project_id: str, work_date: dt.date) -> _Memo:
        iso = work_date.isoformat()
        minutes = billable = 0
        cost = uncosted = 0.0
        present: set[str] = set()
        latest = ""
        for contributor in self.store.get(day_contributors_key(org_id, project_id, iso)) or []:
            entries, _changed_at = read_day(self.store, (org_id, contributor, iso))
            mine = [e for e in entries if e.project_id == project_id]
            if not mine:
                continue
            latest = max(latest, *(e.changed_at for e in mine))
            present.add(contributor)
            own = sum(e.minutes for e in mine)
            minutes += own
            billable += sum(e.minutes for e in mine if e.billable)
            profile = reference.profile_at(self.store, org_id, contributor, work_date)
            if profile is None or profile.cost_rate is None:
                uncosted += own / 60
            else:
                cost += own / 60 * profile.cost_rate
        return _Memo(
            ProjectDay(work_date, minutes / 60, billable / 60, cost, uncosted),
            frozenset(present),
            dt.datetime.fromisoformat(latest) if latest else None,
        )

    def week(self, org_id: str, project_id: str, monday: dt.date) -> ProjectWeek:
        """The project's week: hours, cost and the revenue the week earned."""
        all_days = dates(self.store, org_id, project_id)
        sunday = monday + dt.timedelta(days=6)
        before = [self.day(org_id, project_id, d)[0] for d in all_days if d < monday]
        contributors: set[str] = set()
        week_days: list[ProjectDay] = []
        latest: dt.datetime | None = None
        for d in all_days:
            if monday <= d <= sunday:
                self.day(org_id, project_id, d)
                memo = self._memo[(org_id, d.isoformat())][project_id]
                week_days.append(memo.figures)
                contributors |= memo.contributors
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
