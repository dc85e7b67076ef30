"""Rows of the pipeline's ClickHouse tables, in the column order of sinks.clickhouse.COLUMNS."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from events.parse import Accepted, Rejected
from projections.blocked import BlockedInterval
from projections.contributor_daily import ContributorDay
from projections.contributor_weekly import ContributorWeek, Trailing
from projections.decisions import Decision
from projections.handoffs import Handoff
from projections.project_status import ProjectStatus
from projections.projects import ProjectWeek
from projections.reference import Plan

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


def project_week_row(week: ProjectWeek, version: int) -> tuple[object, ...]:
    """A project_weekly snapshot row."""
    return (
        week.org_id,
        week.project_id,
        week.week_start,
        week.billing,
        week.currency,
        week.hours,
        week.billable_hours,
        week.non_billable_hours,
        week.contributors,
        week.earned_revenue,
        week.cost,
        week.uncosted_hours,
        week.computed_at,
        version,
    )


def project_status_row(
    status: ProjectStatus, plan: Plan, computed_at: dt.datetime, version: int
) -> tuple[object, ...]:
    """A project_status snapshot row."""
    return (
        status.org_id,
        status.project_id,
        plan.name or "",
        plan.team_id or "",
        status.billing,
        status.currency,
        status.planned_hours,
        status.consumed_hours,
        status.billable_hours,
        status.consumed_share,
        status.start_date,
        status.end_date,
        status.as_of,
        status.elapsed_share,
        status.burn_rate_hours_per_week,
        status.run_out_date,
        status.earned_revenue,
        status.cost,
        status.uncosted_hours,
        status.margin,
        status.target_margin,
        status.scope_creep,
        plan.valid_from,
        computed_at,
        version,
    )


def blocked_interval_row(
    interval: BlockedInterval, now: dt.datetime, version: int
) -> tuple[object, ...]:
    """A blocked_intervals row; an open block's hours (and as_of) run to `now` (event time),
    a closed one's to its end."""
    return (
        interval.org_id,
        interval.task_id,
        interval.started_at,
        interval.project_id,
        interval.ended_at,
        interval.ended_at is None,
        interval.hours(now),
        interval.blocked_by_team_id or "",
        interval.reason or "",
        interval.ended_at or now,
        version,
        0,
    )


def absorbed_block_row(
    org_id: str, task_id: str, started_at: dt.datetime, version: int
) -> tuple[object, ...]:
    """A deleting row for a block time that starts no interval (the task was blocked)."""
    return (org_id, task_id, started_at, "", None, False, 0.0, "", "", started_at, version, 1)


def handoff_row(handoff: Handoff, now: dt.datetime, version: int) -> tuple[object, ...]:
    """A handoffs row; an open handoff's lateness (and as_of) runs to `now` (event time), a
    completed one's to its completion."""
    if handoff.completed_at:
        status = "completed"
    elif handoff.accepted_at:
        status = "accepted"
    else:
        status = "requested"
    return (
        handoff.org_id,
        handoff.handoff_id,
        handoff.project_id or "",
        handoff.task_id or "",
        handoff.from_team_id or "",
        handoff.to_team_id or "",
        handoff.route or "",
        handoff.requested_at,
        handoff.accepted_at,
        handoff.completed_at,
        handoff.due_at,
        status,
        handoff.completed_late,
        handoff.overdue(now),
        handoff.hours_late(now),
        handoff.completed_at or now,
        version,
    )


def decision_row(decision: Decision, version: int) -> tuple[object, ...]:
    """A decisions row."""
    return (
        decision.org_id,
        decision.decision_id,
        decision.kind,
        decision.alert_ids,
        decision.note or "",
        decision.decided_by,
        decision.decided_at,
        version,
    )


def alert_row(alert: Mapping[str, Any], version: int) -> tuple[object, ...]:
    """An alerts row from an alert record (contract fields; evidence as JSON text)."""

    def moment(stamp: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(stamp) if stamp else None

    return (
        alert["alert_id"],
        alert["org_id"],
        alert["pattern"],
        alert["audience"],
        alert["subject_type"],
        alert["subject_id"],
        alert["status"],
        alert["severity"],
        dt.date.fromisoformat(alert["period_start"]),
        dt.date.fromisoformat(alert["period_end"]),
        float(alert["observed"]),
        float(alert["threshold"]),
        None if alert["baseline"] is None else float(alert["baseline"]),
        alert["unit"],
        alert["summary"],
        orjson.dumps(alert["evidence"], option=orjson.OPT_SORT_KEYS).decode(),
        alert["suggested_action"],
        moment(alert["first_fired_at"]),
        moment(alert["updated_at"]),
        moment(alert["resolved_at"]),
        version,
    )
