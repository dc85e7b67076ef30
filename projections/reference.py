"""Reference data with history: contributor profiles, time off, and project plans.

A projection for a past date uses the profile and plan valid on that date, not today's:

- a profile holds from its effective_from until the next profile's effective_from;
- a plan holds from its occurred_at until the next plan of the project (a re-plan);
- time off on a date is the latest report for that date (by occurred_at).

Every history keeps all versions and orders them by (validity, occurred_at, event_id), so
the same events in any order give the same answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from events.models import ContributorProfiled, ContributorTimeOff, ProjectPlanned
from projections.clock import utc_iso
from projections.contributor_daily import Store

WORKDAYS_PER_WEEK = 5
"""Profiles spread their weekly capacity over Monday to Friday."""


@dataclass(frozen=True, slots=True)
class Profile:
    """A contributor's profile as valid from `valid_from`."""

    team_id: str
    weekly_capacity_hours: float
    target_utilization: float
    cost_rate: float | None
    valid_from: dt.date

    @property
    def daily_capacity_hours(self) -> float:
        """Capacity of one workday."""
        return self.weekly_capacity_hours / WORKDAYS_PER_WEEK


@dataclass(frozen=True, slots=True)
class Plan:
    """A project's plan as valid from `valid_from` (the occurred_at of the plan event)."""

    project_id: str
    name: str | None
    team_id: str | None
    billing: str
    planned_hours: float
    start_date: dt.date
    end_date: dt.date
    bill_rate: float | None
    fixed_fee: float | None
    target_margin: float
    currency: str
    valid_from: dt.datetime


def profile_key(org_id: str, contributor_id: str) -> str:
    """Store key of a contributor's profile history."""
    return f"profile|{org_id}|{contributor_id}"


def time_off_key(org_id: str, contributor_id: str) -> str:
    """Store key of a contributor's time off."""
    return f"timeoff|{org_id}|{contributor_id}"


def plan_key(org_id: str, project_id: str) -> str:
    """Store key of a project's plan history."""
    return f"plan|{org_id}|{project_id}"


def _stamp(event: Any) -> list[str]:
    return [utc_iso(event.occurred_at), event.event_id]


def apply_profile(store: Store, event: ContributorProfiled) -> bool:
    """Add a profile version; return False when it was already known."""
    key = profile_key(event.org_id, event.contributor_id)
    history: list[list[Any]] = store.get(key) or []
    version = [
        event.valid_from.isoformat(),
        *_stamp(event),
        event.team_id,
        event.weekly_capacity_hours,
        event.target_utilization,
        event.cost_rate,
    ]
    if version in history:
        return False
    store[key] = sorted([*history, version], key=lambda v: v[:3])
    return True


def _valid_at(history: list[list[Any]], limit: str | None) -> list[Any] | None:
    """The last version (sorted by validity start) whose start is on or before `limit`;
    the last version of all when `limit` is None."""
    chosen = None
    for version in history:
        if limit is not None and version[0] > limit:
            break
        chosen = version
    return chosen


def profile_at(store: Store, org_id: str, contributor_id: str, day: dt.date) -> Profile | None:
    """The profile valid on `day`: the last one whose effective_from is on or before it."""
    chosen = _valid_at(store.get(profile_key(org_id, contributor_id)) or [], day.isoformat())
    if chosen is None:
        return None
    valid_from, _at, _id, team, capacity, target, cost = chosen
    return Profile(team, capacity, target, cost, dt.date.fromisoformat(valid_from))


def apply_time_off(store: Store, event: ContributorTimeOff) -> bool:
    """Record time off on a date; the latest report for the date wins. False if known."""
    key = time_off_key(event.org_id, event.contributor_id)
    days: dict[str, list[Any]] = store.get(key) or {}
    day = event.date.isoformat()
    report = [*_stamp(event), event.hours]
    current = days.get(day)
    if current is not None and current[:2] >= report[:2]:
        return False
    store[key] = {**days, day: report}
    return True


def time_off_hours(
    store: Store, org_id: str, contributor_id: str, day: dt.date, profile: Profile | None
) -> float:
    """Hours off on `day`; a report without hours means a full workday of the profile."""
    report = (store.get(time_off_key(org_id, contributor_id)) or {}).get(day.isoformat())
    if report is None:
        return 0.0
    hours = report[2]
    if hours is None:
        return profile.daily_capacity_hours if profile else 0.0
    return float(hours)


def available_hours(store: Store, org_id: str, contributor_id: str, day: dt.date) -> float:
    """Capacity on `day` under the profile valid then, minus time off (never negative)."""
    profile = profile_at(store, org_id, contributor_id, day)
    return capacity_on(store, org_id, contributor_id, day, profile)


def capacity_on(
    store: Store, org_id: str, contributor_id: str, day: dt.date, profile: Profile | None
) -> float:
    """Available hours on `day` under `profile` (the one valid that day): a workday's
    capacity minus time off, never negative. Weekends and days without a profile have none.
    """
    if profile is None or day.weekday() >= WORKDAYS_PER_WEEK:
        return 0.0
    off = time_off_hours(store, org_id, contributor_id, day, profile)
    return max(0.0, profile.daily_capacity_hours - off)


def apply_plan(store: Store, event: ProjectPlanned) -> bool:
    """Add a plan version (a re-plan from its occurred_at); False when already known."""
    key = plan_key(event.org_id, event.project_id)
    history: list[list[Any]] = store.get(key) or []
    version = [
        *_stamp(event),
        event.name,
        event.team_id,
        event.billing,
        event.planned_hours,
        event.start_date.isoformat(),
        event.end_date.isoformat(),
        event.bill_rate,
        event.fixed_fee,
        event.target_margin,
        event.currency,
    ]
    if version in history:
        return False
    store[key] = sorted([*history, version], key=lambda v: v[:2])
    return True


def plan_at(
    store: Store, org_id: str, project_id: str, at: dt.datetime | None = None
) -> Plan | None:
    """The plan valid at `at` (the latest plan when `at` is None)."""
    history = store.get(plan_key(org_id, project_id)) or []
    chosen = _valid_at(history, utc_iso(at) if at else None)
    if chosen is None:
        return None
    at_iso, _id, name, team, billing, hours, start, end, rate, fee, margin, currency = chosen
    return Plan(
        project_id,
        name,
        team,
        billing,
        hours,
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
        rate,
        fee,
        margin,
        currency,
        dt.datetime.fromisoformat(at_iso),
    )
