"""A projection take that raises is logged, counted and never acknowledged; the next goes on."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from faust.types import TP, EventT

from streams import metrics
from streams.app import TURN_EVERY_EVENTS, Pipeline
from streams.faust_consumer import RewindingConsumer
from streams.settings import Settings
from tests.factories import raw
from tests.unit.test_take import FakeStream


class Message:
    """What the agent reads of a Faust message (hashable, as Faust's are)."""

    def __init__(self, offset: int) -> None:
        self.tp = TP("ws.ingested", 0)
        self.partition = 0
        self.offset = offset


class EventStream(FakeStream):
    """A fake stream whose events carry a message's partition and offset, as Faust's, and
    that keeps what it logs with a traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[tuple[Any, ...]] = []

    def exception(self, *args: Any) -> None:
        self.errors.append(args)

    async def push(self, value: Any) -> None:
        assert self.processor is not None
        self.current_event = SimpleNamespace(message=Message(value))
        await self.processor(value)


def test_a_failed_take_is_not_acknowledged_and_the_next_one_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = Pipeline(Settings(state_dir=tmp_path, role="stream"))  # no chDB to open
    folded: list[list[int]] = []

    async def fold_take(events: list[EventT]) -> None:
        offsets = [e.message.offset for e in events]
        folded.append(offsets)
        if len(folded) == 1:
            raise RuntimeError("a fold bug")

    monkeypatch.setattr(pipeline, "_fold_take", fold_take)
    monkeypatch.setattr("streams.app.TAKE_MAX_MESSAGES", 2)
    forgotten: list[bool] = []
    pipeline.app.on_partitions_revoked.disconnect(pipeline._forget_cache)

    async def forget() -> None:
        forgotten.append(True)

    monkeypatch.setattr(pipeline, "_forget_cache", forget)
    failed_before = metrics.PROJECTION_TAKES_FAILED._value.get()

    async def scenario() -> EventStream:
        stream = EventStream()
        agent = asyncio.ensure_future(pipeline._project(stream))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        for offset in range(4):  # two full takes
            await stream.push(offset)
        for _ in range(100):
            if len(folded) == 2 and len(stream.acked) == 2:
                break
            await asyncio.sleep(0.01)
        stream.should_stop = True
        await asyncio.wait_for(agent, 5)
        return stream

    with caplog.at_level(logging.ERROR, logger="streams.app"):
        stream = asyncio.run(scenario())
    assert folded == [[0, 1], [2, 3]]  # the worker went on after the failure
    assert [e.message.offset for e in stream.acked] == [2, 3]  # never the failed take
    assert [args[1] for args in stream.errors] == [2]  # "Not acknowledging 2 events"
    assert metrics.PROJECTION_TAKES_FAILED._value.get() == failed_before + 1
    assert forgotten == [True]  # memoised figures dropped
    # Its consumer never commits past the failed take (read again after the next seek).
    consumer = pipeline.app.consumer
    assert isinstance(consumer, RewindingConsumer)
    assert consumer._refused == {TP("ws.ingested", 0): {0, 1}}
    (record,) = [r for r in caplog.records if "failed and is not acknowledged" in r.message]
    assert "(0, 0), (0, 1)" in record.getMessage() and record.exc_info is not None


class BatchMessage:
    """What the fold reads of a Faust event carrying a batch message (weakly referenced,
    as Faust's are)."""

    def __init__(self, value: bytes) -> None:
        self.value = value
        self.message = SimpleNamespace(partition=0)


def test_the_fold_gives_the_loop_a_turn_every_so_many_events_within_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline(Settings(state_dir=tmp_path, role="stream"))  # no chDB to open
    monkeypatch.setattr(pipeline, "state", {})

    async def flush(state: Any, partition: int) -> None:
        state.pending.clear()

    monkeypatch.setattr(pipeline, "_flush", flush)
    events = [
        [
            "ws.events",
            0,
            n,
            raw("time.logged", entry_id=f"e{n}", contributor_id=f"c{n % 7}").decode(),
        ]
        for n in range(2 * TURN_EVERY_EVENTS + 5)
    ]
    message = BatchMessage(orjson.dumps({"events": events}))
    turns: list[float] = []
    sleep = asyncio.sleep

    async def counting_sleep(delay: float, *args: Any) -> Any:
        turns.append(delay)
        return await sleep(delay, *args)

    async def fold() -> Any:
        monkeypatch.setattr(asyncio, "sleep", counting_sleep)
        try:
            return await pipeline._fold_partition([message])  # type: ignore[list-item]
        finally:
            monkeypatch.setattr(asyncio, "sleep", sleep)

    touched, _alerts = asyncio.run(fold())
    # One message of 405 events: a turn after the 200th and the 400th, not only between
    # messages.
    assert turns == [0, 0]
    assert len(touched.days) == 7
    assert pipeline.projected_events == len(events)
