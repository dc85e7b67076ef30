"""ClickHouse through clickhouse-connect: embedded chDB (`chdb:///path`) or a server (`http://`).

One `Warehouse` per process owns the connection. chDB allows a single process per
path, and its client is not safe to share between threads, so every call is
serialised by a lock; async callers run the calls in a thread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from projections.patterns.lifecycle import ALERT_FIELDS
from streams.settings import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "deploy" / "clickhouse"
"""Ordered DDL files, applied by `worksignals migrate`."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "events": (
        "org_id",
        "event_id",
        "type",
        "occurred_at",
        "payload",
        "topic",
        "partition",
        "offset",
        "ingested_at",
        "keep",
    ),
    "rejected_events": (
        "topic",
        "partition",
        "offset",
        "org_id",
        "reason",
        "message",
        "raw",
        "raw_bytes",
        "rejected_at",
    ),
    "contributor_daily": (
        "org_id",
        "contributor_id",
        "work_date",
        "logged_minutes",
        "billable_minutes",
        "logged_hours",
        "billable_hours",
        "non_billable_hours",
        "entries",
        "computed_at",
        "visible_to_ops_at",
        "version",
    ),
    "contributor_weekly": (
        "org_id",
        "contributor_id",
        "team_id",
        "week_start",
        "logged_hours",
        "billable_hours",
        "non_billable_hours",
        "available_hours",
        "utilization",
        "load",
        "target_utilization",
        "cross_team_hours",
        "cross_team_unbilled_hours",
        "hours_by_project",
        "trailing_logged_hours",
        "trailing_billable_hours",
        "trailing_available_hours",
        "trailing_utilization",
        "computed_at",
        "visible_to_ops_at",
        "version",
    ),
    "project_weekly": (
        "org_id",
        "project_id",
        "week_start",
        "billing",
        "currency",
        "hours",
        "billable_hours",
        "non_billable_hours",
        "contributors",
        "earned_revenue",
        "cost",
        "uncosted_hours",
        "computed_at",
        "version",
    ),
    "project_status": (
        "org_id",
        "project_id",
        "name",
        "team_id",
        "billing",
        "currency",
        "planned_hours",
        "consumed_hours",
        "billable_hours",
        "consumed_share",
        "start_date",
        "end_date",
        "as_of",
        "elapsed_share",
        "burn_rate_hours_per_week",
        "run_out_date",
        "earned_revenue",
        "cost",
        "uncosted_hours",
        "margin",
        "target_margin",
        "scope_creep",
        "replanned_at",
        "computed_at",
        "version",
    ),
    "blocked_intervals": (
        "org_id",
        "task_id",
        "started_at",
        "project_id",
        "ended_at",
        "is_open",
        "hours_blocked",
        "blocked_by_team_id",
        "reason",
        "as_of",
        "version",
        "is_deleted",
    ),
    "handoffs": (
        "org_id",
        "handoff_id",
        "project_id",
        "task_id",
        "from_team_id",
        "to_team_id",
        "route",
        "requested_at",
        "accepted_at",
        "completed_at",
        "due_at",
        "status",
        "completed_late",
        "overdue",
        "hours_late",
        "as_of",
        "version",
    ),
    "decisions": (
        "org_id",
        "decision_id",
        "kind",
        "alert_ids",
        "note",
        "decided_by",
        "decided_at",
        "version",
    ),
    "alerts": (*ALERT_FIELDS, "version"),
}
"""Columns written by the pipeline, per table, in insert order."""

# Inserts are synchronous and deduplicated where the server supports it; recent servers
# default async_insert to 1, which would acknowledge rows before they are stored.
_INSERT_SETTINGS = {"async_insert": 0}

Rows = Sequence[Sequence[Any]]
TableBatch = Mapping[str, Rows]
"""Rows per table name, each row in the order of COLUMNS[table]."""


class WarehouseError(RuntimeError):
    """A ClickHouse call failed; the message names the statement or table."""


class Sink(Protocol):
    """Where batches of rows go. Implementations: Warehouse (ClickHouse), MemorySink."""

    def write(self, batch: TableBatch) -> None:
        """Store every row of the batch, or raise; a retried batch must not double count."""


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of a query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


def connect(url: str) -> Client:
    """A clickhouse-connect client for `chdb:///abs/path`, `chdb://memory` or `http(s)://`."""
    if url.startswith("chdb:"):
        path = url.removeprefix("chdb://")
        if path.startswith("/"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        return clickhouse_connect.get_client(dsn=url)
    except Exception as error:  # the chDB backend raises plain exceptions on open
        raise WarehouseError(f"cannot open ClickHouse at {redact(url)}: {error}") from error


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


class Warehouse:
    """The process's ClickHouse connection: inserts, read-only queries and migrations."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = connect(url)
        self._lock = threading.Lock()

    def write(self, batch: TableBatch) -> None:
        """Insert the rows of each table of the batch (the Sink port)."""
        for table, rows in batch.items():
            if rows:
                self.insert(table, rows)

    def insert(self, table: str, rows: Rows, columns: Sequence[str] | None = None) -> None:
        """Insert rows into a table, columns defaulting to COLUMNS[table]."""
        names = list(columns or COLUMNS[table])
        with self._lock:
            try:
                self._client.insert(table, rows, column_names=names, settings=_INSERT_SETTINGS)
            except ClickHouseError as error:
                raise WarehouseError(f"insert into {table} failed: {error}") from error

    def query(
        self, sql: str, parameters: Mapping[str, Any] | None = None, readonly: bool = True
    ) -> QueryResult:
        """Run a query; with readonly (the default) anything but a read is refused."""
        settings = None
        if readonly:
            ensure_read_only(sql)
            # A server enforces it too. Not chDB: a query refused there leaves its session
            # in readonly mode, and every later insert of the process would fail.
            if not self.url.startswith("chdb:"):
                settings = {"readonly": 1}
        with self._lock:
            try:
                result = self._client.query(
                    sql, parameters=dict(parameters or {}), settings=settings
                )
            except ClickHouseError as error:
                raise WarehouseError(str(error)) from error
        return QueryResult(list(result.column_names), [tuple(row) for row in result.result_rows])

    def command(self, sql: str) -> None:
        """Run a statement that changes the schema or data."""
        with self._lock:
            try:
                self._client.command(sql)
            except ClickHouseError as error:
                raise WarehouseError(f"{error}\nstatement: {sql[:200]}") from error

    def migrate(self, directory: Path = MIGRATIONS_DIR) -> list[str]:
        """Apply the DDL files not applied yet, in name order; return their names."""
        self.command(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
            "ENGINE = ReplacingMergeTree ORDER BY name"
        )
        done = {row[0] for row in self.query("SELECT name FROM schema_migrations FINAL").rows}
        applied = []
        for path in sorted(directory.glob("*.sql")):
            if path.name in done:
                continue
            for statement in split_statements(path.read_text(encoding="utf-8")):
                self.command(statement)
            self.insert("schema_migrations", [[path.name]], columns=["name"])
            applied.append(path.name)
        return applied

    def close(self) -> None:
        """Release the connection (and the chDB path)."""
        with self._lock:
            self._client.close()


_READ_VERBS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS")


def ensure_read_only(sql: str) -> None:
    """Raise WarehouseError unless `sql` is one read statement (SELECT, SHOW, ...)."""
    code = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S).strip().rstrip(";").strip()
    words = re.findall(r"[A-Za-z_]+", code.lstrip("("))
    if not words or words[0].upper() not in _READ_VERBS:
        raise WarehouseError(f"readonly: only read queries are allowed ({', '.join(_READ_VERBS)})")
    bare = _without_strings(code)
    if ";" in bare:
        raise WarehouseError("readonly: one statement at a time")
    if re.search(r"\bINTO\s+OUTFILE\b", bare, flags=re.I):
        raise WarehouseError("readonly: INTO OUTFILE writes a file")


def _without_strings(code: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'", "''", code)


def split_statements(text: str) -> list[str]:
    """Split a DDL file into statements at semicolons that end a line."""
    parts = re.split(r";[ \t]*(?:\n|$)", text)
    statements = []
    for part in parts:
        code = "\n".join(line for line in part.splitlines() if not line.strip().startswith("--"))
        if code.strip():
            statements.append(code.strip())
    return statements


class MemorySink:
    """An in-memory Sink for tests: keeps every row written, per table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def write(self, batch: TableBatch) -> None:
        """Record the rows as dicts keyed by column name."""
        for table, rows in batch.items():
            names = COLUMNS[table]
            self.tables.setdefault(table, []).extend(
                dict(zip(names, row, strict=True)) for row in rows
            )

    def final(
        self, table: str, key: Sequence[str], version: str | None = None
    ) -> list[dict[str, Any]]:
        """Rows as ReplacingMergeTree FINAL would return them: the highest version per key."""
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in self.tables.get(table, []):
            k = tuple(row[c] for c in key)
            if k not in latest or version is None or row[version] >= latest[k][version]:
                latest[k] = row
        return list(latest.values())
