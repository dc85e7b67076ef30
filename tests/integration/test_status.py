"""`worksignals status` against real workers: healthy, a stage failing its writes, stopped."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams import cli
from streams.localstack import LocalWorker, settings_env
from streams.publish import publish_lines
from streams.settings import Settings
from streams.topics import ensure_topics
from tests.factories import raw
from tests.integration.conftest import WorkerFactory, isolated_settings
from tests.integration.test_alerts import publish, routing_file
from tests.notify_support import http_receiver

pytestmark = pytest.mark.integration


Status = Callable[..., tuple[int, str]]


@pytest.fixture
def status(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Status:
    """Runs `worksignals status ARGV` configured for `settings`: exit code and stdout."""

    def run(settings: Settings, *argv: str) -> tuple[int, str]:
        for name, value in settings_env(settings).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = cli.main(["status", *argv])
        return code, capsys.readouterr().out

    return run


def poll(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_status_reports_every_stage_and_exits_1_once_the_worker_is_stopped(
    start_worker: WorkerFactory, tmp_path: Path, status: Status
) -> None:
    with http_receiver() as ops_hook, http_receiver() as ana_hook:
        settings = start_worker(
            routing_file=routing_file(tmp_path / "routing.toml", ops_hook, ana_hook)
        )
        publish(settings, [raw("time.logged"), raw("clock.ticked"), b"not json", b"[]"])

        def settled() -> dict[str, Any] | None:
            code, out = status(settings, "--json")
            report = json.loads(out)
            lags = [c["lag"] for c in report.get("consumers", [])]
            return report if code == 0 and len(lags) == 3 and not any(lags) else None

        report = poll(settled, "status with every consumer caught up")
        assert report["healthy"] is True and report["problems"] == []
        assert report["broker"]["up"] and report["worker"]["up"]
        assert report["worker"]["role"] == "all"
        assert report["worker"]["ingest"]["accepted"] == 2
        assert report["worker"]["ingest"]["rejected_by_reason"] == {
            "invalid_json": 1,
            "not_an_object": 1,
        }
        assert report["last_write"]["ingest"] and report["last_write"]["projection"]
        assert {(c["stage"], c["group"], c["topic"]) for c in report["consumers"]} == {
            ("ingest", settings.ingest_group, settings.topic_events),
            ("projection", settings.projection_group, settings.topic_ingested),
            ("notify", settings.notify_group, settings.topic_alerts),
        }
        for consumer in report["consumers"]:
            assert set(consumer["partitions"]) == {str(p) for p in range(settings.partitions)}
        assert report["dead_letters"] == 2
        assert set(report["notifier"]["channels"]) == {"ops-hook", "ana-hook"}
        assert report["sinks"]["ingest"]["failing"] is False
        assert report["sinks"]["projection"]["failing"] is False

        code, text = status(settings)
        assert code == 0
        for row in (
            "lag ingest",
            "lag projection",
            "lag notify",
            "last write ingest",
            "last write projection",
            "dead letters",
            "channel ops-hook",
            "sink ingest",
        ):
            assert row in text, f"{row!r} missing from:\n{text}"
        assert "problem" not in text

        assert LocalWorker(settings).stop()
        code, out = status(settings, "--json")
        assert code == 1
        report = json.loads(out)
        assert report["worker"]["up"] is False and report["broker"]["up"] is True
        assert report["problems"] == [f"the worker at {settings.worker_url} does not answer"]
        # Lag is still measured from the broker: the committed offsets outlive the worker.
        assert {c["stage"] for c in report["consumers"]} == {"ingest", "projection", "notify"}
        code, text = status(settings)
        assert code == 1 and "does not answer" in text


def test_status_exits_1_while_a_stage_cannot_write(
    broker: Settings,
    start_worker: WorkerFactory,
    tmp_path: Path,
    status: Status,
) -> None:
    """A stream worker whose rows topic refuses every message (64-byte limit): its ingest
    stage retries the batch, and status says so."""
    settings = isolated_settings(broker, tmp_path, role="stream")
    asyncio.run(_create_tiny_topic(settings, settings.topic_rows))
    asyncio.run(ensure_topics(settings))
    start_worker(settings)
    asyncio.run(publish_lines(settings, iter(enumerate([raw("time.logged")], start=1))))

    def failing() -> dict[str, Any] | None:
        code, out = status(settings, "--json")
        report = json.loads(out)
        return report if code == 1 and report["problems"] else None

    report = poll(failing, "status to report the failing ingest stage")
    assert report["worker"]["up"] and report["broker"]["up"]
    [problem] = report["problems"]
    assert problem.startswith("the ingest stage's writes are failing: MessageSizeTooLarge")
    assert report["sinks"]["ingest"]["failing"] is True
    assert report["sinks"]["ingest"]["failures"] >= 1
    ingest = next(c for c in report["consumers"] if c["stage"] == "ingest")
    assert ingest["lag"] == 1  # not committed while it cannot be stored


async def _create_tiny_topic(settings: Settings, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    topic,
                    num_partitions=settings.partitions,
                    replication_factor=1,
                    topic_configs={"max.message.bytes": "64"},
                )
            ]
        )
    finally:
        await admin.close()
