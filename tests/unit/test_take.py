"""take_on_cadence: batches of at most max_ events, acknowledged only after their batch."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from streams.take import take_on_cadence


class FakeStream:
    """The parts of a Faust stream the take uses; `push` is the passive consumer."""

    def __init__(self) -> None:
        self.processor: Callable[[Any], Awaitable[Any]] | None = None
        self.current_event: Any = None
        self.enable_acks = True
        self.should_stop = False
        self.channel: list[Any] = []
        self.acked: list[Any] = []
        self.warnings: list[tuple[Any, ...]] = []
        self.refused: list[list[Any]] = []
        self.log = self

    def exception(self, *args: Any) -> None:
        raise AssertionError(args)

    def warning(self, *args: Any) -> None:
        self.warnings.append(args)

    def add_processor(self, processor: Callable[[Any], Awaitable[Any]]) -> None:
        self.processor = processor

    def _enable_passive(self, _channel: Any) -> None:
        pass

    async def wait(self, event: asyncio.Event) -> None:
        await event.wait()

    async def wait_for_stopped(self, event: asyncio.Event, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        return self.should_stop

    async def ack(self, event: Any) -> bool:
        self.acked.append(event)
        return True

    async def push(self, value: Any) -> None:
        assert self.processor is not None
        self.current_event = f"event-{value}"
        await self.processor(value)


def test_full_batches_are_handed_out_at_once_and_acked_after_the_body() -> None:
    async def scenario() -> list[list[Any]]:
        stream = FakeStream()
        takes = take_on_cadence(stream, max_=3, within=3600.0)  # type: ignore[arg-type]
        first = asyncio.ensure_future(takes.__anext__())
        await asyncio.sleep(0)
        assert stream.enable_acks is False  # the take acknowledges, not the stream
        pushed: list[int] = []

        async def consume() -> None:  # one message at a time, as Faust's passive consumer
            for n in range(5):
                await stream.push(n)
                pushed.append(n)

        consumer = asyncio.ensure_future(consume())
        batches = [await asyncio.wait_for(first, 5)]  # full: no wait for the deadline
        assert stream.acked == []  # nothing acked while the batch is being processed
        await asyncio.sleep(0.01)
        assert pushed == [0, 1]  # the third waits until its batch is consumed
        stream.should_stop = True
        batches += [b async for b in takes]  # the body is done: acks, then the rest
        await asyncio.wait_for(consumer, 5)
        assert stream.acked[:3] == ["event-0", "event-1", "event-2"]
        return batches

    batches = asyncio.run(scenario())
    assert batches[0] == ["event-0", "event-1", "event-2"]


def test_a_partial_batch_is_handed_out_at_the_deadline_with_everything_buffered() -> None:
    async def scenario() -> tuple[list[Any], list[Any]]:
        stream = FakeStream()
        takes = take_on_cadence(stream, max_=100, within=0.2)  # type: ignore[arg-type]
        first = asyncio.ensure_future(takes.__anext__())
        await asyncio.sleep(0)
        for n in range(4):
            await stream.push(n)
        batch = await asyncio.wait_for(first, 5)
        second = asyncio.ensure_future(takes.__anext__())
        await asyncio.sleep(0)
        acked = list(stream.acked)
        await stream.push(4)
        assert await asyncio.wait_for(second, 5) == ["event-4"]
        stream.should_stop = True
        assert [b async for b in takes] == []  # stopped: the take ends
        return batch, acked

    batch, acked_after_first = asyncio.run(scenario())
    assert batch == ["event-0", "event-1", "event-2", "event-3"]
    assert acked_after_first == batch


def test_with_ack_after_a_batch_is_acked_once_its_write_is_done_and_never_if_it_failed() -> None:
    class Stream(FakeStream):
        def __init__(self) -> None:
            super().__init__()
            self.errors: list[Any] = []

        def exception(self, *args: Any) -> None:
            self.errors.append(args)

    async def scenario() -> None:
        stream = Stream()
        writes: list[asyncio.Future[None]] = []
        loop = asyncio.get_running_loop()
        takes = take_on_cadence(
            stream,  # type: ignore[arg-type]
            max_=2,
            within=3600.0,
            ack_after=lambda: writes[-1],
            on_refused=stream.refused.append,
        )

        pushing: list[asyncio.Future[None]] = []

        async def push(values: list[int]) -> None:  # as Faust's passive consumer
            for n in values:
                await stream.push(n)

        async def take(values: list[int]) -> list[Any]:
            """The next batch (which ends the body of the one before), made of `values`."""
            next_batch = asyncio.ensure_future(takes.__anext__())
            await asyncio.sleep(0.01)
            pushing.append(asyncio.ensure_future(push(values)))  # the last waits for the end
            batch = await asyncio.wait_for(next_batch, 5)
            writes.append(loop.create_future())  # the body starts a write and returns
            return batch

        assert await take([0, 1]) == ["event-0", "event-1"]
        # The next batch is handed out while the first one's write is still running...
        assert await take([2, 3]) == ["event-2", "event-3"]
        third = asyncio.ensure_future(take([4, 5]))  # ends the second batch's body
        await asyncio.sleep(0.01)
        assert stream.acked == []  # ...and neither is acked before its write is done
        writes[1].set_result(None)
        await asyncio.sleep(0.01)
        assert stream.acked == []  # the second waits for the first: acks keep their order
        writes[0].set_result(None)
        assert await third == ["event-4", "event-5"]
        await asyncio.sleep(0.01)
        assert stream.acked == ["event-0", "event-1", "event-2", "event-3"]
        writes[2].set_exception(OSError("insert failed"))
        stream.should_stop = True
        assert [b async for b in takes] == []
        await asyncio.sleep(0.01)
        assert stream.acked == ["event-0", "event-1", "event-2", "event-3"]  # not 4 and 5
        assert len(stream.errors) == 1
        assert stream.refused == [["event-4", "event-5"]]  # nothing committed past them

    asyncio.run(scenario())


def test_a_batch_whose_body_failed_or_was_cancelled_is_not_acknowledged() -> None:
    async def scenario(fail: Callable[[], Awaitable[None]]) -> FakeStream:
        stream = FakeStream()
        takes = take_on_cadence(
            stream,  # type: ignore[arg-type]
            max_=2,
            within=3600.0,
            on_refused=stream.refused.append,
        )

        async def agent() -> None:  # as the projection agent: the body fails with a batch
            async for _batch in takes:
                await fail()

        running = asyncio.ensure_future(agent())
        await asyncio.sleep(0)
        await stream.push(0)
        pushing = asyncio.ensure_future(stream.push(1))  # fills the batch: handed out
        with contextlib.suppress(RuntimeError, asyncio.CancelledError):
            await asyncio.wait_for(running, 5)
        # The loop dropped the generator: the event loop's finalizer closes it, as here.
        await takes.aclose()
        await asyncio.wait_for(pushing, 5)
        return stream

    async def bug() -> None:
        raise RuntimeError("a fold failed")

    async def stopping() -> None:
        raise asyncio.CancelledError  # the worker stopping in the middle of the batch

    for fail in (bug, stopping):
        stream = asyncio.run(scenario(fail))
        assert stream.acked == []  # read again after a restart or a rebalance
        assert len(stream.warnings) == 1 and stream.warnings[0][1] == 2
        assert stream.refused == [["event-0", "event-1"]]  # nothing committed past them
