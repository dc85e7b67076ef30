"""Rows of every projection table for what a batch of events touched.

Shared by the worker (once per batch and partition) and `worksignals rebuild` (once for
the whole event store), so both paths write the same rows from the same state.
"""

from __future__ import annotations

import datetime as dt

from projections import (
    blocked,
    contributor_daily,
    contributor_weekly,
    decisions,
    handoffs,
    org,
    project_status,
    projects,
    reference,
)
from projections.contributor_daily import Store
from projections.fold import Touched
from sinks.rows import (
    absorbed_block_row,
    blocked_interval_row,
    contributor_day_row,
    contributor_week_row,
    decision_row,
    handoff_row,
    project_status_row,
    project_week_row,
)

TableRows = dict[str, list[tuple[object, ...]]]
"""Rows per table name."""

PROJECTION_TABLES = (
    "contributor_daily",
    "contributor_weekly",
    "project_weekly",
    "project_status",
    "blocked_intervals",
    "handoffs",
    "decisions",
)


class Snapshots:
    """Computes projection rows from a store; keeps a memo of project days between calls."""

    def __init__(
        self,
        store: Store,
        first_look: dt.timedelta,
        project_days: projects.ProjectDays | None = None,
        weeks: contributor_weekly.WeeksMemo | None = None,
    ) -> None:
        self.store = store
        self.first_look = first_look
        self.project_days = project_days or projects.ProjectDays(store)
        """Shared with the alert evaluation when it runs, which keeps it current."""
        self.weeks = weeks
        """Contributor weeks the alert evaluation keeps current, read when `days_current`."""

    def forget(self) -> None:
        """Drop memoised figures (the store's contents moved, e.g. partitions revoked)."""
        self.project_days.clear()

    def rows(self, touched: Touched, version: int, days_current: bool = False) -> TableRows:
        """Every row `touched` names, each table's rows sorted by key.

        `days_current`: the project-day and week memos already dropped what `touched`
        changed (the alert evaluation of the same batch did)."""
        store = self.store
        self.project_days.store = store
        if not days_current:
            self.project_days.forget_days(touched.days)
            for (org_id, contributor_id), since in touched.costs_changed.items():
                self.project_days.forget_costs(org_id, contributor_id, since)
        result: TableRows = {table: [] for table in PROJECTION_TABLES}
        result["contributor_daily"] = [
            contributor_day_row(contributor_daily.day(store, key), self.first_look, version)
            for key in sorted(touched.days)
        ]
        result["contributor_weekly"] = [
            contributor_week_row(week, trailing, self.first_look, version)
            for _key, (week, trailing) in sorted(
                contributor_weekly.weeks_with_trailing(
                    store,
                    touched.weeks,
                    memo=self.weeks if days_current else None,
                ).items()
            )
        ]
        result["project_weekly"] = [
            project_week_row(self.project_days.week(o, project, monday), version)
            for (o, project), since in sorted(touched.project_weeks_since.items())
            for monday in sorted(projects.weeks_of(store, o, project, since))
        ]
        statuses = set(touched.projects)
        tasks = set(touched.tasks)
        open_handoffs = set(touched.handoffs)
        for o in touched.clock_moved:
            statuses |= {(o, p) for p in projects.projects(store, o)}
            tasks |= {(o, t) for t in blocked.open_tasks(store, o)}
            open_handoffs |= {(o, h) for h in handoffs.open_handoffs(store, o)}
        for o, project in sorted(statuses):
            result["project_status"] += self._status_rows(o, project, version)
        for o, task in sorted(tasks):
            result["blocked_intervals"] += self._blocked_rows(o, task, version)
        for o, handoff_id in sorted(open_handoffs):
            found = handoffs.handoff(store, o, handoff_id)
            now = org.now(store, o)
            if found is not None and now is not None:
                result["handoffs"].append(handoff_row(found, now, version))
        for o, decision_id in sorted(touched.decisions):
            found_decision = decisions.decision(store, o, decision_id)
            if found_decision is not None:
                result["decisions"].append(decision_row(found_decision, version))
        return result

    def _status_rows(self, org_id: str, project_id: str, version: int) -> list[tuple[object, ...]]:
        now = org.now(self.store, org_id)
        plan = reference.plan_at(self.store, org_id, project_id, now)
        if plan is None or now is None:
            return []
        days, totals = self.project_days.totals(org_id, project_id)
        status = project_status.status(org_id, plan, days, now.date(), totals)
        return [project_status_row(status, plan, now, version)]

    def _blocked_rows(self, org_id: str, task_id: str, version: int) -> list[tuple[object, ...]]:
        now = org.now(self.store, org_id)
        if now is None:
            return []
        rows = [
            blocked_interval_row(interval, now, version)
            for interval in blocked.intervals(self.store, org_id, task_id)
        ]
        rows += [
            absorbed_block_row(org_id, task_id, started, version)
            for started in blocked.absorbed_starts(self.store, org_id, task_id)
        ]
        return rows
