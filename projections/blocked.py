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
