"""One frozen settings object, from defaults < WORKSIGNALS_* environment < arguments."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout: deploy/ (DDL, broker files) is read from here."""


class Settings(BaseSettings):
    """Configuration of every worksignals component.

    Each field can be set with an environment variable of the same name in upper case
    with the `WORKSIGNALS_` prefix, e.g. `WORKSIGNALS_KAFKA_BOOTSTRAP=host:9092`.
    """

    model_config = SettingsConfigDict(env_prefix="WORKSIGNALS_", frozen=True, extra="ignore")

    state_dir: Path = Field(
        default=Path(".worksignals"),
        description="Folder for local state: broker data and logs, chDB, worker state, pid files.",
    )
    kafka_bootstrap: str = Field(default="127.0.0.1:19092", description="Kafka bootstrap servers.")
    kafka_controller_port: int = Field(
        default=19093, description="Controller port of the local KRaft node (local broker only)."
    )
    kafka_home: Path | None = Field(
        default=None,
        description="Where the broker jars are fetched; default: <state_dir>/kafka.",
    )
    clickhouse_url: str | None = Field(
        default=None,
        description="chdb:///abs/path (embedded) or http(s)://user:pass@host:port/db; "
        "default: chDB under <state_dir>/clickhouse.",
    )
    topic_events: str = Field(default="worksignals.events", description="Ingest topic.")
    topic_dlq: str = Field(default="worksignals.events.dlq", description="Dead-letter topic.")
    topic_ingested: str = Field(
        default="worksignals.ingested",
        description="Internal topic: validated events in per-org batches, read by projections.",
    )
    topic_alerts: str = Field(default="worksignals.alerts", description="Alert topic.")
    topic_rows: str = Field(
        default="worksignals.rows",
        description="Internal topic: table rows from stream workers to the sink (role "
        "stream/sink).",
    )
    role: Literal["all", "stream", "sink"] = Field(
        default="all",
        description="all: one worker ingests, projects and writes ClickHouse; stream: "
        "ingests and projects, sends rows to topic_rows (run several); sink: writes "
        "topic_rows to ClickHouse and answers queries (one per chDB path).",
    )
    partitions: int = Field(default=4, ge=1, description="Partitions of the topics we create.")
    app_id: str = Field(
        default="worksignals",
        description="Faust application id: prefix of consumer groups and changelog topics.",
    )
    web_host: str = Field(default="127.0.0.1", description="Worker HTTP endpoint host.")
    web_port: int = Field(default=6066, description="Worker HTTP endpoint port.")
    max_event_bytes: int = Field(
        default=256 * 1024, gt=0, description="Larger events are rejected as too_large."
    )
    ingest_batch_max: int = Field(
        default=5000, gt=0, description="Most messages the ingest stage reads per batch."
    )
    ingest_linger_seconds: float = Field(
        default=0.1,
        ge=0,
        description="How long the ingest stage reads on to fill a batch that is not full: "
        "fewer, larger ClickHouse inserts under a light load (0: each read is a batch).",
    )
    max_future_hours: float = Field(
        default=24.0,
        gt=0,
        description="An event whose occurred_at is more than this many hours after the "
        "ingest stage's clock when it reads the event is rejected as future_occurred_at: "
        "an org's event-time now is its latest occurred_at, and one event dated years ahead "
        "would move it there for good.",
    )
    flush_interval_seconds: float = Field(
        default=0.25,
        gt=0,
        description="Cadence of the projection's takes: under a load the worker keeps up "
        "with, an event waits at most about this long before it is folded, its alert changes "
        "are sent and its rows written.",
    )
    first_look_hours: float = Field(
        default=24.0,
        ge=0,
        description="Individual rows become visible to ops this long after being computed.",
    )
    session_timeout_seconds: float = Field(
        default=10.0,
        ge=6.0,
        description="How long the broker waits for a silent worker before giving its "
        "partitions to another (after a crash, a restarted worker waits this long).",
    )
    alerts_enabled: bool = Field(
        default=True,
        description="Evaluate the alert patterns (off: projections only, e.g. to measure "
        "their cost).",
    )
    policy_file: Path | None = Field(
        default=None,
        description="Alert policy (TOML): thresholds, windows, per-team and per-project "
        "overrides; default: the contract's thresholds (deploy/policy/default.toml).",
    )
    routing_file: Path | None = Field(
        default=None,
        description="Alert routing (TOML): channels for ops and for each contributor; "
        "without it alerts go to the topic and table only.",
    )
    log_json: bool = Field(default=False, description="Write logs as JSON lines.")
    log_level: str = Field(default="INFO", description="Log level of the worker.")

    @field_validator("state_dir", "kafka_home", "policy_file", "routing_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @cached_property
    def clickhouse(self) -> str:
        """The effective ClickHouse URL."""
        return self.clickhouse_url or f"chdb://{self.state_dir / 'clickhouse'}"

    @property
    def embedded_clickhouse(self) -> bool:
        """True when ClickHouse is chDB, which only one process may open."""
        return self.clickhouse.startswith("chdb:")

    @cached_property
    def kafka_dir(self) -> Path:
        """Folder holding the fetched broker jars (libs/)."""
        return self.kafka_home or self.state_dir / "kafka"

    @property
    def ingest_group(self) -> str:
        """Consumer group of the ingest stage (reads topic_events)."""
        return f"{self.app_id}-ingest"

    @property
    def projection_group(self) -> str:
        """Consumer group of the Faust agents (Faust uses the app id)."""
        return self.app_id

    @property
    def notify_group(self) -> str:
        """Consumer group of the notifier (reads topic_alerts, delivers to channels)."""
        return f"{self.app_id}-notify"

    @property
    def sink_group(self) -> str:
        """Consumer group of the sink stage (reads topic_rows)."""
        return f"{self.app_id}-sink"

    @property
    def worker_url(self) -> str:
        """Base URL of the worker's HTTP endpoint."""
        return f"http://{self.web_host}:{self.web_port}"


def names_apart(name: str) -> dict[str, Any]:
    """Settings fields that keep a run apart on a shared broker: the app id (so consumer
    groups and changelogs) and every topic, all named after `name`."""
    return {
        "app_id": name,
        "topic_events": f"{name}.events",
        "topic_dlq": f"{name}.events.dlq",
        "topic_ingested": f"{name}.ingested",
        "topic_alerts": f"{name}.alerts",
        "topic_rows": f"{name}.rows",
    }
