"""A real Kafka broker for the session, and background workers on their own topics and chDB."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.local_kafka import LocalKafka
from streams.localstack import LocalWorker
from streams.processes import free_port
from streams.reader import WorkerReader
from streams.settings import PROJECT_ROOT, Settings, names_apart
from streams.topics import ensure_topics

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One KRaft node on free loopback ports for the whole session; stopped at the end."""
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("broker"),
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        kafka_controller_port=free_port(),
        kafka_home=PROJECT_ROOT / ".worksignals" / "kafka",
    )
    kafka = LocalKafka(settings)
    seconds = kafka.start()
    print(f"\nKafka broker ready in {seconds:.1f}s at {settings.kafka_bootstrap}")
    yield settings
    kafka.stop()


WorkerFactory = Callable[..., Settings]


def isolated_settings(broker: Settings, folder: Path, **overrides: Any) -> Settings:
    """Settings of a worker of its own on the session's broker: unique topics, app id,
    state folder (and chDB path) and HTTP port."""
    name = f"t{uuid.uuid4().hex[:10]}"
    return Settings(
        state_dir=folder / name,
        kafka_bootstrap=broker.kafka_bootstrap,
        kafka_home=broker.kafka_home,
        web_port=free_port(),
        **{**names_apart(name), **overrides},
    )


def query_rows(settings: Settings, sql: str) -> list[dict[str, Any]]:
    """Rows of a read-only query through the running worker, as dicts."""
    reader = WorkerReader(settings)
    try:
        result = reader.query(sql, {})
    finally:
        reader.close()
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


@pytest.fixture
def start_worker(broker: Settings, tmp_path: Path) -> Iterator[WorkerFactory]:
    """Start background workers with unique topics, app id, chDB path and HTTP port.

    Calling it again with the same `settings` restarts a worker on the same state.
    """
    started: list[LocalWorker] = []

    def start(settings: Settings | None = None, **overrides: Any) -> Settings:
        if settings is None:
            settings = isolated_settings(broker, tmp_path, **overrides)
            asyncio.run(ensure_topics(settings))
        worker = LocalWorker(settings)
        worker.start()
        started.append(worker)
        return settings

    yield start
    for worker in started:
        worker.stop()
