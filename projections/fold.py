"""One event into every projection, collecting what changed.

`apply` routes an event to its folds and records which contributor days and weeks must
be written again. A week is recomputed from the week of the change through the org's
current week, because trailing values of later weeks include it; when the org's clock
enters a new week, every contributor seen so far gets that week. So the rows written
are those of every contributor from their first week through the current week, whatever
the order in which the same events arrive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from events.models import (
    BaseEvent,
    ContributorProfiled,
    ContributorTimeOff,
    TimeDeleted,
    TimeLogged,
)
from projections import contributor_daily, org, reference
from projections.clock import week_start
from projections.contributor_daily import DayKey, Store

WeekKey = tuple[str, str, str]
"""(org_id, contributor_id, week_start ISO)."""

_WEEK = dt.timedelta(weeks=1)


@dataclass
class Touched:
    """What a batch of events changed: the rows to write again."""

    days: set[DayKey] = field(default_factory=set)
    weeks: set[WeekKey] = field(default_factory=set)

    def add_weeks(self, org_id: str, contributor_id: str, first: dt.date, last: dt.date) -> None:
        """Every week from the week of `first` through the week of `last` (at least one)."""
        monday = week_start(first)
        end = max(week_start(last), monday)
        while monday <= end:
            self.weeks.add((org_id, contributor_id, monday.isoformat()))
            monday += _WEEK


def apply(store: Store, event: BaseEvent, touched: Touched) -> None:
    """Apply one accepted event to the projections in `store`; note what changed."""
    before, after = org.advance(store, event)
    today = after.date()
    o = event.org_id
    if isinstance(event, TimeLogged | TimeDeleted):
        days = contributor_daily.apply(store, event)
        touched.days |= days
        for _org, contributor, date in days:
            _seen(store, touched, o, contributor, dt.date.fromisoformat(date), today)
    # Rows are written again even when an event changes nothing: after a crash the state
    # may hold an event whose rows never reached ClickHouse.
    elif isinstance(event, ContributorProfiled):
        reference.apply_profile(store, event)
        _seen(store, touched, o, event.contributor_id, event.valid_from, today)
    elif isinstance(event, ContributorTimeOff):
        reference.apply_time_off(store, event)
        _seen(store, touched, o, event.contributor_id, event.date, today)
    if before is None or week_start(before.date()) < week_start(today):
        first_new = week_start(before.date()) + _WEEK if before else week_start(today)
        for contributor, first_seen in org.members(store, o).items():
            touched.add_weeks(o, contributor, max(first_new, first_seen), today)


def _seen(
    store: Store, touched: Touched, org_id: str, contributor_id: str, date: dt.date, today: dt.date
) -> None:
    org.add_member(store, org_id, contributor_id, date)
    touched.add_weeks(org_id, contributor_id, date, today)


REFRESH_WEEKS = 4


def refresh(store: Store, org_id: str, touched: Touched, weeks: int = REFRESH_WEEKS) -> None:
    """Mark every contributor's recent weeks (through the current one) to be written again.

    A worker calls this for each org when it starts or takes over partitions: after a
    crash, the restored state can be ahead of the rows in ClickHouse (the clock may already
    have entered a week whose rows were never written), and re-applying events does not
    see the clock move again.
    """
    current = org.now(store, org_id)
    if current is None:
        return
    today = current.date()
    earliest = today - dt.timedelta(weeks=weeks)
    for contributor, first_seen in org.members(store, org_id).items():
        touched.add_weeks(org_id, contributor, max(earliest, first_seen), today)
