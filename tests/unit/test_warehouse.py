"""The ClickHouse warehouse on chDB: migrations, dedup on replay, exact bytes, read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from events import Accepted, Rejected, Source, parse
from projections.contributor_daily import ContributorDay
from sinks.clickhouse import (
    COLUMNS,
    MIGRATIONS_DIR,
    MemorySink,
    Warehouse,
    WarehouseError,
    split_statements,
)
from sinks.rows import contributor_day_row, event_rows, rejected_rows
from tests.factories import raw

NOW = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """One chDB database for the module (a process may open one path at a time)."""
    w = Warehouse(f"chdb://{tmp_path_factory.mktemp('chdb') / 'db'}")
    yield w
    w.close()


def test_migrations_apply_once(warehouse: Warehouse) -> None:
    first = warehouse.migrate()
    assert first == sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    assert warehouse.migrate() == []
    tables = {r[0] for r in warehouse.query("SHOW TABLES").rows}
    assert set(COLUMNS) <= tables


def test_columns_written_exist_in_the_ddl(warehouse: Warehouse) -> None:
    warehouse.migrate()
    tables = {
        r[0]
        for r in warehouse.query(
            "SELECT name FROM system.tables WHERE database = currentDatabase() "
            "AND engine NOT LIKE '%View'"
        ).rows
    }
    # Every table the pipeline fills has its columns listed.
    assert set(COLUMNS) == tables - {"schema_migrations"}
    for table, columns in COLUMNS.items():
        described = [r[0] for r in warehouse.query(f"DESCRIBE TABLE {table}").rows]
        assert list(columns) == [c for c in described if c in columns], table


def accepted(message: bytes, offset: int) -> Accepted:
    parsed = parse(message, Source("events", 0, offset))
    assert isinstance(parsed, Accepted)
    return parsed


def test_the_event_store_keeps_the_first_delivery(warehouse: Warehouse) -> None:
    warehouse.migrate()
    first = accepted(raw("clock.ticked", event_id="dup-1"), 10)
    again = accepted(raw("clock.ticked", event_id="dup-1", source="retry"), 99)
    warehouse.write({"events": event_rows([first], NOW)})
    warehouse.write({"events": event_rows([again], NOW + dt.timedelta(seconds=5))})
    warehouse.write({"events": event_rows([first], NOW + dt.timedelta(seconds=9))})
    rows = warehouse.query("SELECT offset, payload FROM events FINAL WHERE event_id = 'dup-1'").rows
    assert rows == [(10, first.raw.decode())]


def test_rejected_bytes_are_kept_exactly_once_per_record(warehouse: Warehouse) -> None:
    warehouse.migrate()
    message = b'{"event_id": "\xff\xfe\x00", \x80 not json'
    rejected = parse(message, Source("events", 2, 7))
    assert isinstance(rejected, Rejected)
    warehouse.write({"rejected_events": rejected_rows([rejected, rejected], NOW)})
    rows = warehouse.query(
        "SELECT reason, hex(raw), raw_bytes FROM rejected_events FINAL "
        "WHERE partition = 2 AND offset = 7"
    ).rows
    assert rows == [("invalid_json", message.hex().upper(), len(message))]


def test_the_highest_snapshot_version_wins(warehouse: Warehouse) -> None:
    warehouse.migrate()
    at = dt.datetime(2026, 3, 2, 17, tzinfo=dt.UTC)

    def row(minutes: int, version: int) -> tuple[object, ...]:
        day = ContributorDay("acme", "ana", dt.date(2026, 3, 2), minutes, minutes, 1, at)
        return contributor_day_row(day, dt.timedelta(hours=24), version)

    warehouse.write({"contributor_daily": [row(60, 2), row(30, 1)]})
    warehouse.write({"contributor_daily": [row(90, 3)]})
    assert warehouse.query(
        "SELECT logged_minutes, logged_hours, visible_to_ops_at FROM contributor_daily FINAL"
    ).rows == [(90, 1.5, (at + dt.timedelta(hours=24)).replace(tzinfo=None))]  # UTC, naive


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE events",
        "  -- a comment\n INSERT INTO events (org_id) VALUES ('x')",
        "SELECT 1; DROP TABLE events",
        "SELECT 1 INTO OUTFILE '/tmp/out.csv'",
        "ALTER TABLE events DELETE WHERE 1",
        "",
    ],
)
def test_queries_are_read_only_by_default(warehouse: Warehouse, sql: str) -> None:
    warehouse.migrate()
    with pytest.raises(WarehouseError, match=r"(?i)readonly"):
        warehouse.query(sql)
    # A refused query leaves the connection able to write.
    warehouse.command("CREATE TABLE IF NOT EXISTS scratch (x UInt8) ENGINE = Memory")
    warehouse.insert("scratch", [[1]], columns=["x"])
    assert warehouse.query("SELECT {n:UInt8} + 1", {"n": 1}).rows == [(2,)]
    assert warehouse.query("WITH 2 AS two SELECT two; ").rows == [(2,)]
    assert warehouse.query("SELECT ';' AS semicolon").rows == [(";",)]


def test_bad_urls_fail_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="cannot open ClickHouse"):
        Warehouse("http://user:secret@127.0.0.1:1/db")


def test_statement_splitting_ignores_comments() -> None:
    text = (
        "-- a comment; with a semicolon\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\n"
        "CREATE TABLE b (s String DEFAULT 'x;y') ENGINE = Memory;\n"
    )
    assert split_statements(text) == [
        "CREATE TABLE a (x UInt8) ENGINE = Memory",
        "CREATE TABLE b (s String DEFAULT 'x;y') ENGINE = Memory",
    ]


def test_memory_sink_reads_like_final() -> None:
    sink = MemorySink()
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    day = ContributorDay("acme", "ana", dt.date(2026, 3, 2), 60, 60, 1, at)
    sink.write({"contributor_daily": [contributor_day_row(day, dt.timedelta(0), 2)]})
    sink.write({"contributor_daily": [contributor_day_row(day, dt.timedelta(0), 1)]})
    final = sink.final("contributor_daily", ["org_id", "contributor_id", "work_date"], "version")
    assert [r["version"] for r in final] == [2]


def test_team_weekly_sums_members_and_measures_the_spread(warehouse: Warehouse) -> None:
    warehouse.migrate()
    monday = dt.date(2026, 3, 9)

    def member(
        name: str,
        logged: float,
        billable: float,
        available: float,
        version: int,
        team: str = "ops-team",
    ) -> tuple[object, ...]:
        load = logged / available if available else None
        util = billable / available if available else None
        return (
            "acme",
            name,
            team,
            monday,
            logged,
            billable,
            logged - billable,
            available,
            util,
            load,
            0.75,
            0.0,
            0.0,
            {},
            logged,
            billable,
            available,
            util,
            NOW,
            NOW,
            version,
        )

    warehouse.write(
        {
            "contributor_weekly": [
                member("x1", 48.0, 40.0, 40.0, 1),
                member("x2", 20.0, 10.0, 40.0, 1),
                member("x3", 40.0, 30.0, 40.0, 1),
                member("x3", 30.0, 30.0, 40.0, 0),  # an older version: ignored
                member("x4", 0.0, 0.0, 0.0, 1),  # no capacity: counted, no load
                member("y1", 10.0, 10.0, 40.0, 1, team=""),  # no team: not in any team row
            ]
        }
    )
    rows = warehouse.query(
        "SELECT members, members_with_capacity, logged_hours, billable_hours, available_hours, "
        "utilization, min_member_load, max_member_load, round(load_cv, 4) FROM team_weekly "
        "WHERE team_id = 'ops-team'"
    ).rows
    loads = [1.2, 0.5, 1.0]
    mean = sum(loads) / 3
    cv = (sum((x - mean) ** 2 for x in loads) / 3) ** 0.5 / mean
    assert rows == [(4, 3, 108.0, 80.0, 120.0, 80 / 120, 0.5, 1.2, round(cv, 4))]
