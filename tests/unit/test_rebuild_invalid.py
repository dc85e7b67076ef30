"""`worksignals rebuild` skips stored events that an older contract accepted, and says so."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from events.parse import Accepted, Source, parse
from sinks.clickhouse import Warehouse
from sinks.rows import event_rows
from streams.rebuild import rebuild
from tests.factories import raw

NOW = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)


def stored(message: bytes, offset: int, payload: bytes | None = None) -> Accepted:
    """An accepted event as the event store keeps it; `payload` replaces its stored JSON
    (what an older version accepted)."""
    parsed = parse(message, Source("events", 0, offset))
    assert isinstance(parsed, Accepted)
    return Accepted(parsed.event, payload or parsed.raw, parsed.source)


def test_stored_events_that_no_longer_validate_are_listed_not_folded(tmp_path: Path) -> None:
    warehouse = Warehouse(f"chdb://{tmp_path / 'db'}")
    try:
        warehouse.migrate()
        valid = stored(raw("time.logged", event_id="ok", entry_id="e-ok", minutes=90), 1)
        # Accepted before dates had to start on 1970-01-05: its week starts in 1969.
        old = raw("time.logged", event_id="old", entry_id="e-old", work_date="1970-01-02")
        legacy = stored(raw("time.logged", event_id="old", entry_id="e-old"), 2, old)
        warehouse.write({"events": event_rows([valid, legacy], NOW)})

        result = rebuild(warehouse, dt.timedelta(hours=24))

        assert result.events == 2
        assert len(result.invalid) == 1 and '"event_id":"old"' in result.invalid[0]
        assert "1970-01-05" in result.invalid[0]  # the problem, as validation states it
        days = warehouse.query(
            "SELECT work_date, logged_minutes FROM contributor_daily FINAL ORDER BY work_date"
        ).rows
        assert [(str(d), m) for d, m in days] == [("2026-03-02", 90)]
    finally:
        warehouse.close()
