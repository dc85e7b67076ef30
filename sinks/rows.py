"""Rows of the pipeline's ClickHouse tables, in the column order of sinks.clickhouse.COLUMNS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from events.parse import Accepted, Rejected
from projections.contributor_daily import ContributorDay
from projections.contributor_weekly import ContributorWeek, Trailing

_KEEP_MAX = 2**64 - 1


def event_rows(accepted: Iterable[Accepted], now: dt.datetime) -> list[tuple[object, ...]]:
    """Event store rows. `keep` falls as ingestion time rises, so the first delivery of an
    event_id is the one ReplacingMergeTree keeps."""
    keep = _KEEP_MAX - int(now.timestamp() * 1_000_000)
    return [
        (
            a.event.org_id,
            a.event.event_id,
            a.event.type,  # type: ignore[attr-defined]
            a.event.occurred_at.astimezone(dt.UTC),
            a.raw.decode("utf-8"),
            a.source.topic,
            a.source.partition,
            a.source.offset,
            now,
            keep,
        )
        for a in accepted
    ]


def rejected_rows(rejected: Iterable[Rejected], now: dt.datetime) -> list[tuple[object, ...]]:
    """Rows of rejected_events: the original bytes exactly, with reason and source."""
    return [
        (
            r.source.topic,
            r.source.partition,
            r.source.offset,
            r.org_id,
            r.reason.value,
            r.message,
            r.raw,
            len(r.raw),
            now,
        )
        for r in rejected
    ]


def contributor_day_row(
    day: ContributorDay, first_look: dt.timedelta, version: int
) -> tuple[object, ...]:
    """A contributor_daily snapshot row."""
    return (
        day.org_id,
        day.contributor_id,
        day.work_date,
        day.logged_minutes,
        day.billable_minutes,
        day.logged_hours,
        day.billable_hours,
        day.non_billable_hours,
        day.entries,
        day.computed_at,
        day.computed_at + first_look,
        version,
    )


def contributor_week_row(
    week: ContributorWeek, trailing: Trailing, first_look: dt.timedelta, version: int
) -> tuple[object, ...]:
    """A contributor_weekly snapshot row. A week without time logged counts as computed at
    its Monday, so its row is the same on every replay."""
    computed = week.computed_at or dt.datetime.combine(week.week_start, dt.time(), dt.UTC)
    return (
        week.org_id,
        week.contributor_id,
        week.team_id or "",
        week.week_start,
        week.logged_hours,
        week.billable_hours,
        week.non_billable_hours,
        week.available_hours,
        week.utilization,
        week.load,
        week.target_utilization,
        week.cross_team_hours,
        week.cross_team_unbilled_hours,
        week.hours_by_project,
        trailing.logged_hours,
        trailing.billable_hours,
        trailing.available_hours,
        trailing.utilization,
        computed,
        computed + first_look,
        version,
    )
