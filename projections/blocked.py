"""Blocked work: the intervals during which a task was blocked.

A block starts at a `task.blocked` event's occurred_at; blocking a blocked task changes
nothing. An unblock ends the open block at its occurred_at; unblocking an unblocked task
changes nothing. Both rules are applied in event time: the task keeps every block and
unblock it has seen and derives its intervals from them sorted by occurred_at, so the
intervals do not depend on the order in which the events arrived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from events.models import TaskBlocked, TaskUnblocked
from projections.clock import utc_iso
from projections.contributor_daily import Store
from projections.store import sync_member


@dataclass(frozen=True, slots=True)
class BlockedInterval:
    """One block of a task: from `started_at` to `ended_at` (None while open)."""

    org_id: str
    task_id: str
    project_id: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    blocked_by_team_id: str | None
    reason: str | None

    def hours(self, now: dt.datetime) -> float:
        """Hours blocked, up to `now` (event time) while the block is open."""
        end = self.ended_at or now
        return max(0.0, (end - self.started_at).total_seconds() / 3600)


def task_key(org_id: str, task_id: str) -> str:
    """Store key of a task's block history."""
    return f"task|{org_id}|{task_id}"


def apply(store: Store, event: TaskBlocked | TaskUnblocked) -> bool:
    """Record a block or unblock of a task; return False when it was already known."""
    key = task_key(event.org_id, event.task_id)
    marks: list[list[Any]] = store.get(key) or []
    if isinstance(event, TaskBlocked):
        mark = [
            utc_iso(event.occurred_at),
            event.event_id,
            "blocked",
            event.project_id,
            event.blocked_by_team_id,
            event.reason,
        ]
    else:
        mark = [
            utc_iso(event.occurred_at),
            event.event_id,
            "unblocked",
            event.project_id,
            None,
            None,
        ]
    if mark in marks:
        return False
    store[key] = sorted([*marks, mark], key=lambda m: m[:2])
    return True


def intervals(store: Store, org_id: str, task_id: str) -> list[BlockedInterval]:
    """The task's blocked intervals in event time, oldest first."""
    result: list[BlockedInterval] = []
    open_block: list[Any] | None = None
    for at, _event_id, kind, project_id, team, reason in store.get(task_key(org_id, task_id)) or []:
        if kind == "blocked" and open_block is None:
            open_block = [at, project_id, team, reason]
        elif kind == "unblocked" and open_block is not None:
            # A block ended at the instant it started blocked nothing; kept, it would share
            # its start (the row key) with the block that follows at that instant.
            if at != open_block[0]:
                result.append(_interval(org_id, task_id, open_block, at))
            open_block = None
    if open_block is not None:
        result.append(_interval(org_id, task_id, open_block, None))
    return result


def _interval(org_id: str, task_id: str, block: list[Any], end: str | None) -> BlockedInterval:
    started, project_id, team, reason = block
    return BlockedInterval(
        org_id,
        task_id,
        project_id,
        dt.datetime.fromisoformat(started),
        dt.datetime.fromisoformat(end) if end else None,
        team,
        reason,
    )


def open_tasks_key(org_id: str) -> str:
    """Store key of the org's tasks that are blocked now."""
    return f"opentasks|{org_id}"


def sync_open(store: Store, org_id: str, task_id: str) -> None:
    """Keep the org's set of blocked tasks in line with the task's marks."""
    found = intervals(store, org_id, task_id)
    is_open = bool(found) and found[-1].ended_at is None
    sync_member(store, open_tasks_key(org_id), task_id, is_open)


def open_tasks(store: Store, org_id: str) -> list[str]:
    """Tasks of the org with an open block."""
    return list(store.get(open_tasks_key(org_id)) or [])


def absorbed_starts(store: Store, org_id: str, task_id: str) -> list[dt.datetime]:
    """Block times that do not start an interval (the task was already blocked then)."""
    starts = {i.started_at for i in intervals(store, org_id, task_id)}
    marks = store.get(task_key(org_id, task_id)) or []
    return sorted({dt.datetime.fromisoformat(m[0]) for m in marks if m[2] == "blocked"} - starts)
