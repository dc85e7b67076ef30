"""Time entries folded into per-contributor days.

The fold works on a keyed state store (any MutableMapping of str -> JSON-able values:
a dict in tests, a Faust table in the worker), so state is keyed by what events
identify and a restarted worker recovers it from the changelog.

Rules (contract section 1):
- an entry is identified by entry_id; a higher revision replaces it (it may move to
  another contributor or day), an equal or lower revision changes nothing;
- `time.deleted` removes the entry when its revision is higher than the entry's last;
- a day's figures are the sum of the entries currently on it.

The fold is order-independent for events with distinct revisions: every day an entry
has ever been logged on keeps a record of the entry's current state (present or not),
so the same events in any order, duplicated or split into any batches, give the same
days, including the zero days an entry moved away from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from events.models import TimeDeleted, TimeLogged
from projections.clock import utc_iso

Store = MutableMapping[str, Any]
"""Keyed projection state: str keys, JSON-serialisable values."""

DayKey = tuple[str, str, str]
"""(org_id, contributor_id, work_date ISO)."""


@dataclass(frozen=True, slots=True)
class ContributorDay:
    """One contributor's logged time on one work_date."""

    org_id: str
    contributor_id: str
    work_date: dt.date
    logged_minutes: int
    billable_minutes: int
    entries: int
    computed_at: dt.datetime
    """Event time of the latest change to the day (the latest occurred_at behind it)."""

    @property
    def logged_hours(self) -> float:
        """Logged minutes in hours."""
        return self.logged_minutes / 60

    @property
    def billable_hours(self) -> float:
        """Billable minutes in hours."""
        return self.billable_minutes / 60

    @property
    def non_billable_hours(self) -> float:
        """Logged minus billable hours."""
        return (self.logged_minutes - self.billable_minutes) / 60


def entry_key(org_id: str, entry_id: str) -> str:
    """Store key of an entry's current state."""
    return f"entry|{org_id}|{entry_id}"


def day_key(key: DayKey) -> str:
    """Store key of a contributor day."""
    return "day|" + "|".join(key)


def apply(store: Store, event: TimeLogged | TimeDeleted) -> set[DayKey]:
    """Apply a time event to the store; return the days of the entry it names.

    Even an event that changes nothing brings every day of its entry in line with the
    entry: after a crash, a store can come back with keys from different moments (RocksDB
    ahead, changelog behind), and re-applying the events since the last commit repairs it.
    The days are returned in every case so that their rows are written again.
    """
    ekey = entry_key(event.org_id, event.entry_id)
    entry = store.get(ekey)
    mentioned: list[str] = []
    if isinstance(event, TimeLogged):
        mentioned = [event.contributor_id, event.work_date.isoformat()]

    if entry is None or event.revision > entry["revision"]:
        entry = _next_state(entry, event, mentioned)
    elif mentioned and mentioned not in entry["days"]:
        # An older revision names a day the entry has left: keep a record there too,
        # so the outcome does not depend on which revision arrived first.
        entry = {**entry, "days": sorted([*entry["days"], mentioned])}

    touched = {(event.org_id, contributor, day) for contributor, day in entry["days"]}
    for key in touched:
        _write_day(store, key, event.entry_id, entry)
    # The entry is written last: if a crash keeps the day writes but loses this one,
    # re-applying the event redoes the same day writes.
    if store.get(ekey) != entry:
        store[ekey] = entry
    return touched


class EntryOnDay(NamedTuple):
    """An entry currently on a contributor day (a named tuple: days are read often, and a
    tuple costs a fraction of a frozen dataclass to build)."""

    entry_id: str
    project_id: str
    minutes: int
    billable: bool
    for_team_id: str | None
    changed_at: str
    """Event time of the entry's latest change (fixed-width UTC ISO, so it sorts)."""


def read_day(store: Store, key: DayKey) -> tuple[list[EntryOnDay], dt.datetime | None]:
    """The entries currently on a contributor day (by entry_id), and the event time of the
    day's latest change (None when no entry was ever logged on it)."""
    record = store.get(day_key(key))
    if record is None:
        return [], None
    entries = []
    latest = ""
    for entry_id, (present, minutes, billable, changed_at, project, for_team) in sorted(
        record["entries"].items()
    ):
        if changed_at > latest:
            latest = changed_at
        if present:
            entries.append(EntryOnDay(entry_id, project, minutes, billable, for_team, changed_at))
    return entries, dt.datetime.fromisoformat(latest) if latest else None


def present_entries(store: Store, key: DayKey) -> list[list[Any]]:
    """The stored values `[present, minutes, billable, changed_at, project_id, for_team_id]`
    of the entries currently on a contributor day, in no set order: for callers whose
    results do not depend on it (integer sums, sets, maxima). Cheaper than `read_day`,
    which sorts them and builds an `EntryOnDay` each."""
    record = store.get(day_key(key))
    return [] if record is None else [v for v in record["entries"].values() if v[0]]


def day(store: Store, key: DayKey) -> ContributorDay:
    """The figures of a contributor day from the store."""
    entries, latest = read_day(store, key)
    org_id, contributor_id, work_date = key
    return ContributorDay(
        org_id=org_id,
        contributor_id=contributor_id,
        work_date=dt.date.fromisoformat(work_date),
        logged_minutes=sum(e.minutes for e in entries),
        billable_minutes=sum(e.minutes for e in entries if e.billable),
        entries=len(entries),
        computed_at=latest or _EPOCH,
    )


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _next_state(
    entry: dict[str, Any] | None, event: TimeLogged | TimeDeleted, mentioned: list[str]
) -> dict[str, Any]:
    days = list(entry["days"]) if entry else []
    if mentioned and mentioned not in days:
        days.append(mentioned)
    state: dict[str, Any] = {
        "revision": event.revision,
        "changed_at": utc_iso(event.occurred_at),
        "days": sorted(days),
        "current": None,
    }
    if isinstance(event, TimeLogged):
        state["current"] = {
            "day": mentioned,
            "minutes": event.minutes,
            "billable": event.billable,
            "project_id": event.project_id,
            "for_team_id": event.for_team_id,
        }
    return state


def _write_day(store: Store, key: DayKey, entry_id: str, entry: dict[str, Any]) -> None:
    skey = day_key(key)
    record = store.get(skey) or {"entries": {}}
    current = entry["current"]
    present = current is not None and current["day"] == [key[1], key[2]]
    value = [
        present,
        current["minutes"] if present else 0,
        current["billable"] if present else False,
        entry["changed_at"],
        current["project_id"] if present else None,
        current["for_team_id"] if present else None,
    ]
    if record["entries"].get(entry_id) != value:
        # Faust tables persist on assignment, so write a new value rather than mutate.
        store[skey] = {"entries": {**record["entries"], entry_id: value}}
