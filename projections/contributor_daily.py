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
import zlib
from collections import OrderedDict
from collections.abc import Iterable, MutableMapping
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


ENTRY_PREFIX = "entry|"
"""Prefix of the entries' keys (`entry_key`)."""
PART_PREFIX = "daypart|"
"""Prefix of the split days' parts' keys (`part_key`)."""


def entry_key(org_id: str, entry_id: str) -> str:
    """Store key of an entry's current state."""
    return f"{ENTRY_PREFIX}{org_id}|{entry_id}"


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


class DaySummary(NamedTuple):
    """What the projections read of a contributor day: integer sums of its present entries'
    minutes (so they do not depend on the entries' order) and the latest change. Memoised
    summaries are shared between readers: never change one, or its dicts."""

    logged_minutes: int
    billable_minutes: int
    entries: int
    """Entries currently on the day."""
    latest: str
    """Event time of the day's latest change, of any entry ever on it (fixed-width UTC ISO;
    empty when no entry was ever logged on it)."""
    projects: dict[str, tuple[int, int, str]]
    """Per project: minutes, billable minutes, latest change of its present entries."""
    for_teams: dict[str, tuple[int, int]]
    """Per team the entries were done for (for_team_id): minutes, unbilled minutes."""


EMPTY_DAY = DaySummary(0, 0, 0, "", {}, {})

SPLIT_AT = 16
"""Entries (ever on a day) from which the day is kept in parts: its record then holds only
how many, and each entry's value lives in the part its entry_id hashes to (`part_key`).

A day's record is written whole at every change, to RocksDB and to its changelog. On a
busy day (the alert probes' `day` load collects hundreds of entries per contributor-day)
every take rewrote thousands of records of tens of kilobytes; a part holds a sixteenth.
Entries are never removed from a day, so whether a day is split depends only on the set of
entries ever logged on it, not on their order."""

DAY_PARTS = 16
"""Parts of a split day (the number is kept in its record, which reads and writes use)."""

SUMMARY_MEMO_SIZE = 10_000
"""Split days' summaries kept (`summarize`). A changed day is read by its own row, its
week's row (which reads the week's seven days) and its projects' figures; a day with a
hundred entries was summed again for each."""

_summaries: OrderedDict[str, tuple[Any, DaySummary]] = OrderedDict()
"""Day key -> (the split day's record summarised, its summary), oldest first.

Every write to a part writes the day's record again too (a new, tiny object), so a hit
needs the very record object: a stored record is never changed in place, and holding it
keeps its id from being reused. A restored or re-read record is a new object, summed
again. `_write_part` keeps the entry here right (`_carry_summary`)."""


def part_key(skey: str, part: int) -> str:
    """Store key of a part of the split day at `skey` (`day_key`)."""
    return f"{PART_PREFIX}{skey[4:]}|{part}"


def part_of(entry_id: str, parts: int) -> int:
    """The part of a split day an entry's value lives in: stable across processes (Python's
    own str hash is not)."""
    return zlib.crc32(entry_id.encode()) % parts


def summarize(store: Store, key: DayKey) -> DaySummary:
    """The summary of a contributor day in `store` (memoised per record when split)."""
    skey = day_key(key)
    record = store.get(skey)
    if record is None:
        return EMPTY_DAY
    parts = record.get("parts")
    if parts is None:
        return _summarize(record["entries"].values())
    memo = _summaries.get(skey)
    if memo is not None and memo[0] is record:
        return memo[1]
    found = [store.get(part_key(skey, k)) for k in range(parts)]
    summary = _summarize(v for part in found if part for v in part["entries"].values())
    _remember(skey, record, summary)
    return summary


def _carry_summary(
    skey: str, before: Any, written: dict[str, Any], old: Any, value: list[Any]
) -> None:
    """Keep the memoised summary of a split day right after one entry's value on it changed
    from `old` to `value` (the day's record: `before`, now `written`).

    The new summary is carried over when the memo described the day as it was and the
    change only adds to it (an entry new on the day or coming back to it, no earlier in
    event time); otherwise the day is summed again when it is read."""
    memo = _summaries.get(skey)
    if memo is None or memo[0] is not before or (old is not None and (old[0] or value[3] < old[3])):
        _summaries.pop(skey, None)
        return
    summary = memo[1]
    present, minutes, is_billable, changed_at, project_id, for_team = value
    summary = summary._replace(latest=max(summary.latest, changed_at))
    if present:
        own_billable = minutes if is_billable else 0
        projects, for_teams = dict(summary.projects), dict(summary.for_teams)
        _add_entry(projects, for_teams, minutes, own_billable, changed_at, project_id, for_team)
        summary = DaySummary(
            summary.logged_minutes + minutes,
            summary.billable_minutes + own_billable,
            summary.entries + 1,
            summary.latest,
            projects,
            for_teams,
        )
    _remember(skey, written, summary)


def _remember(skey: str, record: Any, summary: DaySummary) -> None:
    if skey not in _summaries and len(_summaries) >= SUMMARY_MEMO_SIZE:
        # OrderedDict: finding a plain dict's first key scans past every key deleted
        # before it, so evicting the oldest one by one grows slower and slower.
        _summaries.popitem(last=False)
    _summaries[skey] = (record, summary)


def _summarize(values: Iterable[list[Any]]) -> DaySummary:
    logged = billable = count = 0
    latest = ""
    projects: dict[str, tuple[int, int, str]] = {}
    for_teams: dict[str, tuple[int, int]] = {}
    for present, minutes, is_billable, changed_at, project_id, for_team in values:
        if changed_at > latest:
            latest = changed_at
        if not present:
            continue
        own_billable = minutes if is_billable else 0
        count += 1
        logged += minutes
        billable += own_billable
        _add_entry(projects, for_teams, minutes, own_billable, changed_at, project_id, for_team)
    return DaySummary(logged, billable, count, latest, projects, for_teams)


def _add_entry(
    projects: dict[str, tuple[int, int, str]],
    for_teams: dict[str, tuple[int, int]],
    minutes: int,
    own_billable: int,
    changed_at: str,
    project_id: str,
    for_team: str | None,
) -> None:
    """Add a present entry to a summary's per-project and per-team sums."""
    sums = projects.get(project_id)
    projects[project_id] = (
        (minutes, own_billable, changed_at)
        if sums is None
        else (sums[0] + minutes, sums[1] + own_billable, max(sums[2], changed_at))
    )
    if for_team:
        team = for_teams.get(for_team, (0, 0))
        for_teams[for_team] = (team[0] + minutes, team[1] + minutes - own_billable)


def day(store: Store, key: DayKey) -> ContributorDay:
    """The figures of a contributor day from the store."""
    summary = summarize(store, key)
    org_id, contributor_id, work_date = key
    return ContributorDay(
        org_id=org_id,
        contributor_id=contributor_id,
        work_date=dt.date.fromisoformat(work_date),
        logged_minutes=summary.logged_minutes,
        billable_minutes=summary.billable_minutes,
        entries=summary.entries,
        computed_at=dt.datetime.fromisoformat(summary.latest) if summary.latest else _EPOCH,
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
    record = store.get(skey) or _NEW_DAY
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
    if "parts" in record:
        _write_part(store, skey, record, entry_id, value)
        return
    old = record["entries"].get(entry_id)
    if old == value:
        return
    # Faust tables persist on assignment, so write a new value rather than mutate.
    entries = {**record["entries"], entry_id: value}
    if len(entries) >= SPLIT_AT:
        _split(store, skey, entries)
    else:
        store[skey] = {"entries": entries}


def _split(store: Store, skey: str, entries: dict[str, list[Any]]) -> None:
    """Keep the day at `skey` in DAY_PARTS parts from now on.

    Every part is written, empty ones too, so nothing is left of an earlier split that a
    crash lost; the parts reach the store before the day's record (`BufferedStore`'s write
    order), so a record that says split always has its parts."""
    parts: list[dict[str, list[Any]]] = [{} for _ in range(DAY_PARTS)]
    for entry_id, value in entries.items():
        parts[part_of(entry_id, DAY_PARTS)][entry_id] = value
    for part, part_entries in enumerate(parts):
        store[part_key(skey, part)] = {"entries": part_entries}
    store[skey] = {"parts": DAY_PARTS}
    _summaries.pop(skey, None)


def _write_part(
    store: Store, skey: str, record: dict[str, Any], entry_id: str, value: list[Any]
) -> None:
    """Write an entry's value on the split day at `skey` (whose record is `record`) into
    its part, and the day's record again (see `_summaries`)."""
    parts = record["parts"]
    pkey = part_key(skey, part_of(entry_id, parts))
    part = store.get(pkey)
    entries = part["entries"] if part else {}
    old = entries.get(entry_id)
    if old == value:
        return
    store[pkey] = {"entries": {**entries, entry_id: value}}
    written = {"parts": parts}
    store[skey] = written
    _carry_summary(skey, record, written, old, value)


_NEW_DAY: dict[str, Any] = {"entries": {}}
