"""Faust's Kafka transport: a seek to the committed offsets that misses no partition, and
commits that never pass a refused message.

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

It also never commits past a message the projection agent refused (a take that failed,
`RewindingConsumer.refuse`): Faust's own rule let a single such message through.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from streams import metrics

log = logging.getLogger(__name__)


def partitions_to_rewind(
    committed: Mapping[TP, int | None], acks_enabled_for: Callable[[str], bool]
) -> list[TP]:
    """The partitions of acknowledged (agent) topics that aiokafka's `seek_to_committed`
    left in place: no committed offset, or 0."""
    return sorted(
        tp for tp, offset in committed.items() if not offset and acks_enabled_for(tp.topic)
    )


class RewindingConsumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer; its seek to the committed offsets also covers the agents'
    partitions with no committed offset (or 0), and it never commits past a message an
    agent refused (`refuse`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused: dict[TP, set[int]] = {}
        """Offsets of the messages refused since the last seek, per partition."""

    def refuse(self, messages: Iterable[Any]) -> None:
        """Never commit past these messages (a take that failed): they are read again after
        the next seek to the committed offsets (a restart or a rebalance). Faust no longer
        waits for them to be acknowledged at a rebalance."""
        for message in messages:
            self._refused.setdefault(message.tp, set()).add(message.offset)
            self._unacked_messages.discard(message)
        metrics.PROJECTION_MESSAGES_HELD.set(self.held())

    def held(self) -> int:
        """How many refused messages hold the commit."""
        return sum(len(offsets) for offsets in self._refused.values())

    def _new_offset(self, tp: TP) -> int | None:
        """Faust's next offset to commit, but never past a refused message.

        Faust's own rule commits over a single message that was not acknowledged right at
        the committed offset (it compares that offset with the first acknowledged one as if
        it were the last message processed, while it is the next to read), so a failed take
        of one message was committed as soon as the next one was acknowledged. Messages
        that do not exist (retention, compaction) cannot be told from that, so only the
        messages refused are held."""
        new: int | None = super()._new_offset(tp)
        refused = self._refused.get(tp)
        if new is None or not refused:
            return new
        first = min(refused)
        if first >= new:
            return new
        committed = self._committed_offset[tp]
        return first if first > (committed or 0) else None  # None: nothing to advance

    async def seek_to_committed(self) -> Mapping[TP, int]:
        """Seek every partition to its committed offset, and the agents' partitions without
        one to their beginning; refused messages are read again from there."""
        self._refused.clear()
        metrics.PROJECTION_MESSAGES_HELD.set(0)
        committed = await super().seek_to_committed()
        rewind = partitions_to_rewind(committed, self.app.topics.acks_enabled_for)
        if rewind:
            log.info("Seeking partitions without a committed offset to their start: %s", rewind)
            await self._thread.seek_to_beginning(*rewind)
        return committed


class RewindingTransport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with `RewindingConsumer`."""

    Consumer: ClassVar[Any] = RewindingConsumer
