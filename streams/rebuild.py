"""Recompute every projection table from the event store (`events`).

The rebuild folds the stored events with the same pure folds as the worker, into an
in-memory store, computes the rows of everything they touch with `sinks.snapshot` (the
worker's row code), then replaces the projection tables' contents: the tables end up
exactly as the events say, whatever the live path wrote before. Run it with the worker
stopped: it empties and refills the tables.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from events.models import EVENT_ADAPTER
from projections import fold
from sinks.clickhouse import Warehouse
from sinks.snapshot import PROJECTION_TABLES, Snapshots

READ_CHUNK = 50_000
WRITE_CHUNK = 50_000

Progress = Callable[[str, int, int], None]
"""Called with (phase, done, total) as the rebuild advances."""


@dataclass
class RebuildResult:
    """What a rebuild read and wrote."""

    events: int = 0
    invalid: list[str] = field(default_factory=list)
    """Stored events that no longer validate (accepted by an older contract): not folded,
    one line each (event id or the start of the JSON, and the problem)."""
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def rebuild(
    warehouse: Warehouse, first_look: dt.timedelta, progress: Progress | None = None
) -> RebuildResult:
    """Fold every stored event and replace the projection tables with the result."""
    started = time.perf_counter()
    report = progress or (lambda _phase, _done, _total: None)
    total = int(warehouse.query("SELECT count() FROM events FINAL").rows[0][0])
    store: dict[str, Any] = {}
    touched = fold.Touched()
    done = 0
    invalid: list[str] = []
    for payload in _stored_payloads(warehouse):
        try:
            event = EVENT_ADAPTER.validate_json(payload)
        except ValidationError as error:
            invalid.append(f"{payload[:120]}: {error.errors(include_url=False)[0]['msg']}")
        else:
            fold.apply(store, event, touched)
        done += 1
        if done % 5_000 == 0:
            report("folding events", done, total)
    report("folding events", done, total)
    rows = Snapshots(store, first_look).rows(touched, time.time_ns())
    row_total = sum(len(table_rows) for table_rows in rows.values())
    for table in PROJECTION_TABLES:
        warehouse.command(f"TRUNCATE TABLE IF EXISTS {table}")
    written = 0
    for table, table_rows in rows.items():
        for start in range(0, len(table_rows), WRITE_CHUNK):
            chunk = table_rows[start : start + WRITE_CHUNK]
            warehouse.insert(table, chunk)
            written += len(chunk)
            report("writing rows", written, row_total)
    report("writing rows", written, row_total)
    return RebuildResult(
        events=done,
        invalid=invalid,
        rows={table: len(table_rows) for table, table_rows in rows.items()},
        seconds=time.perf_counter() - started,
    )


def _stored_payloads(warehouse: Warehouse) -> Iterator[str]:
    """Every stored event's JSON, in event-time order per org, read in keyset pages."""
    after: tuple[str, int, str] | None = None
    while True:
        where = ""
        params: dict[str, Any] = {"limit": READ_CHUNK}
        if after is not None:
            where = (
                "WHERE (org_id, toUnixTimestamp64Micro(occurred_at), event_id) > "
                "({org:String}, {at:Int64}, {event:String})"
            )
            params.update(org=after[0], at=after[1], event=after[2])
        page = warehouse.query(
            "SELECT org_id, toUnixTimestamp64Micro(occurred_at), event_id, payload "
            f"FROM events FINAL {where} ORDER BY org_id, occurred_at, event_id "
            "LIMIT {limit:UInt32}",
            params,
        ).rows
        for _org, _at, _event, payload in page:
            yield payload
        if len(page) < READ_CHUNK:
            return
        org_id, occurred_at, event_id, _payload = page[-1]
        after = (org_id, occurred_at, event_id)
