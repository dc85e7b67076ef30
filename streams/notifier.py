"""Delivers the alerts topic to the channels of the routing file.

A consumer of `topic_alerts` (its own group) hands each alert change to the
`sinks.notify.Dispatcher`, whose outbox records it durably; offsets are committed only
after that, and the dispatcher's per-channel tasks deliver with retries, so a channel
that is down never holds back the pipeline or the other channels. The outbox (under the
state folder) deduplicates by channel, alert_id, status and severity: a restart or a
redelivered change does not send again. Routing enforces contributor first: a
contributor-audience alert goes only to that contributor's own channels.

Its figures (`stats()`) are published to the metrics every few seconds, so a scrape
never reads the outbox.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from mode import Service

from sinks.notify import Dispatcher, load_routing
from streams import metrics
from streams.settings import Settings
from streams.topics import batch_consumer, commit_batches

log = logging.getLogger(__name__)

STATS_INTERVAL_SECONDS = 5.0
"""How often the channel figures are copied to the metrics."""


class Notifier(Service):
    """Reads alert changes and queues them for delivery (roles `all` and `sink`)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if settings.routing_file is None:
            raise ValueError("the notifier needs WORKSIGNALS_ROUTING_FILE")
        self.settings = settings
        self.dispatcher = Dispatcher(
            load_routing(settings.routing_file), settings.state_dir / "notify-outbox.sqlite3"
        )
        self.queued = 0
        self.unreadable = 0
        self._consumer: AIOKafkaConsumer | None = None

    async def on_start(self) -> None:
        """Start the channel tasks, then the consumer."""
        await self.dispatcher.start()
        s = self.settings
        self._consumer = batch_consumer(s, s.topic_alerts, s.notify_group)
        await self._consumer.start()
        metrics.NOTIFIER.publish(self.stats())

    async def on_stop(self) -> None:
        """Leave the group, then stop the channel tasks (pending deliveries stay queued)."""
        if self._consumer is not None:
            await self._consumer.stop()
        await self.dispatcher.stop()
        metrics.NOTIFIER.publish(self.stats())

    @Service.timer(STATS_INTERVAL_SECONDS)
    async def _publish_stats(self) -> None:
        metrics.NOTIFIER.publish(self.stats())

    @Service.task
    async def _consume(self) -> None:
        assert self._consumer is not None
        while not self.should_stop:
            batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
            if not batches:
                continue
            for records in batches.values():
                for record in records:
                    await self._queue(record.value, record.topic, record.partition, record.offset)
            # Refused: read again after the rejoin, which the outbox deduplicates.
            await commit_batches(self._consumer, batches, "notifier")

    async def _queue(self, value: bytes | None, topic: str, partition: int, offset: int) -> None:
        try:
            alert = orjson.loads(value or b"")
            if not isinstance(alert, dict) or "alert_id" not in alert:
                raise ValueError("not an alert object")
            # Refuses (ValueError) an alert without its key fields.
            self.queued += await self.dispatcher.submit(alert)
        except ValueError as error:
            # Only the pipeline writes this topic; a foreign message is logged and skipped,
            # it has no channel to go to.
            self.unreadable += 1
            log.error(
                "unreadable alert message: %s",
                error,
                extra={"topic": topic, "partition": partition, "offset": offset},
            )

    def stats(self) -> dict[str, Any]:
        """Queued and unreadable counts, and the dispatcher's per-channel figures."""
        return {
            "queued": self.queued,
            "unreadable": self.unreadable,
            "channels": self.dispatcher.stats(),
        }
