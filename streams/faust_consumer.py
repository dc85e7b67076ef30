"""Faust's Kafka transport with a seek to the committed offsets that misses no partition.

During a rebalance, Faust discards the records its fetcher already holds (flow stopped,
generation changed) and seeks every partition back to its committed offset before the
streams resume (`Consumer.perform_seek`). aiokafka's `seek_to_committed` only seeks a
partition whose committed offset is above 0: a partition with none (nothing committed yet
by the group) or 0 keeps its fetch position, past the records just discarded. Those are then
neither processed nor committed until the next rebalance. Seen in the scale-out test: a new
stream worker's first batch message on a partition stayed unprocessed for minutes.

`RewindingConsumer` seeks such partitions of the agents' topics to their beginning, where
a consumer without a committed offset starts (the app's `auto_offset_reset` is earliest).
Changelog partitions are left alone: table recovery places those itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

log = logging.getLogger(__name__)


def partitions_to_rewind(
    committed: Mapping[TP, int | None], acks_enabled_for: Callable[[str], bool]
) -> list[TP]:
    """The partitions of acknowledged (agent) topics that aiokafka's `seek_to_committed`
    left in place: no committed offset, or 0."""
    return sorted(
        tp for tp, offset in committed.items() if not offset and acks_enabled_for(tp.topic)
    )


def holds_commit(committed: int | None, acked: list[int], absent: Any) -> bool:
    """Whether the message at the committed offset (the next one to read) is still not
    acknowledged, so nothing may be committed past it: it exists (`absent`, Faust's
    interval tree of offsets it saw skipped, does not hold it) and the first acknowledged
    offset lies beyond it. None committed: unknown, Faust's own test decides."""
    if committed is None or not acked:
        return False
    return min(acked) > committed and not absent.overlaps(committed)


class RewindingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer; its seek to the committed offsets also covers the agents'
    partitions with no committed offset (or 0), and it never commits past a message that
    was not acknowledged."""

    def _new_offset(self, tp: TP) -> int | None:
        """Faust's next offset to commit, except while the message at the committed offset
        is not acknowledged (`holds_commit`). Faust compares the first acknowledged offset
        with the committed one as if that were the last message processed, while it is the
        next to read: a single message not acknowledged (a take that failed) right there
        was committed over as soon as the one after it was acknowledged."""
        if holds_commit(self._committed_offset[tp], self._acked[tp], self._gap[tp]):
            return None
        new: int | None = super()._new_offset(tp)
        return new

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every partition to its committed offset, and the agents' partitions without
        one to their beginning."""
        committed = await super().seek_to_committed()
        rewind = partitions_to_rewind(committed, self.app.topics.acks_enabled_for)
        if rewind:
            log.info("Seeking partitions without a committed offset to their start: %s", rewind)
            await self._thread.seek_to_beginning(*rewind)
        return committed


class RewindingTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with `RewindingConsumer`."""

    Consumer: ClassVar[Any] = RewindingConsumer
