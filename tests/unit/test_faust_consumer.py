"""The consumer's seek to committed offsets rewinds agent partitions that have none, and its
commits never pass a message that was not acknowledged."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from intervaltree import IntervalTree

from streams import metrics
from streams.faust_consumer import RewindingConsumer, RewindingTransport, partitions_to_rewind

INGESTED = "ws.ingested"
CHANGELOG = "ws-projection-state-changelog"


def acks_enabled_for(topic: str) -> bool:
    return topic == INGESTED


def test_only_agent_partitions_without_a_committed_offset_are_rewound() -> None:
    committed = {
        TP(INGESTED, 0): None,
        TP(INGESTED, 1): 0,
        TP(INGESTED, 2): 7,
        TP(CHANGELOG, 0): None,
        TP(CHANGELOG, 1): 0,
    }
    assert partitions_to_rewind(committed, acks_enabled_for) == [TP(INGESTED, 0), TP(INGESTED, 1)]


class FakeThread:
    """The consumer thread's seeks, recorded."""

    def __init__(self, committed: dict[TP, int | None]) -> None:
        self.committed = committed
        self.to_beginning: list[TP] = []

    async def seek_to_committed(self) -> dict[TP, int | None]:
        return self.committed

    async def seek_to_beginning(self, *partitions: TP) -> None:
        self.to_beginning += partitions


class FakeTopics:
    acks_enabled_for = staticmethod(acks_enabled_for)


class FakeApp:
    topics = FakeTopics()


def consumer_on(thread: FakeThread) -> Any:
    consumer: Any = object.__new__(RewindingConsumer)  # no broker: only the seek is tested
    consumer._thread = thread
    consumer.app = FakeApp()
    consumer._refused = {}
    return consumer


def test_seek_to_committed_sends_partitions_without_an_offset_to_their_start() -> None:
    committed: dict[TP, int | None] = {
        TP(INGESTED, 0): None,
        TP(INGESTED, 1): 12,
        TP(CHANGELOG, 0): None,
    }
    thread = FakeThread(committed)
    assert asyncio.run(consumer_on(thread).seek_to_committed()) == committed
    assert thread.to_beginning == [TP(INGESTED, 0)]


def test_seek_to_committed_seeks_nothing_more_when_every_partition_has_an_offset() -> None:
    thread = FakeThread({TP(INGESTED, 0): 3, TP(CHANGELOG, 0): None})
    asyncio.run(consumer_on(thread).seek_to_committed())
    assert thread.to_beginning == []


def test_an_app_on_the_rewinding_transport_consumes_with_the_rewinding_consumer() -> None:
    app = faust.App("ws-test", broker="kafka://127.0.0.1:9", autodiscover=False)
    app.transport = RewindingTransport(app.conf.broker_consumer, app)
    assert isinstance(app.consumer, RewindingConsumer)


def consumer_with(committed: int | None, acked: list[int]) -> Any:
    """A consumer whose commit bookkeeping of one partition of INGESTED is as given."""
    consumer: Any = object.__new__(RewindingConsumer)  # no broker: only the bookkeeping
    tp = TP(INGESTED, 0)
    consumer._committed_offset = defaultdict(lambda: None, {tp: committed})
    consumer._acked = defaultdict(list, {tp: list(acked)})
    consumer._acked_index = defaultdict(set, {tp: set(acked)})
    consumer._gap = defaultdict(IntervalTree)
    consumer._unacked_messages = set()
    consumer._refused = {}
    return consumer


class Message:
    """What `refuse` reads of a Faust message (hashable, as Faust's are)."""

    def __init__(self, offset: int) -> None:
        self.tp = TP(INGESTED, 0)
        self.offset = offset


def message(offset: int) -> Any:
    return Message(offset)


def test_nothing_is_committed_past_a_refused_message() -> None:
    tp = TP(INGESTED, 0)
    # Offset 10 is the next to read, its take failed; 11 and 12 were acknowledged.
    held = consumer_with(10, [11, 12])
    refused = message(10)
    held._unacked_messages.add(refused)
    held.refuse([refused])
    assert held._new_offset(tp) is None
    assert held._unacked_messages == set()  # a rebalance does not wait for it
    # Faust's own rule commits 13 there, past the message never processed.
    assert faust_aiokafka.Consumer._new_offset(consumer_with(10, [11, 12]), tp) == 13
    # A message refused further on: committed up to it, not past it.
    ahead = consumer_with(10, [10, 11, 13])
    ahead.refuse([message(12)])
    assert ahead._new_offset(tp) == 12
    # Nothing committed yet: held at the refused message too.
    first = consumer_with(None, [1, 2])
    first.refuse([message(0)])
    assert first._new_offset(tp) is None


def test_offsets_that_do_not_exist_do_not_hold_the_commit() -> None:
    # Offset 10 was deleted (retention) or compacted away: nothing was refused there.
    assert consumer_with(10, [11, 12])._new_offset(TP(INGESTED, 0)) == 13


def test_a_seek_to_the_committed_offsets_forgets_the_refused_messages() -> None:
    thread = FakeThread({TP(INGESTED, 0): 10})
    consumer = consumer_on(thread)
    consumer._unacked_messages = set()
    consumer.refuse([message(10)])
    asyncio.run(consumer.seek_to_committed())  # read again from 10
    consumer._committed_offset = defaultdict(lambda: None, {TP(INGESTED, 0): 10})
    consumer._acked = defaultdict(list, {TP(INGESTED, 0): [10, 11]})
    consumer._acked_index = defaultdict(set, {TP(INGESTED, 0): {10, 11}})
    consumer._gap = defaultdict(IntervalTree)
    assert consumer._new_offset(TP(INGESTED, 0)) == 12


def test_the_messages_holding_the_commit_are_counted_until_the_next_seek() -> None:
    def held() -> float | None:
        return metrics.REGISTRY.get_sample_value("worksignals_projection_messages_held")

    thread = FakeThread({TP(INGESTED, 0): 10})
    consumer = consumer_on(thread)
    consumer._unacked_messages = set()
    consumer.refuse([message(10), message(11)])
    consumer.refuse([message(11)])  # refused again: still two messages
    assert consumer.held() == 2
    assert held() == 2
    asyncio.run(consumer.seek_to_committed())
    assert consumer.held() == 0
    assert held() == 0
