"""The Faust application: the ingest stage, the projection agent and the worker's HTTP endpoint.

One worker process holds the ClickHouse connection (`Warehouse`), shared by the ingest
stage, the projection agent and the HTTP endpoint (read-only queries), because only
one process can open an embedded chDB path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

import faust
import orjson
from faust.types import EventT, StreamT

from events.models import EVENT_ADAPTER
from projections import contributor_daily, contributor_weekly, fold
from projections.store import BufferedStore
from sinks.clickhouse import Warehouse
from sinks.rows import contributor_day_row, contributor_week_row
from streams import metrics
from streams.http import WorkerHttp
from streams.ingest import IngestStage
from streams.settings import Settings
from streams.table_cache import CachedTable

log = logging.getLogger(__name__)

TAKE_MAX_MESSAGES = 200
"""Most internal batch messages folded between two ClickHouse writes."""


class Pipeline:
    """The worker's parts, built from settings: Faust app, warehouse, stages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = faust.App(
            settings.app_id,
            broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
            store="rocksdb://",
            datadir=str(settings.state_dir / "faust"),
            autodiscover=False,
            web_enabled=False,
            topic_partitions=settings.partitions,
            topic_replication_factor=1,
            consumer_auto_offset_reset="earliest",
            broker_commit_interval=1.0,
            broker_session_timeout=settings.session_timeout_seconds,
            broker_heartbeat_interval=settings.session_timeout_seconds / 3,
            table_standby_replicas=0,
            producer_max_request_size=4 * 1024 * 1024,
            logging_config=None,
        )
        self.warehouse = Warehouse(settings.clickhouse)
        self.warehouse.migrate()
        self.ingest = IngestStage(settings, self.warehouse)
        self.http = WorkerHttp(self)
        self.projected_events = 0
        self.last_projection_write: dt.datetime | None = None
        self.table = self.app.Table("projection-state", partitions=settings.partitions)
        self.state = CachedTable(self.table)
        self._refreshed_orgs: set[str] = set()
        self.app.on_partitions_revoked.connect(self._forget_cache)
        ingested = self.app.topic(
            settings.topic_ingested,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
        )
        self.app.service(self.ingest)  # type: ignore[arg-type]  # instances are accepted
        self.app.service(self.http)  # type: ignore[arg-type]
        self.app.agent(ingested, name="project")(self._project)

    async def _project(self, stream: StreamT[bytes]) -> None:
        """Fold internal batch messages into the projection state and write the rows.

        Rows are computed once per `take` batch and go to ClickHouse before the next `take`
        acknowledges the messages, so offsets are committed only after the rows are stored.
        """
        async for events in stream.take_events(  # type: ignore[attr-defined]
            TAKE_MAX_MESSAGES, within=self.settings.flush_interval_seconds
        ):
            by_partition: dict[int, tuple[EventT, fold.Touched]] = {}
            for event in events:
                touched = self._fold(stream, event)
                partition = event.message.partition
                _last, merged = by_partition.get(partition, (event, fold.Touched()))
                merged.days |= touched.days
                merged.weeks |= touched.weeks
                by_partition[partition] = (event, merged)
            batch: dict[str, list[tuple[object, ...]]] = {
                "contributor_daily": [],
                "contributor_weekly": [],
            }
            for last, merged in by_partition.values():
                for table, rows in self._rows(stream, last, merged).items():
                    batch[table] += rows
            await self._write_rows(batch)

    def _fold(self, stream: StreamT[bytes], message: EventT) -> fold.Touched:
        """Fold one batch message into the state; return what it changed."""
        # A RocksDB-backed table reads and writes the partition of the *current* event, and
        # `take_events` leaves the last buffered one current: set each message's explicitly.
        stream._set_current_event(message)  # type: ignore[attr-defined]
        touched = fold.Touched()
        state = BufferedStore(self.state)
        batch = orjson.loads(message.value)
        for _topic, _partition, _offset, raw in batch["events"]:
            event = EVENT_ADAPTER.validate_json(raw)
            fold.apply(state, event, touched)
            if event.org_id not in self._refreshed_orgs:
                fold.refresh(state, event.org_id, touched)
                self._refreshed_orgs.add(event.org_id)
        state.flush()
        self.projected_events += len(batch["events"])
        metrics.PROJECTED_EVENTS.inc(len(batch["events"]))
        return touched

    def _rows(
        self, stream: StreamT[bytes], message: EventT, touched: fold.Touched
    ) -> dict[str, list[tuple[object, ...]]]:
        """Rows of what changed, read while a message of the same partition is current."""
        stream._set_current_event(message)  # type: ignore[attr-defined]
        first_look = dt.timedelta(hours=self.settings.first_look_hours)
        version = time.time_ns()
        days = [
            contributor_day_row(contributor_daily.day(self.state, key), first_look, version)
            for key in sorted(touched.days)
        ]
        weeks = [
            contributor_week_row(week, trailing, first_look, version)
            for week, trailing in contributor_weekly.weeks_with_trailing(
                self.state, touched.weeks
            ).values()
        ]
        return {"contributor_daily": days, "contributor_weekly": weeks}

    async def _write_rows(self, batch: dict[str, list[tuple[object, ...]]]) -> None:
        if not any(batch.values()):
            return
        delay = 0.5
        while True:
            try:
                with metrics.CLICKHOUSE_WRITE_SECONDS.labels("projection").time():
                    await asyncio.to_thread(self.warehouse.write, batch)
                break
            except Exception as error:
                metrics.SINK_FAILURES.labels("projection").inc()
                log.error("writing projection rows failed, retrying in %.1fs: %r", delay, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        self.last_projection_write = dt.datetime.now(dt.UTC)

    async def _forget_cache(self, *_args: Any, **_kwargs: Any) -> None:
        self.state.clear_cache()
        self._refreshed_orgs.clear()

    def health(self) -> dict[str, Any]:
        """What the worker reports on /health."""
        return {
            "status": "ok",
            "clickhouse": self.settings.clickhouse,
            "ingest": self.ingest.progress.as_dict(),
            "projection": {
                "events": self.projected_events,
                "last_write_at": self.last_projection_write.isoformat()
                if self.last_projection_write
                else None,
            },
        }
