"""Crash recovery: kill -9 the worker while it runs, restart it, and get a clean run's tables."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import time
from collections import defaultdict
from typing import Any

import orjson
import pytest

from streams.localstack import LocalWorker
from streams.processes import process_alive
from streams.publish import publish_lines, wait_until_processed
from streams.reader import WorkerReader
from tests.factories import raw
from tests.integration.conftest import WorkerFactory

pytestmark = pytest.mark.integration

EVENTS = 80_000
REDELIVERED = 2_000
KILLS = 3


def workload(seed: int = 11) -> list[bytes]:
    """Entries with amendments, stale revisions and deletions, plus exact redeliveries.

    Each (entry, revision) pair occurs once: equal revisions make the outcome depend on
    arrival order (the first one wins), which would leave no single expected result.
    """
    rng = random.Random(seed)
    used: dict[str, set[int]] = defaultdict(set)
    lines: list[bytes] = []
    for i in range(EVENTS):
        entry = f"e{rng.randrange(EVENTS // 3)}"
        free = [r for r in range(1, 9) if r not in used[entry]]
        if not free:
            continue
        revision = rng.choice(free)
        used[entry].add(revision)
        if rng.random() < 0.1:
            lines.append(raw("time.deleted", event_id=f"d{i}", entry_id=entry, revision=revision))
        else:
            lines.append(
                raw(
                    "time.logged",
                    event_id=f"l{i}",
                    entry_id=entry,
                    revision=revision,
                    contributor_id=f"c{rng.randrange(300)}",
                    work_date=f"2026-03-{rng.randint(1, 28):02d}",
                    occurred_at="2026-03-30T12:00:00Z",
                    minutes=rng.randint(1, 600),
                    billable=True,
                )
            )
    return lines + rng.sample(lines, REDELIVERED)


def expected_minutes(lines: list[bytes]) -> dict[tuple[str, str], int]:
    """Minutes per contributor day from each entry's highest revision, recounted here
    without the projection code."""
    latest: dict[str, dict[str, Any]] = {}
    for line in lines:
        e = orjson.loads(line)
        if e["entry_id"] not in latest or e["revision"] > latest[e["entry_id"]]["revision"]:
            latest[e["entry_id"]] = e
    days: dict[tuple[str, str], int] = defaultdict(int)
    for e in latest.values():
        if e["type"] == "time.logged":
            days[(e["contributor_id"], e["work_date"])] += e["minutes"]
    return dict(days)


def test_kill_9_while_running_then_restart_gives_the_clean_tables(
    start_worker: WorkerFactory,
) -> None:
    lines = workload()
    settings = start_worker()
    result = asyncio.run(publish_lines(settings, iter(enumerate(lines, start=1))))
    assert result.published == len(lines)

    rng = random.Random(3)
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.5, 3.0))
        pid = LocalWorker(settings).running_pid()
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        while process_alive(pid):
            time.sleep(0.05)
        start_worker(settings)

    asyncio.run(wait_until_processed(settings, result, timeout=600))
    reader = WorkerReader(settings)
    try:
        rows = reader.query(
            "SELECT contributor_id, toString(work_date), logged_minutes FROM contributor_daily "
            "FINAL WHERE logged_minutes > 0"
        ).rows
        stored = reader.query("SELECT count(), uniqExact(event_id) FROM events FINAL").rows
        weekly = reader.query(
            "SELECT contributor_id, toString(week_start), round(logged_hours * 60) "
            "FROM contributor_weekly FINAL WHERE logged_hours > 0"
        ).rows
    finally:
        reader.close()
    expected = expected_minutes(lines)
    assert {(r[0], r[1]): r[2] for r in rows} == expected
    by_week: dict[tuple[str, str], int] = defaultdict(int)
    for (contributor, day), minutes in expected.items():
        monday = dt.date.fromisoformat(day) - dt.timedelta(
            days=dt.date.fromisoformat(day).weekday()
        )
        by_week[(contributor, monday.isoformat())] += minutes
    assert {(r[0], r[1]): int(r[2]) for r in weekly} == dict(by_week)
    unique = len(lines) - REDELIVERED
    assert stored == [(unique, unique)]
