"""Publishing JSON-lines files to the ingest topic, and waiting for the worker to process them."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from streams.reader import Reader
from streams.settings import Settings
from streams.topics import end_offsets

PRODUCER_MAX_REQUEST_BYTES = 1024 * 1024
"""The producer's (and the broker's default) largest message."""


@dataclass
class Unpublished:
    """A line the producer or broker refused."""

    line: int
    size: int
    error: str


@dataclass
class PublishResult:
    """What a publish sent: per-partition offset ranges, and lines that were refused."""

    topic: str
    published: int = 0
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)
    unpublished: list[Unpublished] = field(default_factory=list)
    unpublished_file: Path | None = None

    def note(self, partition: int, offset: int) -> None:
        """Record that a message landed at partition/offset."""
        low, high = self.ranges.get(partition, (offset, offset))
        self.ranges[partition] = (min(low, offset), max(high, offset))
        self.published += 1


def read_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each non-blank line, without its line ending, bytes kept exactly."""
    for number, line in enumerate(stream, start=1):
        value = line.rstrip(b"\r\n") if line.endswith(b"\n") else line
        if value.strip():
            yield number, value


async def publish_lines(
    settings: Settings,
    lines: Iterator[tuple[int, bytes]],
    on_sent: Callable[[int], None] | None = None,
) -> PublishResult:
    """Send each line as one message value keyed by its org_id; keep refused lines aside.

    The key keeps each org's events in file order through the events topic (lines that
    are not JSON objects go without one): the projections, and so the alerts' event-time
    history, see them in the order they were written.

    Refused lines (too large for the producer or broker) are written to
    `<state_dir>/unpublished/` so nothing is lost, and reported in the result.
    """
    result = PublishResult(settings.topic_events)
    refused: list[bytes] = []
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        linger_ms=20,
        max_batch_size=256 * 1024,
        max_request_size=PRODUCER_MAX_REQUEST_BYTES,
        enable_idempotence=True,
    )
    await producer.start()
    pending: list[tuple[int, bytes, asyncio.Future]] = []  # type: ignore[type-arg]
    try:
        for number, value in lines:
            try:
                future = await producer.send(settings.topic_events, key=org_key(value), value=value)
            except (MessageSizeTooLargeError, KafkaError) as error:
                result.unpublished.append(Unpublished(number, len(value), _describe(error, value)))
                refused.append(value)
                continue
            pending.append((number, value, future))
            if len(pending) >= 5000:
                await _collect(pending, result, refused, on_sent)
        await _collect(pending, result, refused, on_sent)
    finally:
        await producer.stop()
    if refused:
        result.unpublished_file = _keep_refused(settings, refused)
    return result


def org_key(value: bytes) -> bytes | None:
    """The org_id of an event line as a message key (the contract's default org when it
    names none); None when the line is not a JSON object."""
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    org_id = document.get("org_id", "default")
    return org_id.encode() if isinstance(org_id, str) else None


async def _collect(
    pending: list[tuple[int, bytes, asyncio.Future]],  # type: ignore[type-arg]
    result: PublishResult,
    refused: list[bytes],
    on_sent: Callable[[int], None] | None,
) -> None:
    for number, value, future in pending:
        try:
            metadata = await future
        except KafkaError as error:
            result.unpublished.append(Unpublished(number, len(value), _describe(error, value)))
            refused.append(value)
            continue
        result.note(metadata.partition, metadata.offset)
    if on_sent is not None:
        on_sent(len(pending))
    pending.clear()


def _describe(error: Exception, value: bytes) -> str:
    if isinstance(error, MessageSizeTooLargeError):
        return (
            f"too large: {len(value):,} bytes; the largest message Kafka takes here is "
            f"{PRODUCER_MAX_REQUEST_BYTES:,} bytes"
        )
    return f"{type(error).__name__}: {error}"


def _keep_refused(settings: Settings, values: list[bytes]) -> Path:
    folder = settings.state_dir / "unpublished"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}.jsonl"
    path.write_bytes(b"".join(v + b"\n" for v in values))
    return path


class WaitTimeout(TimeoutError):
    """The worker did not process the published events in time."""


async def wait_until_processed(
    settings: Settings, result: PublishResult, timeout: float = 600.0
) -> None:
    """Block until the ingest stage committed past every published offset, then until the
    projection agent committed everything the ingest stage forwarded until then, then
    (with stream workers) until the sink committed every rows message sent until then.

    Both stages commit only after ClickHouse has the rows, so afterwards every published
    event is stored, dead-lettered or projected.
    """
    deadline = time.monotonic() + timeout
    targets = {TopicPartition(result.topic, p): high + 1 for p, (_, high) in result.ranges.items()}
    await _wait_for_group(settings, settings.ingest_group, targets, deadline)
    forwarded = await end_offsets(settings, settings.topic_ingested)
    await _wait_for_group(
        settings,
        settings.projection_group,
        {tp: o for tp, o in forwarded.items() if o > 0},
        deadline,
    )
    # Stream workers hand their rows to a sink through topic_rows (docs/architecture.md).
    handed_over = await end_offsets(settings, settings.topic_rows)
    await _wait_for_group(
        settings, settings.sink_group, {tp: o for tp, o in handed_over.items() if o > 0}, deadline
    )


async def _wait_for_group(
    settings: Settings, group: str, targets: dict[TopicPartition, int], deadline: float
) -> None:
    if not targets:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            behind = {
                tp: want
                for tp, want in targets.items()
                if tp not in committed or committed[tp].offset < want
            }
            if not behind:
                return
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"consumer group {group} is still behind on {len(behind)} partitions"
                )
            await asyncio.sleep(0.25)
    finally:
        await admin.close()


@dataclass(frozen=True)
class Outcome:
    """Where the published messages ended up."""

    published: int
    stored: int
    duplicates: int
    rejected: int
    rejected_by_reason: dict[str, int]

    @property
    def accepted(self) -> int:
        """Valid events: newly stored plus repeats of an event_id already stored."""
        return self.stored + self.duplicates


def outcome(reader: Reader, result: PublishResult) -> Outcome:
    """Count the published range in `events` and `rejected_events`.

    `events` keeps the first delivery of each event_id, so a valid event whose id was
    already stored is not found in this range: it is counted as a duplicate.
    """
    if not result.ranges:
        return Outcome(0, 0, 0, 0, {})
    clauses = " OR ".join(
        f"(partition = {int(p)} AND offset BETWEEN {int(lo)} AND {int(hi)})"
        for p, (lo, hi) in sorted(result.ranges.items())
    )
    params = {"topic": result.topic}
    stored = reader.query(
        f"SELECT count() FROM events FINAL WHERE topic = {{topic:String}} AND ({clauses})",
        params,
    ).rows[0][0]
    by_reason = dict(
        reader.query(
            f"SELECT reason, count() FROM rejected_events FINAL "
            f"WHERE topic = {{topic:String}} AND ({clauses}) GROUP BY reason ORDER BY reason",
            params,
        ).rows
    )
    rejected = sum(by_reason.values())
    return Outcome(
        result.published,
        int(stored),
        result.published - int(stored) - rejected,
        rejected,
        {str(k): int(v) for k, v in by_reason.items()},
    )
