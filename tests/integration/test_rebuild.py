"""`worksignals rebuild` gives the tables the live path gave, from the event store alone."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
from typing import Any

import pytest

from sinks.clickhouse import Warehouse
from sinks.snapshot import PROJECTION_TABLES
from streams.cli import cmd_rebuild
from streams.localstack import LocalWorker
from streams.publish import publish_lines, wait_until_processed
from streams.reader import WorkerReader
from streams.sample import sample_lines
from streams.settings import Settings
from tests.integration.conftest import WorkerFactory

pytestmark = pytest.mark.integration


def table_contents(read: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection table's final rows without the version column, sorted."""
    contents = {}
    for table in PROJECTION_TABLES:
        result = read(f"SELECT * FROM {table} FINAL")
        keep = [i for i, name in enumerate(result.columns) if name != "version"]
        contents[table] = sorted(
            (tuple(_rounded(row[i]) for i in keep) for row in result.rows), key=repr
        )
    return contents


def _rounded(value: Any) -> Any:
    """Values as both the worker's JSON endpoint and clickhouse-connect give them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 9)
    if isinstance(value, dict):
        return tuple(sorted((k, _rounded(v)) for k, v in value.items()))
    return value


def test_rebuild_reproduces_the_live_tables(start_worker: WorkerFactory) -> None:
    settings = start_worker()
    result = asyncio.run(publish_lines(settings, iter(enumerate(sample_lines(), start=1))))
    asyncio.run(wait_until_processed(settings, result, timeout=120))
    reader = WorkerReader(settings)
    try:
        live = table_contents(reader.query)
    finally:
        reader.close()
    LocalWorker(settings).stop()
    assert all(live[table] for table in PROJECTION_TABLES), "the sample fills every table"

    # Leave a stale row behind: the rebuild must replace the tables, not add to them.
    warehouse = Warehouse(settings.clickhouse)
    try:
        warehouse.insert(
            "contributor_daily",
            [
                (
                    "acme",
                    "ghost",
                    dt.date(2026, 11, 2),
                    60,
                    60,
                    1.0,
                    1.0,
                    0.0,
                    1,
                    dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
                    dt.datetime(2026, 11, 3, tzinfo=dt.UTC),
                    1,
                )
            ],
        )
    finally:
        warehouse.close()

    assert cmd_rebuild(settings, argparse.Namespace()) == 0

    warehouse = Warehouse(settings.clickhouse)
    try:
        rebuilt = table_contents(warehouse.query)
    finally:
        warehouse.close()
    for table in PROJECTION_TABLES:
        assert rebuilt[table] == live[table], table


def test_rebuild_refuses_while_the_worker_holds_the_embedded_database(
    start_worker: WorkerFactory,
) -> None:
    settings: Settings = start_worker()
    assert cmd_rebuild(settings, argparse.Namespace()) == 1
