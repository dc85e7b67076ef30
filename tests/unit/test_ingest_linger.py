"""The ingest stage reads on to fill a batch that is not full, up to its linger and size."""

from __future__ import annotations

import asyncio

from aiokafka import ConsumerRecord, TopicPartition

from streams.ingest import IngestStage
from streams.settings import Settings
from tests.factories import raw

TP0 = TopicPartition("events", 0)
TP1 = TopicPartition("events", 1)

Batches = dict[TopicPartition, list[ConsumerRecord]]


def records(tp: TopicPartition, offsets: range) -> list[ConsumerRecord]:
    value = raw("time.logged")
    return [
        ConsumerRecord(tp.topic, tp.partition, o, 0, 0, None, value, None, 0, len(value), [])
        for o in offsets
    ]


class Consumer:
    """Returns its scripted reads in turn (at most `max_records` of each), then nothing
    until the read's timeout."""

    def __init__(self, reads: list[Batches]) -> None:
        self.reads = reads
        self.asked: list[int] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> Batches:
        self.asked.append(max_records)
        if not self.reads:
            await asyncio.sleep(timeout_ms / 1000)
            return {}
        read = self.reads.pop(0)
        assert sum(len(r) for r in read.values()) <= max_records
        return read


def read_on(settings: Settings, first: Batches, reads: list[Batches]) -> Consumer:
    stage = IngestStage(settings, sink=None)  # type: ignore[arg-type]
    consumer = Consumer(reads)
    stage._consumer = consumer  # type: ignore[assignment]
    asyncio.run(stage.read_on(first))
    return consumer


def test_reads_on_until_the_batch_is_full_keeping_each_partitions_order() -> None:
    settings = Settings(ingest_batch_max=10, ingest_linger_seconds=60)
    batches = {TP0: records(TP0, range(0, 3))}
    consumer = read_on(
        settings,
        batches,
        [
            {TP0: records(TP0, range(3, 5)), TP1: records(TP1, range(0, 2))},
            {TP0: records(TP0, range(5, 8))},
        ],
    )
    assert [r.offset for r in batches[TP0]] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert [r.offset for r in batches[TP1]] == [0, 1]
    # Each read asks for what is left of the batch; the full batch ends the linger at once.
    assert consumer.asked == [7, 3]


def test_a_quiet_topic_ends_the_linger_with_what_was_read() -> None:
    settings = Settings(ingest_batch_max=10, ingest_linger_seconds=0.05)
    batches = {TP0: records(TP0, range(0, 3))}
    consumer = read_on(settings, batches, [{TP0: records(TP0, range(3, 4))}])
    assert [r.offset for r in batches[TP0]] == [0, 1, 2, 3]
    assert consumer.asked[0] == 7 and len(consumer.asked) >= 2


def test_no_linger_forwards_each_read_as_it_is() -> None:
    settings = Settings(ingest_batch_max=10, ingest_linger_seconds=0)
    batches = {TP0: records(TP0, range(0, 3))}
    consumer = read_on(settings, batches, [{TP0: records(TP0, range(3, 4))}])
    assert [r.offset for r in batches[TP0]] == [0, 1, 2]
    assert consumer.asked == []
