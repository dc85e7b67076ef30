"""Consumer lag of the worker's consumer groups: end offsets against committed offsets.

The worker measures it every few seconds (`LagMonitor`, exported as
worksignals_consumer_lag_messages) and `worksignals status` once (`measure_once`). Both ask
the broker: one metadata request, log start and end offsets per topic, and the committed
offsets per group. Everything is awaited on the event loop, nothing blocks it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from mode import Service

from streams import metrics
from streams.settings import Settings

log = logging.getLogger(__name__)

LAG_INTERVAL_SECONDS = 5.0
"""How often the worker measures its consumer lag."""


@dataclass(frozen=True)
class Consumption:
    """One stage's consumer group on the topic it reads."""

    stage: str
    group: str
    topic: str


@dataclass(frozen=True)
class Lag:
    """A group's lag on a topic, per partition."""

    consumption: Consumption
    partitions: dict[int, int]

    @property
    def total(self) -> int:
        """Messages not yet committed, over all partitions."""
        return sum(self.partitions.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able view."""
        c = self.consumption
        return {
            "stage": c.stage,
            "group": c.group,
            "topic": c.topic,
            "lag": self.total,
            "partitions": {str(p): n for p, n in sorted(self.partitions.items())},
        }


def consumptions(settings: Settings, role: str, notifier: bool) -> list[Consumption]:
    """The groups a worker of this role runs (the notifier's only with a routing file)."""
    found = []
    if role in ("all", "stream"):
        found += [
            Consumption("ingest", settings.ingest_group, settings.topic_events),
            Consumption("projection", settings.projection_group, settings.topic_ingested),
        ]
    if role == "sink":
        found.append(Consumption("sink", settings.sink_group, settings.topic_rows))
    if notifier:
        found.append(Consumption("notify", settings.notify_group, settings.topic_alerts))
    return found


class LagProbe:
    """Kafka clients that measure lag: an admin client for committed offsets and a
    consumer without a group for the partitions' log start and end offsets."""

    def __init__(self, settings: Settings) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10_000
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10_000
        )

    async def start(self) -> None:
        """Connect both clients."""
        await self._admin.start()
        await self._consumer.start()

    async def close(self) -> None:
        """Disconnect both clients."""
        await self._consumer.stop()
        await self._admin.close()

    async def measure(self, wanted: list[Consumption]) -> list[Lag]:
        """The lag of each consumption whose topic exists."""
        # A consumer without subscriptions learns of topics only by asking for metadata.
        await self._consumer._client.force_metadata_update()
        found = []
        for consumption in wanted:
            partitions = self._consumer.partitions_for_topic(consumption.topic) or set()
            tps = [TopicPartition(consumption.topic, p) for p in sorted(partitions)]
            if not tps:
                continue
            ends = await self._consumer.end_offsets(tps)
            starts = await self._consumer.beginning_offsets(tps)
            committed = await self._admin.list_consumer_group_offsets(
                consumption.group, partitions=tps
            )
            lags = {}
            for tp in tps:
                done = committed[tp].offset if tp in committed else -1
                lags[tp.partition] = max(0, ends[tp] - max(done, starts[tp]))
            found.append(Lag(consumption, lags))
        return found

    async def records(self, topic: str) -> int:
        """Records in a topic now (end minus log start offsets), 0 if it does not exist."""
        await self._consumer._client.force_metadata_update()
        partitions = self._consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return 0
        ends = await self._consumer.end_offsets(tps)
        starts = await self._consumer.beginning_offsets(tps)
        return sum(ends[tp] - starts[tp] for tp in tps)


async def measure_once(
    settings: Settings, wanted: list[Consumption], timeout: float = 15.0
) -> tuple[list[Lag], int]:
    """The lag of each consumption and the dead-letter topic's record count."""
    probe = LagProbe(settings)

    async def run() -> tuple[list[Lag], int]:
        await probe.start()
        return await probe.measure(wanted), await probe.records(settings.topic_dlq)

    try:
        return await asyncio.wait_for(run(), timeout)
    finally:
        await probe.close()


def export(lags: list[Lag]) -> None:
    """Set worksignals_consumer_lag_messages from a measurement."""
    for lag in lags:
        c = lag.consumption
        for partition, messages in lag.partitions.items():
            metrics.CONSUMER_LAG.labels(c.stage, c.group, c.topic, str(partition)).set(messages)
    metrics.LAG_PROBE_TIMESTAMP.set_to_current_time()


class LagMonitor(Service):
    """Measures the worker's consumer lag every LAG_INTERVAL_SECONDS into the gauges.

    A failed measurement (broker away, timeout) is counted and logged once per streak;
    the gauges keep their last values and worksignals_consumer_lag_probe_timestamp_seconds
    shows how old they are.
    """

    def __init__(
        self,
        settings: Settings,
        wanted: list[Consumption],
        interval: float = LAG_INTERVAL_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.wanted = wanted
        self.interval = interval
        self.last: list[Lag] = []
        self._probe: LagProbe | None = None
        self._failing = False

    async def on_stop(self) -> None:
        """Disconnect the probe's clients."""
        if self._probe is not None:
            await self._probe.close()
            self._probe = None

    @Service.task
    async def _measure_periodically(self) -> None:
        while not self.should_stop:
            await self.measure()
            await self.sleep(self.interval)

    async def measure(self) -> None:
        """One measurement into the gauges; errors are counted, not raised."""
        try:
            if self._probe is None:
                self._probe = LagProbe(self.settings)
                await asyncio.wait_for(self._probe.start(), self.interval * 2)
            self.last = await asyncio.wait_for(self._probe.measure(self.wanted), self.interval * 2)
        except Exception as error:
            metrics.LAG_PROBE_ERRORS.inc()
            if not self._failing:
                log.warning("consumer lag not measured: %r", error)
            self._failing = True
            if self._probe is not None:
                probe, self._probe = self._probe, None
                try:
                    await probe.close()
                except Exception as close_error:
                    log.debug("closing the lag probe: %r", close_error)
            return
        if self._failing:
            log.info("consumer lag measured again")
        self._failing = False
        export(self.last)
