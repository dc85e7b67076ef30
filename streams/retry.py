"""Retrying a delivery until it succeeds, with backoff: the stages never skip a batch."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from streams import metrics

log = logging.getLogger(__name__)

FIRST_DELAY, MAX_DELAY = 0.5, 30.0


async def until_done(
    step: Callable[[], Awaitable[None]],
    stage: str,
    on_error: Callable[[Exception], None] | None = None,
) -> None:
    """Await `step()` until it succeeds, doubling the wait after each failure (0.5 s to
    30 s). Failures are counted per stage in worksignals_sink_failures_total and logged."""
    delay = FIRST_DELAY
    while True:
        try:
            await step()
            return
        except Exception as error:
            metrics.SINK_FAILURES.labels(stage).inc()
            if on_error is not None:
                on_error(error)
            log.error("%s batch failed, retrying in %.1fs: %r", stage, delay, error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
