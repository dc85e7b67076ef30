"""Scale out: stream workers share the partitions and a sink writes their rows to chDB; the
tables are exactly those one worker produces from the same events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from streams.processes import free_port
from streams.publish import publish_lines, wait_until_processed
from streams.reader import WorkerReader
from streams.sample import MALFORMED, sample_lines
from streams.settings import Settings
from tests.integration.conftest import WorkerFactory
from tests.integration.test_rebuild import table_contents

pytestmark = pytest.mark.integration

ORGS = [f"org-{i}" for i in range(8)]


def agency_lines() -> list[bytes]:
    """The sample agency once per org (so the per-org state spreads over partitions), with
    the sample's malformed lines."""
    valid = [line for line in sample_lines() if line not in MALFORMED]
    lines = []
    for org in ORGS:
        for line in valid:
            event: dict[str, Any] = orjson.loads(line)
            event["org_id"] = org
            event["event_id"] = f"{org}-{event['event_id']}"
            lines.append(orjson.dumps(event))
    return lines + list(MALFORMED)


def run(settings: Settings, lines: list[bytes]) -> None:
    result = asyncio.run(publish_lines(settings, iter(enumerate(lines, start=1))))
    asyncio.run(wait_until_processed(settings, result, timeout=180))


def read_all(settings: Settings) -> dict[str, Any]:
    """Projection tables, the event store's events and the reject count, via the endpoint."""
    reader = WorkerReader(settings)
    try:
        contents: dict[str, Any] = table_contents(reader.query)
        contents["events"] = sorted(
            tuple(row)
            for row in reader.query("SELECT org_id, event_id, type, payload FROM events FINAL").rows
        )
        contents["rejected"] = reader.query("SELECT count() FROM rejected_events FINAL").rows
    finally:
        reader.close()
    return contents


def projected_events(settings: Settings) -> int:
    health = httpx.get(f"{settings.worker_url}/health", timeout=5).json()
    count: int = health["projection"]["events"]
    return count


@pytest.fixture
def lines() -> Iterator[list[bytes]]:
    yield agency_lines()


def test_stream_workers_with_a_sink_give_the_tables_of_one_worker(
    start_worker: WorkerFactory, tmp_path: Path, lines: list[bytes]
) -> None:
    single = start_worker()
    run(single, lines)
    expected = read_all(single)

    sink = start_worker(role="sink")
    streams = [
        start_worker(
            sink.model_copy(
                update={
                    "role": "stream",
                    "state_dir": tmp_path / f"stream-{i}",
                    "web_port": free_port(),
                }
            )
        )
        for i in range(2)
    ]
    run(sink, lines)
    actual = read_all(sink)

    assert set(actual) == set(expected)
    for table, rows in expected.items():
        assert actual[table] == rows, table
    assert expected["rejected"] == [(len(MALFORMED),)]
    # Both stream workers took part: each folded some of the orgs' events.
    shares = [projected_events(s) for s in streams]
    assert all(share > 0 for share in shares), shares
    assert sum(shares) >= len(lines) - len(MALFORMED)
