"""A projection take that raises is logged, counted and never acknowledged; the next goes on."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP, EventT

from streams import metrics
from streams.app import Pipeline
from streams.faust_consumer import RewindingConsumer
from streams.settings import Settings
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
