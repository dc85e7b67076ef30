"""Event-time helpers shared by the folds: fixed-width UTC timestamps and ISO weeks."""

from __future__ import annotations

import datetime as dt


def utc_iso(moment: dt.datetime) -> str:
    """A fixed-width UTC timestamp, so that string order is time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def week_days(monday: dt.date) -> list[dt.date]:
    """The seven days of the ISO week starting on `monday`."""
    return [monday + dt.timedelta(days=i) for i in range(7)]
