"""Creating the pipeline's topics with the configured partition count."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.client import AIOKafkaClient, CoordinationType
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaError,
    TopicAlreadyExistsError,
)

from streams.settings import Settings

log = logging.getLogger(__name__)

Batches = Mapping[TopicPartition, Sequence[ConsumerRecord]]
"""A `getmany` result: records per partition."""


def pipeline_topics(settings: Settings) -> list[str]:
    """Every topic the pipeline reads or writes (Faust creates its changelogs itself)."""
    return [
        settings.topic_events,
        settings.topic_dlq,
        settings.topic_ingested,
        settings.topic_alerts,
        settings.topic_rows,
    ]


async def ensure_topics(settings: Settings, names: list[str] | None = None) -> None:
    """Create missing topics (existing ones are left as they are), and wait until the
    broker can coordinate consumer groups."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in (names or pipeline_topics(settings)) if n not in existing]
        if wanted:
            new = [
                NewTopic(name, num_partitions=settings.partitions, replication_factor=1)
                for name in wanted
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile elsewhere
                await admin.create_topics(new)
    finally:
        await admin.close()
    await wait_for_group_coordinator(settings)


async def wait_for_group_coordinator(settings: Settings, timeout: float = 60.0) -> bool:
    """Wait until the broker names a coordinator for each of the worker's consumer groups;
    False (logged) when it did not within `timeout`.

    A new broker creates its offsets topic on the first group's request and answers
    "coordinator not available" until it is ready; a consumer that asks then logs that
    at ERROR (aiokafka) and retries. Asking here first keeps that out of the logs of
    everything that starts consumers afterwards. The consumers retry by themselves, so
    this never fails: it only waits."""
    groups = [
        settings.projection_group,
        settings.ingest_group,
        settings.notify_group,
        settings.sink_group,
    ]
    client = AIOKafkaClient(bootstrap_servers=settings.kafka_bootstrap)
    try:
        async with asyncio.timeout(timeout):
            await client.bootstrap()
            for group in groups:
                while True:
                    try:
                        await client.coordinator_lookup(CoordinationType.GROUP, group)
                        break
                    except KafkaError as error:
                        if not error.retriable:
                            raise
                        await asyncio.sleep(0.2)
        return True
    except (TimeoutError, KafkaError) as error:
        log.warning(
            "no group coordinator at %s for %s yet (%s); consumers will retry",
            settings.kafka_bootstrap,
            ", ".join(groups),
            repr(error),
        )
        return False
    finally:
        await client.close()


async def end_offsets(settings: Settings, topic: str) -> dict[TopicPartition, int]:
    """The next offset to be written, per partition of a topic (empty if it does not exist)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        # A consumer without subscriptions knows no topic until it asks for metadata.
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        return dict(await consumer.end_offsets(tps)) if tps else {}
    finally:
        await consumer.stop()


def batch_consumer(settings: Settings, topic: str, group: str) -> AIOKafkaConsumer:
    """A consumer for a stage's batch loop: manual commits after the batch is stored, large
    fetches, and a session timeout from the settings."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=32 * 1024 * 1024,
        max_poll_interval_ms=30 * 60 * 1000,
        session_timeout_ms=int(settings.session_timeout_seconds * 1000),
        heartbeat_interval_ms=int(settings.session_timeout_seconds * 1000 / 3),
    )


def log_batch(what: str, batches: Batches, error: BaseException) -> None:
    """Log a warning about a batch once per partition, with the offsets it spans as the
    record's topic, partition, offset and last_offset fields."""
    for tp, records in batches.items():
        log.warning(
            "%s, offsets %d-%d: %r",
            what,
            records[0].offset,
            records[-1].offset,
            error,
            extra={
                "topic": tp.topic,
                "partition": tp.partition,
                "offset": records[0].offset,
                "last_offset": records[-1].offset,
            },
        )


async def commit_batches(
    consumer: AIOKafkaConsumer, batches: Batches, stage: str
) -> Exception | None:
    """Commit past every record of a stored batch; return the refusal, if the group
    refused it.

    A refusal means the group went on without this member (say, a long pause missed its
    heartbeats): it rejoins on its next read, and whoever owns the partitions then reads
    the batch again, which every stage's sinks ignore as repeats. Logged per partition.
    """
    try:
        await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batches.items()})
    except (CommitFailedError, IllegalStateError) as error:
        log_batch(f"{stage} commit refused, read again", batches, error)
        return error
    return None
