"""Operating decisions per org: which alerts they answered, for the `decision_gap` pattern.

A decision is grounded when it names at least one alert. Keyed by decision_id, so a
redelivered decision changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from events.models import DecisionRecorded
from projections.clock import utc_iso
from projections.contributor_daily import Store


def decisions_key(org_id: str) -> str:
    """Store key of the org's decisions: decision_id -> [occurred_at, kind, alert_ids, note,
    decided_by, [occurred_at, event_id]]."""
    return f"decisions|{org_id}"


def first_event_key(org_id: str) -> str:
    """Store key of the earliest occurred_at accepted for the org."""
    return f"first_event|{org_id}"


def apply(store: Store, event: DecisionRecorded) -> bool:
    """Record a decision; False when it changes nothing.

    Two different events with one decision_id: the earliest (occurred_at, event_id) holds,
    whatever order they arrive in."""
    key = decisions_key(event.org_id)
    known: dict[str, list[Any]] = store.get(key) or {}
    stamp = [utc_iso(event.occurred_at), event.event_id]
    held = known.get(event.decision_id)
    if held is not None and held[5] <= stamp:
        return False
    entry = [
        stamp[0],
        event.kind,
        sorted(set(event.alert_ids)),
        event.note,
        event.decided_by,
        stamp,
    ]
    store[key] = {**known, event.decision_id: entry}
    return True


def note_event_time(store: Store, org_id: str, occurred_at: dt.datetime) -> None:
    """Keep the org's earliest event time (the start of its 90-day clock)."""
    key = first_event_key(org_id)
    stamp = utc_iso(occurred_at)
    first = store.get(key)
    if first is None or stamp < first:
        store[key] = stamp


def first_event_at(store: Store, org_id: str) -> dt.datetime | None:
    """The org's earliest accepted event time, or None before its first event."""
    stamp = store.get(first_event_key(org_id))
    return dt.datetime.fromisoformat(stamp) if stamp else None


def grounded_alert_ids(store: Store, org_id: str) -> set[str]:
    """Every alert id some decision of the org names."""
    known: dict[str, list[object]] = store.get(decisions_key(org_id)) or {}
    found: set[str] = set()
    for entry in known.values():
        found |= set(entry[2])  # type: ignore[call-overload]
    return found


def grounded_count(store: Store, org_id: str) -> int:
    """How many of the org's decisions name at least one alert."""
    known: dict[str, list[object]] = store.get(decisions_key(org_id)) or {}
    return sum(1 for entry in known.values() if entry[2])


@dataclass(frozen=True, slots=True)
class Decision:
    """A recorded operating decision."""

    org_id: str
    decision_id: str
    kind: str
    alert_ids: list[str]
    note: str | None
    decided_by: str
    decided_at: dt.datetime


def decision(store: Store, org_id: str, decision_id: str) -> Decision | None:
    """A decision of the org by id, or None if unknown."""
    entry = (store.get(decisions_key(org_id)) or {}).get(decision_id)
    if entry is None:
        return None
    at, kind, alert_ids, note, decided_by, _stamp = entry
    return Decision(
        org_id, decision_id, kind, list(alert_ids), note, decided_by, dt.datetime.fromisoformat(at)
    )
