"""The durable outbox: one SQLite row per (channel, alert_id, status, severity, updated_at).

A state change is identified by its alert, status, severity and event time, so a
warning that comes back after a critical is a new row, while a redelivered change (the
pipeline resends the same record) is not, before and after a restart. Rows are delivered
per channel in the order they were queued (`seq`), so a channel never sees an
alert resolved before it fired. A row is `pending` until delivered (`delivered`) or
refused for good (`rejected`); rows are kept, so the dedup holds for the file's lifetime.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    -- INTEGER PRIMARY KEY is the rowid: the queue order, stable across VACUUM.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    alert TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    queued_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (channel, alert_id, status, severity, updated_at)
);
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries (channel, state, seq);
"""

STATES = ("pending", "delivered", "rejected")


@dataclass(frozen=True)
class Delivery:
    """One queued delivery of an alert state to a channel."""

    seq: int
    channel: str
    alert: dict[str, Any]
    attempts: int


class Outbox:
    """SQLite outbox; every call is one short local transaction, no network.

    Use it from one thread (the dispatcher's event loop).
    """

    def __init__(self, path: Path | str) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # A queued alert survives a power loss, not only a crash: the worker may commit
        # its Kafka offset right after submit().
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.closed = False

    def close(self) -> None:
        """Close the database; rows stay on disk."""
        self._db.close()
        self.closed = True

    def add(self, channels: Iterable[str], alert: Mapping[str, Any]) -> int:
        """Queue the alert for each channel; returns how many rows are new."""
        body = json.dumps(alert, sort_keys=True, default=str)
        now = _now()
        key = (
            str(alert["alert_id"]),
            str(alert["status"]),
            str(alert["severity"]),
            str(alert.get("updated_at") or ""),
        )
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO deliveries"
                " (channel, alert_id, status, severity, updated_at, alert, queued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(channel, *key, body, now) for channel in channels],
            )
            return self._db.total_changes - before

    def next_pending(self, channel: str) -> Delivery | None:
        """The oldest pending row of the channel, if any."""
        row = self._db.execute(
            "SELECT seq, alert, attempts FROM deliveries"
            " WHERE channel = ? AND state = 'pending' ORDER BY seq LIMIT 1",
            (channel,),
        ).fetchone()
        if row is None:
            return None
        return Delivery(seq=row[0], channel=channel, alert=json.loads(row[1]), attempts=row[2])

    def delivered(self, seq: int) -> None:
        """Mark a row delivered."""
        self._finish(seq, "delivered", None)

    def rejected(self, seq: int, error: str) -> None:
        """Set a row aside for good: the channel refused this very message."""
        self._finish(seq, "rejected", error)

    def failed(self, seq: int, error: str) -> int:
        """Record a failed attempt; returns the row's attempts so far."""
        with self._db:
            row = self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?"
                " WHERE seq = ? RETURNING attempts",
                (error, seq),
            ).fetchone()
        return int(row[0])

    def counts(self) -> dict[str, dict[str, int]]:
        """Per channel, the number of rows in each state."""
        result: dict[str, dict[str, int]] = {}
        for channel, state, n in self._db.execute(
            "SELECT channel, state, count(*) FROM deliveries GROUP BY channel, state"
        ):
            result.setdefault(channel, dict.fromkeys(STATES, 0))[state] = n
        return result

    def firing(self, channel: str) -> list[dict[str, Any]]:
        """Alerts whose latest delivered state on the channel is firing."""
        rows = self._db.execute(
            "SELECT d.alert FROM deliveries d JOIN ("
            "  SELECT alert_id, max(seq) AS seq FROM deliveries"
            "  WHERE channel = ? AND state = 'delivered' GROUP BY alert_id"
            ") latest ON d.seq = latest.seq WHERE d.status = 'firing' ORDER BY d.seq",
            (channel,),
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def _finish(self, seq: int, state: str, error: str | None) -> None:
        with self._db:
            self._db.execute(
                "UPDATE deliveries SET state = ?, done_at = ?,"
                " last_error = coalesce(?, last_error) WHERE seq = ?",
                (state, _now(), error, seq),
            )


def _now() -> str:
    return datetime.now(UTC).isoformat()
