"""A contributor's ISO week: hours, capacity, utilization, cross-team work, per project.

Definitions:
- available hours: the sum over the week's days of the capacity of the profile valid that
  day (weekly capacity over Monday to Friday) minus time off;
- utilization = billable hours / available hours; load = logged hours / available hours
  (None when nothing was available);
- cross-team work: an entry whose for_team_id differs from the contributor's team on its
  work_date (a contributor without a profile that day has no team, so nothing is
  cross-team); unbilled cross-team hours are the non-billable part of it;
- the week's team and target are those of the profile valid on the week's first day
  with a profile;
- trailing values cover the 4 weeks ending with this one; utilization over them is total
  billable over total available hours (not a mean of weekly percentages).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from projections import reference
from projections.clock import week_days
from projections.contributor_daily import Store, summarize

TRAILING_WEEKS = 4


@dataclass(frozen=True, slots=True)
class ContributorWeek:
    """One contributor's figures for the ISO week starting on `week_start`."""

    org_id: str
    contributor_id: str
    week_start: dt.date
    team_id: str | None
    target_utilization: float | None
    logged_hours: float
    billable_hours: float
    available_hours: float
    cross_team_hours: float
    cross_team_unbilled_hours: float
    hours_by_project: dict[str, float] = field(default_factory=dict)
    computed_at: dt.datetime | None = None
    """Event time of the latest change behind the week's days."""

    @property
    def non_billable_hours(self) -> float:
        """Logged minus billable hours."""
        return self.logged_hours - self.billable_hours

    @property
    def utilization(self) -> float | None:
        """Billable over available hours."""
        return self.billable_hours / self.available_hours if self.available_hours else None

    @property
    def load(self) -> float | None:
        """Logged over available hours."""
        return self.logged_hours / self.available_hours if self.available_hours else None


def week(store: Store, org_id: str, contributor_id: str, monday: dt.date) -> ContributorWeek:
    """The contributor's week from the day records and the reference data in `store`.

    Minutes are summed as integers and turned into hours once, so the figures do not
    depend on the order of the entries."""
    logged = billable = cross = cross_unbilled = 0
    available = 0.0
    by_project: dict[str, int] = {}
    team: str | None = None
    target: float | None = None
    latest = ""
    for date in week_days(monday):
        profile = reference.profile_at(store, org_id, contributor_id, date)
        if profile is not None and team is None:
            team, target = profile.team_id, profile.target_utilization
        available += reference.capacity_on(store, org_id, contributor_id, date, profile)
        day = summarize(store, (org_id, contributor_id, date.isoformat()))
        if not day.latest:
            continue
        latest = max(latest, day.latest)
        logged += day.logged_minutes
        billable += day.billable_minutes
        for project_id, (minutes, _billable, _changed) in day.projects.items():
            by_project[project_id] = by_project.get(project_id, 0) + minutes
        if profile is not None:
            for for_team, (minutes, unbilled) in day.for_teams.items():
                if for_team != profile.team_id:
                    cross += minutes
                    cross_unbilled += unbilled
    return ContributorWeek(
        org_id,
        contributor_id,
        monday,
        team,
        target,
        logged / 60,
        billable / 60,
        available,
        cross / 60,
        cross_unbilled / 60,
        {project_id: by_project[project_id] / 60 for project_id in sorted(by_project)},
        dt.datetime.fromisoformat(latest) if latest else None,
    )


@dataclass(frozen=True, slots=True)
class Trailing:
    """Totals over the trailing weeks ending with a week."""

    weeks: int
    logged_hours: float
    billable_hours: float
    available_hours: float

    @property
    def utilization(self) -> float | None:
        """Total billable over total available hours."""
        return self.billable_hours / self.available_hours if self.available_hours else None


def trailing(
    store: Store, org_id: str, contributor_id: str, monday: dt.date, weeks: int = TRAILING_WEEKS
) -> Trailing:
    """Totals over `weeks` ISO weeks ending with the week starting on `monday`."""
    key = (org_id, contributor_id, monday.isoformat())
    return weeks_with_trailing(store, {key}, weeks)[key][1]


WeeksMemo = dict[str, dict[tuple[str, dt.date], ContributorWeek]]
"""Per org, contributor weeks by (contributor_id, Monday): what a caller keeps current."""


def weeks_with_trailing(
    store: Store,
    keys: set[tuple[str, str, str]],
    weeks: int = TRAILING_WEEKS,
    memo: WeeksMemo | None = None,
) -> dict[tuple[str, str, str], tuple[ContributorWeek, Trailing]]:
    """Each (org, contributor, Monday ISO) week with its trailing totals, computing every
    week once even when it is part of several trailing windows.

    `memo`: weeks known to be current (the alert evaluation keeps one); the weeks computed
    here are added to it."""
    known: WeeksMemo = {} if memo is None else memo

    def get(org_id: str, contributor_id: str, monday: dt.date) -> ContributorWeek:
        by_week = known.setdefault(org_id, {})
        found = by_week.get((contributor_id, monday))
        if found is None:
            found = by_week[(contributor_id, monday)] = week(store, org_id, contributor_id, monday)
        return found

    result = {}
    for org_id, contributor_id, monday_iso in keys:
        monday = dt.date.fromisoformat(monday_iso)
        parts = [get(org_id, contributor_id, monday - dt.timedelta(weeks=i)) for i in range(weeks)]
        result[(org_id, contributor_id, monday_iso)] = (
            parts[0],
            Trailing(
                weeks,
                sum(p.logged_hours for p in parts),
                sum(p.billable_hours for p in parts),
                sum(p.available_hours for p in parts),
            ),
        )
    return result
