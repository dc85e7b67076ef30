"""Builders of contract events for tests, as JSON bytes or models."""

from __future__ import annotations

import itertools
from typing import Any

import orjson

from events.models import EVENT_ADAPTER, BaseEvent

_ids = itertools.count(1)


def body(event_type: str, /, **fields: Any) -> dict[str, Any]:
    """A valid event document of the given type; fields override the defaults."""
    defaults: dict[str, dict[str, Any]] = {
        "time.logged": {
            "entry_id": "e1",
            "revision": 1,
            "contributor_id": "ana",
            "project_id": "p1",
            "work_date": "2026-03-02",
            "minutes": 60,
            "billable": True,
        },
        "time.deleted": {"entry_id": "e1", "revision": 2},
        "contributor.profiled": {"contributor_id": "ana", "team_id": "design"},
        "contributor.time_off": {"contributor_id": "ana", "date": "2026-03-02"},
        "project.planned": {
            "project_id": "p1",
            "billing": "time_and_materials",
            "planned_hours": 100,
            "start_date": "2026-03-01",
            "end_date": "2026-04-30",
            "bill_rate": 100,
        },
        "task.blocked": {"task_id": "t1", "project_id": "p1"},
        "task.unblocked": {"task_id": "t1", "project_id": "p1"},
        "handoff.requested": {
            "handoff_id": "h1",
            "project_id": "p1",
            "from_team_id": "a",
            "to_team_id": "b",
            "due_at": "2026-03-05T12:00:00Z",
        },
        "handoff.accepted": {"handoff_id": "h1"},
        "handoff.completed": {"handoff_id": "h1"},
        "decision.recorded": {"decision_id": "d1", "kind": "rescope", "decided_by": "ops-lead"},
        "clock.ticked": {},
    }
    document = {
        "event_id": f"ev-{next(_ids)}",
        "type": event_type,
        "occurred_at": "2026-03-02T17:00:00Z",
        "org_id": "acme",
    }
    document.update(defaults[event_type])
    document.update(fields)
    return document


def raw(event_type: str, /, **fields: Any) -> bytes:
    """A valid event of the given type as JSON bytes."""
    return orjson.dumps(body(event_type, **fields))


def event(event_type: str, /, **fields: Any) -> BaseEvent:
    """A valid event of the given type as a model."""
    parsed: BaseEvent = EVENT_ADAPTER.validate_json(raw(event_type, **fields))
    return parsed
