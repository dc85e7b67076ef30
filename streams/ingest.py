"""The ingest stage: validate at the edge, store, dead-letter, and forward in batches.

A lean aiokafka consumer (not a Faust agent: Faust's per-message cost is about 100 us,
see docs/architecture.md) reads the ingest topic in batches. For each batch, in order:

1. parse every message into Accepted or Rejected;
2. write accepted events to `events` and rejects to `rejected_events` (one insert each);
3. send rejects to the dead-letter topic (original bytes, reason in headers) and the
   accepted events to the internal topic in per-org batch messages, and wait for acks;
4. commit the source offsets.

A crash anywhere before 4 replays the batch: the tables deduplicate it, the projections
are idempotent, and the dead-letter topic may repeat a record (at least once).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from mode import Service

from events.models import EVENT_TYPES
from events.parse import Accepted, Reason, Rejected, Source, parse_many
from sinks.rows import event_rows, rejected_rows
from streams import metrics, retry
from streams.row_sinks import RowSink
from streams.settings import Settings
from streams.topics import batch_consumer, commit_batches, log_batch

log = logging.getLogger(__name__)

INGESTED_MAX_EVENTS = 2000
INGESTED_MAX_BYTES = 512 * 1024
"""Bounds of one internal batch message (the broker's default limit is 1 MiB)."""

"""Backoff bounds, in seconds, while ClickHouse or Kafka refuse a batch."""


@dataclass
class IngestProgress:
    """What the ingest stage has done since it started, for status and health."""

    consumed: int = 0
    accepted: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    committed: dict[int, int] = field(default_factory=dict)
    last_write_at: dt.datetime | None = None
    failures: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able view."""
        return {
            "consumed": self.consumed,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rejected_by_reason": dict(self.rejected_by_reason),
            "committed": {str(p): o for p, o in sorted(self.committed.items())},
            "last_write_at": self.last_write_at.isoformat() if self.last_write_at else None,
            "failures": self.failures,
            "last_error": self.last_error,
        }


def ingested_messages(accepted: Iterable[Accepted]) -> list[tuple[bytes, bytes]]:
    """Group accepted events into (org key, batch message) pairs, order kept per org.

    A batch message is `{"events": [[topic, partition, offset, raw JSON], ...]}`.
    """
    by_org: dict[str, list[Accepted]] = defaultdict(list)
    for item in accepted:
        by_org[item.event.org_id].append(item)
    messages = []
    for org, items in by_org.items():
        chunk: list[list[object]] = []
        size = 0
        for item in items:
            if chunk and (
                len(chunk) >= INGESTED_MAX_EVENTS or size + len(item.raw) > INGESTED_MAX_BYTES
            ):
                messages.append((org.encode(), orjson.dumps({"events": chunk})))
                chunk, size = [], 0
            s = item.source
            chunk.append([s.topic, s.partition, s.offset, item.raw.decode("utf-8")])
            size += len(item.raw) + 32
        if chunk:
            messages.append((org.encode(), orjson.dumps({"events": chunk})))
    return messages


DLQ_MAX_VALUE_BYTES = 512 * 1024
"""Larger rejects are cut to this size in the dead-letter topic, so that the record and its
headers always fit Kafka's default 1 MiB; `rejected_events` keeps every byte."""


def dlq_record(rejected: Rejected) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Value and headers of a dead-letter record."""
    headers = [(k, str(v).encode()) for k, v in rejected.as_dict().items()]
    if len(rejected.raw) <= DLQ_MAX_VALUE_BYTES:
        return rejected.raw, headers
    headers.append(("truncated_from", str(len(rejected.raw)).encode()))
    return rejected.raw[:DLQ_MAX_VALUE_BYTES], headers


class IngestStage(Service):
    """Consumes the ingest topic and runs the validate-store-forward-commit loop."""

    def __init__(self, settings: Settings, sink: RowSink, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.sink = sink
        self.progress = IngestProgress()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        """Connect the consumer and producer."""
        s = self.settings
        self._producer = AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap,
            acks="all",
            linger_ms=5,
            max_request_size=1024 * 1024,
            enable_idempotence=True,
        )
        self._consumer = batch_consumer(s, s.topic_events, s.ingest_group)
        await self._producer.start()
        await self._consumer.start()

    async def on_shutdown(self) -> None:
        """Leave the group and flush the producer, once the consuming task has stopped (a
        batch it was storing, forwarding or committing is read again after a restart):
        stopping the consumer under it failed its commit on the closed connection."""
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    @Service.task
    async def _consume(self) -> None:
        assert self._consumer is not None
        while not self.should_stop:
            batches = await self._consumer.getmany(
                timeout_ms=500, max_records=self.settings.ingest_batch_max
            )
            if batches:
                await self.read_on(batches)
                await self.handle(batches)

    async def read_on(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Add to `batches` what arrives within `ingest_linger_seconds` of their read, up to
        `ingest_batch_max` records.

        Under a light load a read returns whatever came since the last one: at 5,000
        events/s, batches of about a hundred records, each stored in its own ClickHouse
        insert (fifty a second, where ClickHouse wants about one per table) and forwarded
        and committed on its own."""
        assert self._consumer is not None
        limit = self.settings.ingest_batch_max
        count = sum(len(records) for records in batches.values())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.ingest_linger_seconds
        while count < limit and (left := deadline - loop.time()) > 0:
            more = await self._consumer.getmany(
                timeout_ms=max(1, int(left * 1000)), max_records=limit - count
            )
            for tp, records in more.items():
                batches.setdefault(tp, []).extend(records)
                count += len(records)

    async def handle(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Run one batch through parse, store, forward and commit."""
        records = [r for rs in batches.values() for r in rs]
        latest = dt.datetime.now(dt.UTC) + dt.timedelta(hours=self.settings.max_future_hours)
        accepted, rejected = parse_many(
            ((r.value, Source(r.topic, r.partition, r.offset)) for r in records),
            self.settings.max_event_bytes,
            latest,
        )
        types = [rejected_type(item) for item in rejected]
        for item, event_type in zip(rejected, types, strict=True):
            log.warning(
                "rejected %s: %s",
                item.reason.value,
                item.message,
                extra={**_where(item.source), "reason": item.reason.value, "type": event_type},
            )
        await self._retrying(self._deliver, batches, accepted, rejected, records)
        assert self._consumer is not None
        refused = await commit_batches(self._consumer, batches, "ingest")
        if refused is not None:
            # Stored and forwarded: read again, the tables and folds ignore the repeats.
            self.progress.failures += 1
            self.progress.last_error = f"{type(refused).__name__}: {refused}"
            metrics.INGEST_COMMITS_REFUSED.inc()
            return
        metrics.EVENTS_CONSUMED.inc(len(records))
        metrics.INGEST_BATCH_SIZE.observe(len(records))
        for event_type, count in Counter(a.event.type for a in accepted).items():  # type: ignore[attr-defined]
            metrics.EVENTS_ACCEPTED.labels(event_type).inc(count)
        p = self.progress
        p.consumed += len(records)
        p.accepted += len(accepted)
        p.rejected += len(rejected)
        for item, event_type in zip(rejected, types, strict=True):
            p.rejected_by_reason[item.reason.value] += 1
            metrics.EVENTS_REJECTED.labels(item.reason.value).inc()
            metrics.EVENTS_REJECTED_BY_TYPE.labels(event_type, item.reason.value).inc()
        p.committed.update({tp.partition: rs[-1].offset + 1 for tp, rs in batches.items()})

    async def _deliver(
        self, accepted: list[Accepted], rejected: list[Rejected], records: list[ConsumerRecord]
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        await self.sink.write(
            {"events": event_rows(accepted, now), "rejected_events": rejected_rows(rejected, now)},
            "ingest",
        )
        self.progress.last_write_at = now
        producer = self._producer
        assert producer is not None
        keys = {(r.partition, r.offset): r.key for r in records} if rejected else {}
        sends = []
        for item in rejected:
            value, headers = dlq_record(item)
            sends.append(
                await producer.send(
                    self.settings.topic_dlq,
                    value=value,
                    key=keys.get((item.source.partition, item.source.offset)),
                    headers=headers,
                )
            )
        sends += [
            await producer.send(self.settings.topic_ingested, value=value, key=key)
            for key, value in ingested_messages(accepted)
        ]
        await asyncio.gather(*sends)

    async def _retrying(
        self,
        step: Any,
        batches: dict[TopicPartition, list[ConsumerRecord]],
        *args: Any,
    ) -> None:
        def note(error: Exception) -> None:
            self.progress.failures += 1
            self.progress.last_error = f"{type(error).__name__}: {error}"
            # Which input waits: one record per partition of the batch being retried.
            log_batch("ingest batch not stored or forwarded, waiting", batches, error)

        await retry.until_done(metrics.tracked("ingest", lambda: step(*args)), "ingest", note)


_UNTYPED = {Reason.INVALID_JSON, Reason.NOT_AN_OBJECT, Reason.TOO_LARGE}


def rejected_type(item: Rejected) -> str:
    """The reject's `type` field when it names a known event type, else "unknown".

    Only known types become label values: an unknown type is whatever a producer wrote,
    and would give the rejected counter one series per typo.
    """
    if item.reason in _UNTYPED:
        return "unknown"
    try:
        document = orjson.loads(item.raw)
    except orjson.JSONDecodeError:
        return "unknown"
    event_type = document.get("type") if isinstance(document, dict) else None
    return event_type if isinstance(event_type, str) and event_type in EVENT_TYPES else "unknown"


def _where(source: Source) -> dict[str, Any]:
    """Log fields naming a message: topic, partition, offset."""
    return {"topic": source.topic, "partition": source.partition, "offset": source.offset}
