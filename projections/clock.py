"""Event-time helpers shared by the folds: fixed-width UTC timestamps and ISO weeks."""

from __future__ import annotations

import datetime as dt

_last: tuple[dt.datetime | None, str] = (None, "")
"""The moment `utc_iso` formatted last, and its text: folding one event formats its
occurred_at two or three times (the org clock, the entry, the first event time)."""


def utc_iso(moment: dt.datetime) -> str:
    """A fixed-width UTC timestamp, so that string order is time order."""
    global _last
    last = _last  # one tuple, replaced whole: a reader never sees a moment with another's text
    if moment is last[0]:
        return last[1]
    text = moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
    _last = (moment, text)
    return text


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def week_days(monday: dt.date) -> list[dt.date]:
    """The seven days of the ISO week starting on `monday`."""
    return [monday + dt.timedelta(days=i) for i in range(7)]
