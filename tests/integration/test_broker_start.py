"""A fresh broker: the first consumer group starts without the broker's start-up errors."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from streams.local_kafka import LocalKafka
from streams.processes import free_port
from streams.settings import PROJECT_ROOT, Settings
from streams.topics import ensure_topics

pytestmark = pytest.mark.integration


async def _join_a_group(settings: Settings) -> None:
    consumer = AIOKafkaConsumer(
        settings.topic_events,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.ingest_group,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()


def test_consumers_on_a_new_broker_log_no_coordinator_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        state_dir=tmp_path,
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        kafka_controller_port=free_port(),
        kafka_home=PROJECT_ROOT / ".worksignals" / "kafka",
    )
    kafka = LocalKafka(settings)
    kafka.start()
    try:
        caplog.set_level(logging.WARNING, logger="aiokafka")
        asyncio.run(ensure_topics(settings))
        asyncio.run(_join_a_group(settings))
    finally:
        kafka.stop()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
