"""Waiting for a group coordinator never fails the caller: it only waits, then warns."""

from __future__ import annotations

import asyncio
import logging

import pytest

from streams.processes import free_port
from streams.settings import Settings
from streams.topics import wait_for_group_coordinator


def test_without_a_broker_the_wait_gives_up_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(kafka_bootstrap=f"127.0.0.1:{free_port()}")
    caplog.set_level(logging.WARNING, logger="streams.topics")
    assert asyncio.run(wait_for_group_coordinator(settings, timeout=3.0)) is False
    warnings = [r.getMessage() for r in caplog.records if r.name == "streams.topics"]
    assert len(warnings) == 1
    assert settings.kafka_bootstrap in warnings[0]
    assert settings.ingest_group in warnings[0]
