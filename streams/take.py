"""Batches of a Faust stream's events on a fixed cadence: `take_on_cadence`.

Faust's `Stream.take_events(max_, within)` yields when `max_` events are buffered or when
`within` seconds have passed since it started waiting, and it starts waiting only once the
previous batch was processed. Under a steady load that stretches the cycle: a batch that
took P seconds to process is followed by a full `within` of waiting, so the cycle is
`within + P`, P grows with the events of that longer cycle, and at a load using a share u
of the worker the cycle tends to `within / (1 - u)`. Measured on `make bench` at 5,000
events/s (u about 0.7): an alert took 1.7 to 3.6 seconds to reach its topic.

Here the deadline of a batch is `within` after the previous batch was handed out, so
processing time counts towards it: the cycle is `max(within, P)`. A batch is handed out
when `max_` events are buffered, or at the deadline, after a grace of at least
`MIN_LINGER` seconds from the first event buffered, so that the events queued while the
previous batch was processed all join the next one instead of trickling in one at a time.
After a quiet spell the first event is handed out after that grace alone.

The buffering, the acknowledgements (after the consumer's loop body, so an event is
committed only once its batch was processed, or after a write the body left running:
`ack_after`) and the crash handling are Faust's own (`faust.streams.Stream.take_events`,
faust-streaming 0.15), with one difference: Faust's take acknowledges a batch whose body
raised or was cancelled, so a bug in a fold, or a worker stopped in the middle of a
batch, had its events committed without their state or rows. Here such a batch is not
acknowledged: Faust commits an offset only below the first event not acknowledged, so its
events are read again after a restart or a rebalance (the folds are idempotent).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from faust.types import EventT, StreamT
from mode.utils.aiter import aiter
from mode.utils.futures import notify

MIN_LINGER = 0.05
"""Seconds a batch waits at least after its first event for those queued behind it."""


async def take_on_cadence(
    stream: StreamT[Any],
    max_: int,
    within: float,
    ack_after: Callable[[], Awaitable[Any] | None] | None = None,
    on_refused: Callable[[list[EventT]], None] | None = None,
) -> AsyncGenerator[list[EventT], None]:
    """Yield lists of at most `max_` events of `stream`, one list about every `within`
    seconds under load; each list's events are acknowledged once the loop body that
    received it is done, never when it raised or was cancelled.

    `ack_after`, called when the body is done, may return an awaitable the body started
    and left running (a write): the list's events are then acknowledged once it is done,
    without holding up the next list, and never when it fails. Acknowledgements keep the
    lists' order. A list never acknowledged (its body raised or was cancelled, or its
    awaitable failed) is handed to `on_refused`, so that nothing is committed past it."""
    s: Any = stream  # the private parts take_events uses are not in StreamT
    buffer: list[Any] = []
    events: list[EventT] = []
    buffer_started = asyncio.Event()
    buffer_full = asyncio.Event()
    buffer_consumed = asyncio.Event()
    buffer_consuming: asyncio.Future[Any] | None = None
    first_at = 0.0
    loop = asyncio.get_running_loop()
    acking: asyncio.Task[None] | None = None
    """The acknowledgements still waiting for an `ack_after` awaitable."""

    async def add_to_buffer(value: Any) -> Any:
        nonlocal buffer_consuming, first_at
        try:
            if buffer_consuming is not None:
                try:
                    await buffer_consuming
                finally:
                    buffer_consuming = None
            if not buffer:
                first_at = loop.time()
                buffer_started.set()
            buffer.append(value)
            event = s.current_event
            if event is None:
                raise RuntimeError("Take buffer found current_event is None")
            events.append(event)
            if len(buffer) >= max_:
                buffer_full.set()
                buffer_consumed.clear()
                await s.wait(buffer_consumed)
        except asyncio.CancelledError:  # pragma: no cover
            raise
        except Exception as exc:
            s.log.exception("Error adding to take buffer: %r", exc)
            await s.crash(exc)
        return value

    s.enable_acks = False
    s.add_processor(add_to_buffer)
    s._enable_passive(aiter(s.channel))
    deadline = loop.time() + within
    while not s.should_stop:
        if not buffer:
            # Woken now and then to see whether the stream stopped.
            await s.wait_for_stopped(buffer_started, timeout=within)
            continue
        wait = max(deadline, first_at + MIN_LINGER) - loop.time()
        if wait > 0 and not buffer_full.is_set():
            await s.wait_for_stopped(buffer_full, timeout=wait)
        deadline = loop.time() + within
        buffer_consuming = loop.create_future()
        done = False
        try:
            yield list(events)
            done = True
        finally:
            buffer.clear()
            if not done:
                # The body raised or was cancelled (the worker stopping) with the list in
                # hand: its events are read again after a restart or a rebalance.
                s.log.warning(
                    "Not acknowledging %d events: their batch was not processed (the worker "
                    "is stopping, or the batch failed: see the error logged with it)",
                    len(events),
                )
                if on_refused is not None:
                    on_refused(list(events))
            elif (gate := ack_after() if ack_after is not None else None) is None and (
                acking is None or acking.done()
            ):
                for event in events:
                    await s.ack(event)
            else:
                acking = loop.create_task(_ack_after(s, list(events), gate, acking, on_refused))
            events.clear()
            notify(buffer_consuming)
            buffer_started.clear()
            buffer_full.clear()
            buffer_consumed.set()


async def _ack_after(
    s: Any,
    events: list[EventT],
    gate: Awaitable[Any] | None,
    previous: asyncio.Task[None] | None,
    on_refused: Callable[[list[EventT]], None] | None,
) -> None:
    """Acknowledge `events` after `previous` (earlier lists' acknowledgements) and `gate`;
    not at all when `gate` fails (`on_refused`: the events are read again after a
    restart)."""
    if previous is not None:
        await previous
    if gate is not None:
        try:
            await gate
        except Exception:  # the body that started it sees the error too
            s.log.exception("Not acknowledging %d events: their batch failed", len(events))
            if on_refused is not None:
                on_refused(events)
            return
    for event in events:
        await s.ack(event)
