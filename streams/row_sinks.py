"""Where the worker's stages send table rows: ClickHouse itself, or the rows topic.

With role `all` a worker writes ClickHouse directly. With several workers on one embedded
chDB path (which only one process may open), workers run with role `stream` and send
their rows to `topic_rows`; one process with role `sink` (`SinkStage`) writes them.
Either way a stage's offsets are committed only after its rows are stored or acked.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from mode import Service

from sinks import row_messages
from sinks.clickhouse import TableBatch, Warehouse
from streams import metrics, retry
from streams.settings import Settings
from streams.topics import batch_consumer, commit_batches

log = logging.getLogger(__name__)


class RowSink(Protocol):
    """Stores a batch of rows or raises; a retried batch must not double count."""

    async def write(self, batch: TableBatch, stage: str) -> None:
        """Store or hand over every row of the batch."""


class WarehouseRows:
    """Rows straight into ClickHouse (role `all`)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    async def write(self, batch: TableBatch, stage: str) -> None:
        """Insert the batch in a thread (the client blocks)."""
        with metrics.CLICKHOUSE_WRITE_SECONDS.labels(stage).time():
            await asyncio.to_thread(self.warehouse.write, batch)


class TopicRows(Service):
    """Rows to `topic_rows`, acked by the broker (role `stream`)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        """Connect the producer."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            acks="all",
            linger_ms=5,
            max_request_size=1024 * 1024,
            enable_idempotence=True,
            compression_type=None,
        )
        await self._producer.start()

    async def on_stop(self) -> None:
        """Flush and close the producer."""
        if self._producer is not None:
            await self._producer.stop()

    async def write(self, batch: TableBatch, stage: str) -> None:
        """Send the rows as messages keyed by table and wait for every ack."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("the rows producer is not started")
        sends = []
        for message in row_messages.encode(batch):
            sends.append(await producer.send(self.settings.topic_rows, value=message))
        await asyncio.gather(*sends)


class SinkStage(Service):
    """Reads `topic_rows`, writes the rows to ClickHouse, then commits (role `sink`).

    A message that cannot be decoded goes to the dead-letter topic with the reason in
    its headers, so it is neither lost nor blocking.
    """

    def __init__(self, settings: Settings, warehouse: Warehouse, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.warehouse = warehouse
        self.written = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        """Connect the consumer and the dead-letter producer."""
        s = self.settings
        self._producer = AIOKafkaProducer(bootstrap_servers=s.kafka_bootstrap, acks="all")
        self._consumer = batch_consumer(s, s.topic_rows, s.sink_group)
        await self._producer.start()
        await self._consumer.start()

    async def on_stop(self) -> None:
        """Leave the group and close the producer."""
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    @Service.task
    async def _consume(self) -> None:
        assert self._consumer is not None
        while not self.should_stop:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=2000)
            if not batches:
                continue
            records = [r for rs in batches.values() for r in rs]
            await retry.until_done(functools.partial(self._store, records), "sink")
            # Refused: read again after the rejoin; rows are idempotent by key and version.
            await commit_batches(self._consumer, batches, "sink")

    async def _store(self, records: list[ConsumerRecord]) -> None:
        tables: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for record in records:
            try:
                table, rows = row_messages.decode(record.value)
            except row_messages.RowMessageError as error:
                await self._dead_letter(record, str(error))
                continue
            tables[table] += rows
        with metrics.CLICKHOUSE_WRITE_SECONDS.labels("sink").time():
            await asyncio.to_thread(self.warehouse.write, tables)
        self.written += sum(len(rows) for rows in tables.values())

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        log.error(
            "undecodable rows message: %s",
            reason,
            extra={"topic": record.topic, "partition": record.partition, "offset": record.offset},
        )
        assert self._producer is not None
        headers = [
            ("reason", b"bad_rows_message"),
            ("message", reason.encode()[:1000]),
            ("source_topic", record.topic.encode()),
            ("source_partition", str(record.partition).encode()),
            ("source_offset", str(record.offset).encode()),
        ]
        value = record.value[: row_messages.MAX_MESSAGE_BYTES] if record.value else b""
        await (await self._producer.send(self.settings.topic_dlq, value=value, headers=headers))
