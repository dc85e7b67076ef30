"""Blocked intervals and handoffs: event-time rules, in any arrival order."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from events.models import BaseEvent, TaskBlocked
from projections import blocked, handoffs
from tests.factories import event

T = dt.datetime.fromisoformat


def fold(module: Any, events: list[BaseEvent]) -> dict[str, Any]:
    store: dict[str, Any] = {}
    for e in events:
        module.apply(store, e)
    return store


BLOCKS = [
    event(
        "task.blocked",
        occurred_at="2026-03-02T09:00:00Z",
        reason="waiting for access",
        blocked_by_team_id="it",
    ),
    event("task.blocked", occurred_at="2026-03-02T15:00:00Z"),  # already blocked: nothing
    event("task.unblocked", occurred_at="2026-03-05T09:00:00Z"),
    event("task.unblocked", occurred_at="2026-03-06T09:00:00Z"),  # not blocked: nothing
    event("task.blocked", occurred_at="2026-03-09T12:00:00Z"),
]


def test_a_block_lifted_at_the_instant_it_started_is_no_interval() -> None:
    """Blocked, unblocked and blocked again within one instant: one open block, so no two
    intervals share a start (the row key)."""
    at = "2026-03-02T09:00:00Z"
    store = fold(
        blocked,
        [
            event("task.blocked", event_id="b1", occurred_at=at),
            event("task.unblocked", event_id="b2", occurred_at=at),
            event("task.blocked", event_id="b3", occurred_at=at),
        ],
    )
    [only] = blocked.intervals(store, "acme", "t1")
    assert (only.started_at, only.ended_at) == (T(at), None)
    assert blocked.absorbed_starts(store, "acme", "t1") == []


def test_blocks_in_event_time_whatever_the_arrival_order() -> None:
    for order in itertools.permutations(BLOCKS):
        store = fold(blocked, list(order))
        found = blocked.intervals(store, "acme", "t1")
        assert [(i.started_at, i.ended_at) for i in found] == [
            (T("2026-03-02T09:00:00+00:00"), T("2026-03-05T09:00:00+00:00")),
            (T("2026-03-09T12:00:00+00:00"), None),
        ]
        assert (found[0].reason, found[0].blocked_by_team_id) == ("waiting for access", "it")
        assert found[0].hours(T("2026-03-20T00:00:00+00:00")) == 72.0
        assert found[1].hours(T("2026-03-10T12:00:00+00:00")) == 24.0


def test_a_repeated_block_changes_nothing() -> None:
    store = fold(blocked, BLOCKS[:1])
    first = BLOCKS[0]
    assert isinstance(first, TaskBlocked)
    assert not blocked.apply(store, first)


REQUEST = event(
    "handoff.requested",
    occurred_at="2026-03-02T09:00:00Z",
    due_at="2026-03-04T12:00:00Z",
    from_team_id="design",
    to_team_id="engineering",
)
ACCEPT = event("handoff.accepted", occurred_at="2026-03-03T09:00:00Z")
COMPLETE = event("handoff.completed", occurred_at="2026-03-05T18:00:00Z")
COMPLETE_AGAIN = event("handoff.completed", occurred_at="2026-03-06T18:00:00Z")


def test_handoff_steps_and_lateness_whatever_the_arrival_order() -> None:
    for order in itertools.permutations([REQUEST, ACCEPT, COMPLETE, COMPLETE_AGAIN]):
        h = handoffs.handoff(fold(handoffs, list(order)), "acme", "h1")
        assert h is not None
        assert h.route == "design->engineering"
        assert h.accepted_at == T("2026-03-03T09:00:00+00:00")
        assert h.completed_at == T("2026-03-05T18:00:00+00:00")  # the first completion
        assert h.completed_late and h.hours_late(T("2026-04-01T00:00:00+00:00")) == 30.0


def test_an_open_handoff_becomes_overdue_in_event_time() -> None:
    h = handoffs.handoff(fold(handoffs, [REQUEST, ACCEPT]), "acme", "h1")
    assert h is not None and h.completed_at is None
    assert not h.overdue(T("2026-03-04T12:00:00+00:00"))
    assert h.overdue(T("2026-03-06T12:00:00+00:00"))
    assert h.hours_late(T("2026-03-06T12:00:00+00:00")) == 48.0


def test_a_step_before_the_request_is_kept() -> None:
    h = handoffs.handoff(fold(handoffs, [COMPLETE]), "acme", "h1")
    assert (
        h is not None
        and h.route is None
        and h.due_at is None
        and h.hours_late(T("2026-04-01T00:00:00+00:00")) == 0.0
    )
    assert handoffs.handoff({}, "acme", "h1") is None
