"""The ingest stage survives a refused commit (the group went on without it) and reads on."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from sinks.clickhouse import TableBatch
from streams.ingest import IngestStage
from streams.settings import Settings
from tests.factories import raw


class RecordingSink:
    """A RowSink keeping every batch."""

    def __init__(self) -> None:
        self.batches: list[TableBatch] = []

    async def write(self, batch: TableBatch, stage: str) -> None:
        self.batches.append(batch)


class Producer:
    """Acks every send at once."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def send(self, topic: str, **kwargs: Any) -> asyncio.Future[None]:
        self.sent.append((topic, kwargs))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class Consumer:
    """Refuses the first commit as a consumer dropped from its group does."""

    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.refuse = 1

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.refuse:
            self.refuse -= 1
            raise CommitFailedError("the group has already rebalanced")
        self.commits.append(offsets)


def batch(offset: int) -> dict[TopicPartition, list[ConsumerRecord]]:
    tp = TopicPartition("events", 0)
    value = raw("time.logged", event_id=f"e-{offset}")
    record = ConsumerRecord("events", 0, offset, 0, 0, None, value, None, 0, len(value), [])
    return {tp: [record]}


def test_a_refused_commit_is_logged_and_the_next_batch_is_committed() -> None:
    sink = RecordingSink()
    stage = IngestStage(Settings(), sink)
    consumer, producer = Consumer(), Producer()
    stage._consumer = consumer  # type: ignore[assignment]
    stage._producer = producer  # type: ignore[assignment]

    async def run() -> None:
        await stage.handle(batch(0))  # stored and forwarded, commit refused: no raise
        await stage.handle(batch(0))  # read again after rejoining
        await stage.handle(batch(1))

    asyncio.run(run())
    assert consumer.commits == [
        {TopicPartition("events", 0): 1},
        {TopicPartition("events", 0): 2},
    ]
    assert len(sink.batches) == 3
    assert stage.progress.failures == 1
    assert "CommitFailedError" in (stage.progress.last_error or "")
    assert stage.progress.consumed == 2  # the refused batch is counted when read again
