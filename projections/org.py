"""Per-org facts every projection shares: event-time "now" and the contributors seen.

For each org, "now" is the latest occurred_at accepted so far (contract section 1), so a
replay of the same events moves the clock the same way.
"""

from __future__ import annotations

import datetime as dt

from events.models import BaseEvent
from projections.clock import utc_iso
from projections.contributor_daily import Store
from projections.store import set_entry


def clock_key(org_id: str) -> str:
    """Store key of the org's event-time clock."""
    return f"clock|{org_id}"


def members_key(org_id: str) -> str:
    """Store key of the org's contributors (profiled or logging time)."""
    return f"members|{org_id}"


def advance(store: Store, event: BaseEvent) -> tuple[dt.datetime | None, dt.datetime]:
    """Move the org's clock to the event's occurred_at if later; return (before, after)."""
    key = clock_key(event.org_id)
    before = store.get(key)
    stamp = utc_iso(event.occurred_at)
    if before is None or stamp > before:
        store[key] = stamp
        after = stamp
    else:
        after = before
    return (dt.datetime.fromisoformat(before) if before else None, dt.datetime.fromisoformat(after))


def now(store: Store, org_id: str) -> dt.datetime | None:
    """The org's event-time now, or None before its first event."""
    stamp = store.get(clock_key(org_id))
    return dt.datetime.fromisoformat(stamp) if stamp else None


def add_member(store: Store, org_id: str, contributor_id: str, day: dt.date) -> bool:
    """Remember a contributor and the earliest date they were seen with; False when that
    changes nothing."""
    key = members_key(org_id)
    members: dict[str, str] = store.get(key) or {}
    first = members.get(contributor_id)
    if first is not None and first <= day.isoformat():
        return False
    set_entry(store, key, contributor_id, day.isoformat())
    return True


def members(store: Store, org_id: str) -> dict[str, dt.date]:
    """The org's contributors seen so far, with the earliest date each was seen with."""
    found: dict[str, str] = store.get(members_key(org_id)) or {}
    return {c: dt.date.fromisoformat(d) for c, d in sorted(found.items())}
