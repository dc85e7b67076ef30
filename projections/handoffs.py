"""Handoffs between teams: requested, accepted, completed, and how late.

A handoff is identified by handoff_id. Each step keeps its earliest report (a repeated
`handoff.completed` does not move the completion), and the request keeps its earliest
version, so any arrival order of the same events gives the same handoff. A handoff is
late when completed after due_at, and overdue while open past due_at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from events.models import HandoffAccepted, HandoffCompleted, HandoffRequested
from projections.clock import utc_iso
from projections.contributor_daily import Store
from projections.store import sync_member

HandoffEvent = HandoffRequested | HandoffAccepted | HandoffCompleted


@dataclass(frozen=True, slots=True)
class Handoff:
    """A handoff's route, due time and steps; steps not reported yet are None."""

    org_id: str
    handoff_id: str
    project_id: str | None
    task_id: str | None
    from_team_id: str | None
    to_team_id: str | None
    due_at: dt.datetime | None
    requested_at: dt.datetime | None
    accepted_at: dt.datetime | None
    completed_at: dt.datetime | None

    @property
    def route(self) -> str | None:
        """`FROM_TEAM->TO_TEAM`, the subject of route alerts."""
        if self.from_team_id is None or self.to_team_id is None:
            return None
        return f"{self.from_team_id}->{self.to_team_id}"

    def hours_late(self, now: dt.datetime) -> float:
        """Hours past due_at: at completion, or at `now` while open; 0 when on time."""
        if self.due_at is None:
            return 0.0
        end = self.completed_at or now
        return max(0.0, (end - self.due_at).total_seconds() / 3600)

    @property
    def completed_late(self) -> bool:
        """Completed after its due time."""
        return bool(self.completed_at and self.due_at and self.completed_at > self.due_at)

    def overdue(self, now: dt.datetime) -> bool:
        """Still open past its due time at `now`."""
        return self.completed_at is None and self.due_at is not None and now > self.due_at


def handoff_key(org_id: str, handoff_id: str) -> str:
    """Store key of a handoff."""
    return f"handoff|{org_id}|{handoff_id}"


_STEPS = {
    "handoff.requested": "requested",
    "handoff.accepted": "accepted",
    "handoff.completed": "completed",
}


def apply(store: Store, event: HandoffEvent) -> bool:
    """Record a step of a handoff; return False when it changes nothing."""
    if isinstance(event, HandoffRequested):
        _index_route(store, event)
    key = handoff_key(event.org_id, event.handoff_id)
    state: dict[str, Any] = store.get(key) or {}
    step = _STEPS[event.type]
    stamp = [utc_iso(event.occurred_at), event.event_id]
    if step in state and state[step]["at"] <= stamp:
        return False
    report: dict[str, Any] = {"at": stamp}
    if isinstance(event, HandoffRequested):
        report.update(
            project_id=event.project_id,
            task_id=event.task_id,
            from_team_id=event.from_team_id,
            to_team_id=event.to_team_id,
            due_at=utc_iso(event.due_at),
        )
    store[key] = {**state, step: report}
    return True


def handoff(store: Store, org_id: str, handoff_id: str) -> Handoff | None:
    """The handoff as its events describe it, or None if none was seen."""
    state = store.get(handoff_key(org_id, handoff_id))
    if not state:
        return None
    request = state.get("requested", {})

    def at(step: str) -> dt.datetime | None:
        return dt.datetime.fromisoformat(state[step]["at"][0]) if step in state else None

    due = request.get("due_at")
    return Handoff(
        org_id,
        handoff_id,
        request.get("project_id"),
        request.get("task_id"),
        request.get("from_team_id"),
        request.get("to_team_id"),
        dt.datetime.fromisoformat(due) if due else None,
        at("requested"),
        at("accepted"),
        at("completed"),
    )


def open_key(org_id: str) -> str:
    """Store key of the org's handoffs not completed yet."""
    return f"openhandoffs|{org_id}"


def sync_open(store: Store, org_id: str, handoff_id: str) -> None:
    """Keep the org's set of open handoffs in line with the handoff's steps."""
    found = handoff(store, org_id, handoff_id)
    is_open = found is not None and found.completed_at is None
    sync_member(store, open_key(org_id), handoff_id, is_open)


def open_handoffs(store: Store, org_id: str) -> list[str]:
    """Handoffs of the org not completed yet."""
    return list(store.get(open_key(org_id)) or [])


def routes_key(org_id: str) -> str:
    """Store key of the routes (`FROM->TO`) the org's handoff requests named."""
    return f"handoffroutes|{org_id}"


def route_key(org_id: str, route: str) -> str:
    """Store key of the handoffs a request put on a route."""
    return f"routehandoffs|{org_id}|{route}"


def _index_route(store: Store, event: HandoffRequested) -> None:
    # Every request is indexed, even one that arrives after an earlier version of the
    # same request: the index is grow-only (order-independent), and readers keep the
    # handoffs whose route (from the earliest request) is the one they read.
    route = f"{event.from_team_id}->{event.to_team_id}"
    sync_member(store, routes_key(event.org_id), route, True)
    sync_member(store, route_key(event.org_id, route), event.handoff_id, True)


def routes(store: Store, org_id: str) -> list[str]:
    """Every route the org's handoff requests named, sorted."""
    return list(store.get(routes_key(org_id)) or [])


def route_handoffs(store: Store, org_id: str, route: str) -> list[Handoff]:
    """The handoffs on a route (by their earliest request), sorted by handoff_id."""
    found = (handoff(store, org_id, h) for h in store.get(route_key(org_id, route)) or [])
    return [h for h in found if h is not None and h.route == route]
