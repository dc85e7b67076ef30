"""The pipeline end to end on the real broker and chDB: hostile input, replays, restarts."""

from __future__ import annotations

import asyncio
import random
import shutil
from collections import Counter
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.localstack import LocalWorker
from streams.publish import PublishResult, outcome, publish_lines, wait_until_processed
from streams.reader import WorkerReader, worker_health
from streams.sample import MALFORMED, sample_lines
from streams.settings import Settings
from tests.factories import body, raw
from tests.integration.conftest import WorkerFactory
from tests.integration.test_rebuild import table_contents

pytestmark = pytest.mark.integration


def publish(settings: Settings, lines: list[bytes]) -> PublishResult:
    """Publish lines and wait until the worker stored and projected them."""
    result = asyncio.run(publish_lines(settings, iter(enumerate(lines, start=1))))
    asyncio.run(wait_until_processed(settings, result, timeout=120))
    return result


def query(settings: Settings, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of a read-only query through the running worker."""
    reader = WorkerReader(settings)
    try:
        return reader.query(sql, params).rows
    finally:
        reader.close()


def hostile_messages() -> dict[str, list[bytes]]:
    """Bad input by the reason code it must be rejected with."""
    without_minutes = {k: v for k, v in body("time.logged").items() if k != "minutes"}
    return {
        "invalid_json": [b'{"event_id": "cut', b"\xff\xfe not utf-8 \x80", b"{]"],
        "not_an_object": [b"[1, 2, 3]", b'"just a string"', b"12"],
        "unknown_type": [raw("clock.ticked", type="time.teleported")],
        "missing_field": [
            orjson.dumps(without_minutes),
            orjson.dumps({"event_id": "no-type", "occurred_at": "2026-03-02T10:00:00Z"}),
        ],
        "invalid_field": [
            raw("time.logged", minutes=0),
            raw("time.logged", minutes=5000),
            raw("time.logged", minutes="60"),
            raw("time.logged", billable="no"),
        ],
        "naive_timestamp": [raw("time.logged", occurred_at="2026-03-02T17:00:00")],
        "unsupported_schema_version": [raw("time.logged", schema_version=2)],
        "future_work_date": [raw("time.logged", work_date="2026-03-09")],
        # Valid in every field, but dated years after it is read: it would move the org's
        # event-time now there, and give every contributor a row per week up to it.
        "future_occurred_at": [
            raw("clock.ticked", event_id="far-tick", occurred_at="2149-06-01T00:00:00Z"),
            raw(
                "time.logged",
                event_id="far-entry",
                occurred_at="2149-06-01T00:00:00Z",
                work_date="2149-06-01",
            ),
        ],
        # The second fills a Kafka message: its dead letter, with headers, is larger still.
        "too_large": [
            raw("decision.recorded", note="x" * 1000, padding="p" * 100_000),
            raw("decision.recorded", padding="p" * 1_048_283),
        ],
    }


def valid_time_entries(count: int) -> list[bytes]:
    return [
        raw(
            "time.logged",
            event_id=f"valid-{i}",
            entry_id=f"entry-{i}",
            contributor_id=f"c{i % 40}",
            work_date=f"2026-03-0{1 + i % 2}",
            minutes=1 + i % 480,
            billable=i % 3 != 0,
        )
        for i in range(count)
    ]


def test_every_message_lands_once_in_the_store_or_the_dead_letter_path(
    start_worker: WorkerFactory,
) -> None:
    settings = start_worker(max_event_bytes=64 * 1024)
    valid = valid_time_entries(10_000)
    hostile = hostile_messages()
    bad = [(reason, message) for reason, messages in hostile.items() for message in messages]
    too_big_for_kafka = b'{"event_id": "huge", "note": "' + b"h" * (2 * 1024 * 1024) + b'"}'
    lines = list(valid)
    rng = random.Random(5)
    for _reason, message in bad:
        lines.insert(rng.randrange(len(lines)), message)
    lines.insert(rng.randrange(len(lines)), too_big_for_kafka)

    result = publish(settings, lines)

    # The producer refuses the 2 MB message: reported with its line, kept on disk.
    assert len(result.unpublished) == 1
    refused = result.unpublished[0]
    assert lines[refused.line - 1] == too_big_for_kafka
    assert "too large" in refused.error
    assert result.unpublished_file is not None
    assert result.unpublished_file.read_bytes() == too_big_for_kafka + b"\n"
    assert result.published == len(valid) + len(bad)

    # Every valid event is in the event store exactly once.
    stored = query(
        settings,
        "SELECT count(), uniqExact(event_id) FROM events FINAL "
        "WHERE startsWith(event_id, 'valid-')",
    )
    assert stored == [(10_000, 10_000)]
    # Every invalid one is in rejected_events with its reason and its exact bytes.
    rows = query(
        settings,
        "SELECT reason, hex(raw), raw_bytes FROM rejected_events FINAL WHERE topic = {t:String}",
        t=settings.topic_events,
    )
    assert Counter((r[0], r[1]) for r in rows) == Counter(
        (reason, m.hex().upper()) for reason, m in bad
    )
    assert all(r[2] == len(bytes.fromhex(r[1])) for r in rows)
    # Accepted plus rejected equals published, counted from the two tables.
    counts = outcome(WorkerReader(settings), result)
    assert (counts.stored, counts.duplicates, counts.rejected) == (10_000, 0, len(bad))
    assert counts.stored + counts.rejected == result.published
    assert counts.rejected_by_reason == dict(Counter(reason for reason, _ in bad))

    # The dead-letter topic holds the original bytes with the reason in the headers.
    dead = asyncio.run(read_topic(settings, settings.topic_dlq, len(bad)))
    cut = 512 * 1024  # larger dead letters are cut; rejected_events keeps every byte
    assert Counter((h["reason"], v) for v, h in dead) == Counter((r, m[:cut]) for r, m in bad)
    assert [int(h["truncated_from"]) for v, h in dead if "truncated_from" in h] == [
        len(m) for _, m in bad if len(m) > cut
    ]
    assert all({"message", "topic", "partition", "offset"} <= h.keys() for _, h in dead)
    assert {h["topic"] for _, h in dead} == {settings.topic_events}

    # The projection counted every valid minute once, and the worker is still running.
    minutes = query(
        settings, "SELECT sum(logged_minutes), sum(entries) FROM contributor_daily FINAL"
    )
    assert minutes == [(sum(1 + i % 480 for i in range(10_000)), 10_000)]
    # The future events moved no clock: the latest week is that of the valid entries.
    assert query(settings, "SELECT max(week_start) FROM contributor_weekly FINAL") == [
        ("2026-03-02",)
    ]
    assert LocalWorker(settings).running_pid() is not None
    assert worker_health(settings) is not None


def test_a_forwarded_event_that_no_longer_validates_is_skipped_and_the_rest_folded(
    start_worker: WorkerFactory,
) -> None:
    settings = start_worker()
    publish(settings, [raw("time.logged", event_id="before", entry_id="before", minutes=15)])
    # A batch message as an older ingest stage forwarded it: between two valid entries, one
    # the contract now refuses (a work_date before 1970-01-05, whose week starts in 1969).
    documents = [
        body("time.logged", event_id="fw-1", entry_id="fw-1", minutes=30),
        body("time.logged", event_id="fw-old", entry_id="fw-old", work_date="1970-01-02"),
        body("time.logged", event_id="fw-2", entry_id="fw-2", minutes=30),
    ]
    forwarded = [
        [settings.topic_events, 0, n, orjson.dumps(d).decode()] for n, d in enumerate(documents)
    ]

    async def forward() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
        await producer.start()
        try:
            value = orjson.dumps({"events": forwarded})
            await producer.send_and_wait(settings.topic_ingested, value, key=b"acme")
        finally:
            await producer.stop()

    asyncio.run(forward())
    publish(settings, [raw("time.logged", event_id="after", entry_id="after", minutes=60)])

    days = query(
        settings,
        "SELECT work_date, sum(logged_minutes), sum(entries) "
        "FROM contributor_daily FINAL GROUP BY work_date",
    )
    assert days == [("2026-03-02", 135, 4)]
    log = LocalWorker(settings).log_file.read_text()
    assert "Skipping an event that no longer validates" in log and "fw-old" in log
    assert LocalWorker(settings).running_pid() is not None
    # A log file, not a terminal: no spinner escapes, and no coordinator errors at start.
    assert "\x1b" not in log
    assert "Ready" in log
    assert "CoordinatorNotAvailable" not in log


async def read_topic(
    settings: Settings, topic: str, count: int
) -> list[tuple[bytes, dict[str, str]]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[tuple[bytes, dict[str, str]]] = []
    try:
        while len(records) < count:
            batch = await asyncio.wait_for(consumer.getmany(timeout_ms=1000), timeout=30)
            for rs in batch.values():
                records += [(r.value, {k: v.decode() for k, v in r.headers}) for r in rs]
    finally:
        await consumer.stop()
    return records


DAILY = (
    "SELECT org_id, contributor_id, work_date, logged_minutes, billable_minutes, entries, "
    "computed_at, visible_to_ops_at FROM contributor_daily FINAL "
    "ORDER BY org_id, contributor_id, work_date"
)


def test_publishing_the_same_file_twice_changes_no_table(start_worker: WorkerFactory) -> None:
    settings = start_worker()
    lines = list(sample_lines())
    first = publish(settings, lines)
    daily = query(settings, DAILY)
    events = query(settings, "SELECT event_id, payload FROM events FINAL ORDER BY event_id")
    assert daily and events
    first_counts = outcome(WorkerReader(settings), first)

    second = publish(settings, lines)

    assert query(settings, DAILY) == daily
    assert query(settings, "SELECT event_id, payload FROM events FINAL ORDER BY event_id") == events
    again = outcome(WorkerReader(settings), second)
    assert again.stored == 0
    assert again.duplicates == first_counts.stored
    assert again.rejected == first_counts.rejected == 5


def test_amendments_after_a_restart_replace_entries_instead_of_adding(
    start_worker: WorkerFactory,
) -> None:
    settings = start_worker()
    publish(
        settings,
        [
            raw("time.logged", entry_id="e1", minutes=60, billable=True),
            raw("time.logged", entry_id="e2", minutes=30, billable=False),
            raw("time.logged", entry_id="e3", minutes=45, contributor_id="ben"),
        ],
    )
    assert day_rows(settings) == {("ana", 90, 60, 1 + 1), ("ben", 45, 45, 1)}

    before = LocalWorker(settings).running_pid()
    assert LocalWorker(settings).stop()
    start_worker(settings)  # the state comes back from disk and the changelog
    assert LocalWorker(settings).running_pid() not in (None, before)

    publish(
        settings,
        [
            raw("time.logged", entry_id="e1", revision=2, minutes=120, billable=True),
            raw("time.logged", entry_id="e2", revision=1, minutes=500, billable=True),  # not newer
            raw("time.deleted", entry_id="e3", revision=2),
            raw("time.logged", entry_id="e1", revision=1, minutes=5, billable=True),  # older
        ],
    )
    assert day_rows(settings) == {("ana", 150, 120, 2), ("ben", 0, 0, 0)}


def projection_tables(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    reader = WorkerReader(settings)
    try:
        return table_contents(reader.query)
    finally:
        reader.close()


def later_changes(first: list[bytes]) -> list[bytes]:
    """Amendments (a new day and minutes) and deletions of entries in `first`, newer than
    their revisions there, plus a replay of `first`'s own last lines."""
    changes = []
    entries = [orjson.loads(line) for line in first if b'"time.logged"' in line]
    for n, event in enumerate(entries[::5]):
        amended = {**event, "event_id": f"later-{n}", "revision": event.get("revision", 1) + 5}
        if n % 3 == 0:
            amended = {k: amended[k] for k in ("event_id", "occurred_at", "org_id", "entry_id")}
            changes.append({**amended, "type": "time.deleted", "revision": 9})
        else:
            changes.append({**amended, "minutes": 17 + n, "billable": n % 2 == 0})
    return [orjson.dumps(c) for c in changes] + first[-10:]


def test_state_lost_on_disk_comes_back_from_the_changelog(start_worker: WorkerFactory) -> None:
    """The projection state is written in batches (streams/state_writer.py) that Faust's own
    recovery must read back: with its RocksDB files gone, a restarted worker restores the
    state from the changelog, and later amendments and deletions of earlier entries give
    the tables of a worker that never stopped."""
    valid = [line for line in sample_lines() if line not in MALFORMED]
    first, rest = valid[: len(valid) // 2], valid[len(valid) // 2 :]
    later = rest + later_changes(first)

    clean = start_worker()
    publish(clean, first + later)
    expected = projection_tables(clean)

    settings = start_worker()
    publish(settings, first)
    assert LocalWorker(settings).stop()
    shutil.rmtree(settings.state_dir / "faust")
    start_worker(settings)
    publish(settings, later)
    actual = projection_tables(settings)

    assert actual == expected
    assert len(expected["contributor_daily"]) > 10


def day_rows(settings: Settings) -> set[tuple[Any, ...]]:
    rows = query(
        settings,
        "SELECT contributor_id, logged_minutes, billable_minutes, entries "
        "FROM contributor_daily FINAL WHERE work_date = '2026-03-02'",
    )
    return {tuple(r) for r in rows}


def test_contributor_weeks_from_profiles_time_off_and_entries(start_worker: WorkerFactory) -> None:
    settings = start_worker()
    publish(
        settings,
        [
            raw(
                "contributor.profiled",
                team_id="design",
                weekly_capacity_hours=40,
                target_utilization=0.8,
                effective_from="2026-03-02",
                occurred_at="2026-03-01T08:00:00Z",
            ),
            raw(
                "time.logged",
                entry_id="a",
                work_date="2026-03-09",
                minutes=480,
                billable=True,
                project_id="web",
                occurred_at="2026-03-09T18:00:00Z",
            ),
            raw(
                "time.logged",
                entry_id="b",
                work_date="2026-03-10",
                minutes=240,
                billable=False,
                project_id="internal",
                for_team_id="engineering",
                occurred_at="2026-03-10T18:00:00Z",
            ),
            raw(
                "contributor.time_off",
                date="2026-03-10",
                hours=4,
                occurred_at="2026-03-10T08:00:00Z",
            ),
            raw("clock.ticked", occurred_at="2026-03-16T06:00:00Z"),
        ],
    )
    rows = query(
        settings,
        "SELECT toString(week_start), team_id, logged_hours, billable_hours, "
        "available_hours, utilization, cross_team_unbilled_hours, "
        "hours_by_project, trailing_available_hours, trailing_utilization "
        "FROM contributor_weekly FINAL WHERE contributor_id = 'ana' "
        "ORDER BY week_start",
    )
    assert rows == [
        ("2026-03-02", "design", 0.0, 0.0, 40.0, 0.0, 0.0, {}, 40.0, 0.0),
        (
            "2026-03-09",
            "design",
            12.0,
            8.0,
            36.0,
            pytest.approx(8 / 36),
            4.0,
            {"internal": 4.0, "web": 8.0},
            76.0,
            pytest.approx(8 / 76),
        ),
        ("2026-03-16", "design", 0.0, 0.0, 40.0, 0.0, 0.0, {}, 116.0, pytest.approx(8 / 116)),
    ]
