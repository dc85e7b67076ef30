"""ProjectDays: project-day figures memoised across batches, dropped when their days change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from projections import fold
from projections.projects import PARTS_DAYS, ProjectDays
from tests.factories import event

OLD_DAY = dt.date(2026, 1, 5)
LATER_DAY = OLD_DAY + dt.timedelta(days=PARTS_DAYS + 10)


def logged(store: dict[str, Any], on: dt.date, **fields: Any) -> fold.Touched:
    """Fold a time.logged on `on`, occurring that evening; return what it touched."""
    touched = fold.Touched()
    fields.setdefault("occurred_at", f"{on.isoformat()}T17:00:00Z")
    fold.apply(store, event("time.logged", work_date=on.isoformat(), **fields), touched)
    return touched


def test_an_entry_moved_off_a_project_on_a_day_whose_parts_were_pruned() -> None:
    store: dict[str, Any] = {}
    logged(store, OLD_DAY, entry_id="e1", contributor_id="ana", project_id="p1", minutes=120)
    logged(store, OLD_DAY, entry_id="e2", contributor_id="ben", project_id="p1", minutes=60)
    days = ProjectDays(store)
    assert days.day("acme", "p1", OLD_DAY)[0].hours == 3.0

    # Reading a day more than PARTS_DAYS later drops the contributors' parts of OLD_DAY,
    # while its project figures stay memoised.
    logged(store, LATER_DAY, entry_id="e3", contributor_id="ben", project_id="p2")
    days.day("acme", "p2", LATER_DAY)

    moved = logged(
        store,
        OLD_DAY,
        entry_id="e1",
        revision=2,
        contributor_id="ana",
        project_id="p2",
        minutes=120,
        occurred_at=f"{LATER_DAY.isoformat()}T18:00:00Z",
    )
    days.forget_days(moved.days)
    figures, contributors = days.day("acme", "p1", OLD_DAY)
    assert (figures.hours, contributors) == (1.0, 1)
    assert days.day("acme", "p2", OLD_DAY)[0].hours == 2.0


def test_an_entry_moved_off_a_project_on_a_memoised_day() -> None:
    store: dict[str, Any] = {}
    logged(store, OLD_DAY, entry_id="e1", contributor_id="ana", project_id="p1", minutes=120)
    days = ProjectDays(store)
    assert days.day("acme", "p1", OLD_DAY)[0].hours == 2.0

    moved = logged(store, OLD_DAY, entry_id="e1", revision=2, contributor_id="ana", project_id="p2")
    days.forget_days(moved.days)
    figures, contributors = days.day("acme", "p1", OLD_DAY)
    assert (figures.hours, contributors) == (0.0, 0)
    assert days.day("acme", "p2", OLD_DAY)[0].hours == 1.0
