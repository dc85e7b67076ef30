"""A project's status to date: hours against plan, burn rate, run-out date, money.

Definitions (contract section 2):
- consumed hours: every hour logged on the project (billable or not);
- elapsed share: the part of the plan's dates (start to end, inclusive) that lies on or
  before today (the org's event-time date);
- burn rate: hours consumed over the last 14 days up to today, per week;
- run-out date: the day the planned hours are used up at that rate (None without burn, or
  when that day is after the last date the tables hold);
- earned revenue: billable hours x bill_rate for time_and_materials, fixed_fee x
  min(1, consumed / planned hours) for fixed_fee, 0 for non_billable;
- cost: hours x the contributor's cost_rate valid on the work_date;
- margin: (earned revenue - cost) / earned revenue (None without revenue, or when it
  overflows);
- scope creep: consumed hours at 200% of planned or more.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from events.models import LATEST
from projections.reference import Plan

BURN_WINDOW_DAYS = 14
SCOPE_CREEP_SHARE = 2.0


@dataclass(frozen=True, slots=True)
class ProjectDay:
    """Hours and cost logged on a project on one work_date (all contributors)."""

    work_date: dt.date
    hours: float
    billable_hours: float
    cost: float
    """Each hour at its contributor's cost_rate valid on the work_date (0 without one)."""
    uncosted_hours: float = 0.0
    """Hours whose contributor had no cost_rate on the work_date."""


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    """Planned against consumed, burn and money for one project as of `as_of`."""

    org_id: str
    project_id: str
    billing: str
    planned_hours: float
    consumed_hours: float
    billable_hours: float
    start_date: dt.date
    end_date: dt.date
    as_of: dt.date
    consumed_share: float
    elapsed_share: float
    burn_rate_hours_per_week: float
    run_out_date: dt.date | None
    earned_revenue: float
    cost: float
    uncosted_hours: float
    margin: float | None
    target_margin: float
    scope_creep: bool
    currency: str


def elapsed_share(start: dt.date, end: dt.date, today: dt.date) -> float:
    """Share of the days from start to end (inclusive) that are on or before today."""
    total = (end - start).days + 1
    done = (min(today, end) - start).days + 1
    return min(1.0, max(0.0, done / total))


def earned_revenue(plan: Plan, consumed_hours: float, billable_hours: float) -> float:
    """Revenue earned to date under the plan's billing model."""
    if plan.billing == "time_and_materials":
        return billable_hours * (plan.bill_rate or 0.0)
    if plan.billing == "fixed_fee":
        return (plan.fixed_fee or 0.0) * min(1.0, consumed_hours / plan.planned_hours)
    return 0.0


@dataclass(frozen=True, slots=True)
class DayTotals:
    """Sums over a project's days, each the exact sum rounded once (`math.fsum`), so it
    does not depend on the order or the way the days were gathered."""

    hours: float
    billable_hours: float
    cost: float
    uncosted_hours: float

    @classmethod
    def of(cls, days: Sequence[ProjectDay]) -> DayTotals:
        """The totals of `days`."""
        return cls(
            math.fsum(d.hours for d in days),
            math.fsum(d.billable_hours for d in days),
            math.fsum(d.cost for d in days),
            math.fsum(d.uncosted_hours for d in days),
        )


def status(
    org_id: str,
    plan: Plan,
    days: Sequence[ProjectDay],
    today: dt.date,
    totals: DayTotals | None = None,
) -> ProjectStatus:
    """The project's status as of `today` (event time), under its current plan.

    `days` are the project's days oldest first; `totals` their sums when known."""
    sums = totals or DayTotals.of(days)
    consumed = sums.hours
    billable = sums.billable_hours
    cost = sums.cost
    window_start = today - dt.timedelta(days=BURN_WINDOW_DAYS - 1)
    first, end = date_bounds(days, window_start, today)
    recent = sum(d.hours for d in days[first:end])
    burn_per_week = recent / (BURN_WINDOW_DAYS / 7)
    revenue = earned_revenue(plan, consumed, billable)
    return ProjectStatus(
        org_id=org_id,
        project_id=plan.project_id,
        billing=plan.billing,
        planned_hours=plan.planned_hours,
        consumed_hours=consumed,
        billable_hours=billable,
        start_date=plan.start_date,
        end_date=plan.end_date,
        as_of=today,
        consumed_share=consumed / plan.planned_hours,
        elapsed_share=elapsed_share(plan.start_date, plan.end_date, today),
        burn_rate_hours_per_week=burn_per_week,
        run_out_date=run_out_date(plan.planned_hours - consumed, burn_per_week, today),
        earned_revenue=revenue,
        cost=cost,
        uncosted_hours=sums.uncosted_hours,
        margin=margin_of(revenue, cost),
        target_margin=plan.target_margin,
        scope_creep=consumed >= SCOPE_CREEP_SHARE * plan.planned_hours,
        currency=plan.currency,
    )


def date_bounds(days: Sequence[ProjectDay], first: dt.date, last: dt.date) -> tuple[int, int]:
    """The slice (start, end) of `days` (oldest first) that lies from `first` to `last`."""
    return (
        bisect.bisect_left(days, first, key=_work_date),
        bisect.bisect_right(days, last, key=_work_date),
    )


def _work_date(day: ProjectDay) -> dt.date:
    return day.work_date


def margin_of(revenue: float, cost: float) -> float | None:
    """(revenue - cost) / revenue; None without revenue, or when the quotient overflows (a
    bill rate of 1e-310 earns a revenue that any cost divided by is infinite)."""
    if revenue <= 0:
        return None
    margin = (revenue - cost) / revenue
    return margin if math.isfinite(margin) else None


def run_out_date(remaining_hours: float, burn_per_week: float, today: dt.date) -> dt.date | None:
    """The date the remaining hours are used up at the burn rate; today if already used up,
    None when nothing is burning or when that date is after LATEST.

    A large plan burning slowly runs out far ahead: 10,000 hours at one minute a fortnight
    is 23,000 years away, past what a date (and ClickHouse's Date) can hold."""
    if remaining_hours <= 0:
        return today
    if burn_per_week <= 0:
        return None
    days = remaining_hours / (burn_per_week / 7)
    if not days <= (LATEST - today).days:  # also false for an infinite quotient
        return None
    return today + dt.timedelta(days=math.ceil(days))
