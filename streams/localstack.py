"""The local stack in the background: the Kafka broker and the worker on embedded ClickHouse."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams.lag import consumptions, measure_once
from streams.local_kafka import BrokerError, LocalKafka
from streams.processes import PidFile, wait_until_ready
from streams.reader import worker_health
from streams.settings import Settings
from streams.topics import ensure_topics

WORKER_MALLOC_ARENAS = "2"
"""glibc malloc arenas of a background worker (MALLOC_ARENA_MAX, unless already set).

The worker's threads (the embedded ClickHouse, RocksDB, the executor that runs inserts)
each get a malloc arena by default, up to eight per core, and freed memory stays spread
over them. On `make bench` (1M events), two arenas and a smaller table cache took the
worker's peak RSS from 1,195 MB to 1,014 MB at the same rate."""


class StackError(RuntimeError):
    """A part of the local stack could not be started."""


@dataclass(frozen=True)
class StartedStack:
    """Timings of `up`, in seconds (0 for a part that was already running)."""

    broker_seconds: float
    worker_seconds: float


@dataclass(frozen=True)
class LocalWorker:
    """The background worker process: pid file, log file, start and stop."""

    settings: Settings

    @property
    def pid_file(self) -> Path:
        """Holds the worker's pid while it runs."""
        return self.settings.state_dir / "worker.pid"

    @property
    def log_file(self) -> Path:
        """The worker's log."""
        return self.settings.state_dir / "logs" / "worker.log"

    def running_pid(self) -> int | None:
        """The worker's pid if its process is alive."""
        return PidFile(self.pid_file).running_pid()

    def start(self, timeout: float = 180.0) -> float:
        """Start `worksignals worker` in the background; wait until it answers /health."""
        if self.running_pid() is not None:
            return 0.0
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "MALLOC_ARENA_MAX": WORKER_MALLOC_ARENAS,
            **os.environ,
            **settings_env(self.settings),
        }
        with open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        pids = PidFile(self.pid_file)
        pids.write(process.pid)
        try:
            return wait_until_ready(
                process,
                pids,
                lambda: worker_health(self.settings, timeout=1.0) is not None,
                timeout,
                "the worker",
            )
        except RuntimeError as error:
            raise StackError(f"{error}; see {self.log_file}") from error

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the worker gracefully (SIGTERM, SIGKILL after timeout)."""
        return PidFile(self.pid_file).stop(timeout)


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as WORKSIGNALS_* variables, so a child process sees the same config."""
    env = {}
    for name, value in settings.model_dump(exclude_none=True).items():
        env[f"WORKSIGNALS_{name.upper()}"] = str(value)
    return env


def up(settings: Settings) -> StartedStack:
    """Fetch and start the broker, create the topics, start the worker."""
    try:
        broker_seconds = LocalKafka(settings).start()
    except BrokerError as error:
        raise StackError(str(error)) from error
    asyncio.run(ensure_topics(settings))
    worker_seconds = LocalWorker(settings).start()
    return StartedStack(broker_seconds, worker_seconds)


def down(settings: Settings) -> tuple[bool, bool]:
    """Stop the worker, then the broker; say which were running."""
    worker = LocalWorker(settings).stop()
    broker = LocalKafka(settings).stop()
    return worker, broker


def status(settings: Settings) -> dict[str, Any]:
    """Broker and worker liveness, consumer lag, the last writes, dead letters, the
    notifier's channels, and the problems that make `worksignals status` exit 1."""
    broker = LocalKafka(settings)
    broker_up = broker.running_pid() is not None or _kafka_answers(settings)
    health = worker_health(settings)
    report: dict[str, Any] = {
        "broker": {
            "up": broker_up,
            "bootstrap": settings.kafka_bootstrap,
            "pid": broker.running_pid(),
        },
        "worker": {
            "up": health is not None,
            "pid": LocalWorker(settings).running_pid(),
            "url": settings.worker_url,
        },
        "clickhouse": settings.clickhouse,
    }
    if health is not None:
        report["worker"].update(health)
    worker = report["worker"]
    report["last_write"] = {
        "ingest": (worker.get("ingest") or {}).get("last_write_at"),
        "projection": (worker.get("projection") or {}).get("last_write_at"),
    }
    report["sinks"] = worker.get("sinks") or {}
    report["notifier"] = worker.get("notifier")
    if broker_up:
        role = worker.get("role", settings.role)
        notifier = (
            worker["notifier"] is not None
            if health is not None
            else settings.routing_file is not None and role in ("all", "sink")
        )
        try:
            lags, dead_letters = asyncio.run(
                measure_once(settings, consumptions(settings, role, notifier))
            )
        except Exception as error:
            report["lag_error"] = f"{type(error).__name__}: {error}"
        else:
            report["consumers"] = [lag.as_dict() for lag in lags]
            report["dead_letters"] = dead_letters
            # Per topic and partition, as before the consumers list (kept for scripts).
            report["lag"] = {
                lag.consumption.topic: {str(p): n for p, n in sorted(lag.partitions.items())}
                for lag in lags
            }
            report["lag"]["dlq_records"] = dead_letters
    report["problems"] = problems(report)
    report["healthy"] = not report["problems"]
    return report


def problems(report: dict[str, Any]) -> list[str]:
    """What is down or failing in a status report; empty when all is well."""
    found = []
    if not report["broker"]["up"]:
        found.append(f"the broker at {report['broker']['bootstrap']} does not answer")
    if not report["worker"]["up"]:
        found.append(f"the worker at {report['worker']['url']} does not answer")
    for stage, sink in sorted((report.get("sinks") or {}).items()):
        if sink.get("failing"):
            found.append(f"the {stage} stage's writes are failing: {sink.get('last_error')}")
    if "lag_error" in report:
        found.append(f"consumer lag could not be measured: {report['lag_error']}")
    return found


def _kafka_answers(settings: Settings) -> bool:
    host, port = LocalKafka(settings).host_port
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
