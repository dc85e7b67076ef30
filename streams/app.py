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
import weakref
from typing import Any

import faust
import orjson
from faust.streams import _current_event
from faust.types import EventT, StreamT
from pydantic import ValidationError

from events.models import EVENT_ADAPTER
from projections import contributor_daily, fold, org
from projections.patterns.policy import load_policy
from projections.store import BufferedStore
from sinks.clickhouse import Warehouse
from sinks.rows import alert_row
from sinks.snapshot import PROJECTION_TABLES, Snapshots, TableRows
from streams import faust_codecs, metrics, retry
from streams.alerting import Alert, Alerting, AlertingFold
from streams.faust_consumer import RewindingConsumer, RewindingTransport
from streams.http import WorkerHttp
from streams.ingest import IngestStage
from streams.notifier import Notifier
from streams.row_sinks import RowSink, SinkStage, TopicRows, WarehouseRows
from streams.settings import Settings
from streams.state_writer import StateWriter, fast_reader
from streams.table_cache import CachedTable
from streams.take import take_on_cadence

log = logging.getLogger(__name__)

TAKE_MAX_MESSAGES = 50
"""Most internal batch messages (of up to 2,000 events each) folded between two ClickHouse
writes. Rows cost a fixed amount per take (every project status and open block when the
clock moved, the current weeks), so larger takes go faster; smaller ones bound the memory
a backlog takes and how long rows wait. Measured on 1M events: 200 gave 2,800 events/s
and 2.1 GB, 10 about 2,000 events/s."""

STATE_MESSAGE_MAX_BYTES = 8 * 1024 * 1024
"""Largest changelog message of the projection state (topic max.message.bytes)."""

ROCKSDB_OPTIONS = {
    "write_buffer_size": 16 * 1024 * 1024,
    "max_write_buffer_number": 2,
    "block_cache_size": 64 * 1024 * 1024,
    "bloom_filter_size": 10,
}
"""RocksDB sizes per partition of the state. Faust's defaults (64 MiB write buffers, three
of them, and a 2 GiB block cache) let one partition's RocksDB take up to 2.2 GB, while the
worker keeps the values it reads in its own cache (`CachedTable`) anyway. Bloom filters of
10 bits per key (Faust's default: 3) answer most lookups of absent keys without reading a
block: every new time entry's key is looked up once, absent (about 1% false positives
instead of about 18%, for about 1.2 bytes per key)."""

TURN_EVERY_EVENTS = 200
"""Events folded between two turns of the event loop (counted per event, not per batch
message of up to 2,000). The ingest stage's steps each wait for a turn; with a turn every
1,000 events, checked per message, the alert probes' medians were 1.08 and 1.10 s, with
one every 200 events 0.95 and 0.85 s, at the same backlog rate (runs alternated)."""

TURN_EVERY_KEYS = 5_000
"""Keys written to the table between two turns of the event loop.

A take can hold a backlog (after a restart, TAKE_MAX_MESSAGES messages of up to 2,000
events). Folded and written to the table without a turn, it blocks the loop for longer
than the session timeout: the ingest consumer misses its heartbeats, the broker drops it
from its group, and its next commit fails and stops the worker."""


class Pipeline:
    """The worker's parts, built from settings: Faust app, warehouse, stages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        faust_codecs.install()
        # A sink holds no projection state: it stays out of the stream workers' Faust group,
        # where the assignor could hand it partitions that only they consume.
        app_id = f"{settings.app_id}-sink-app" if settings.role == "sink" else settings.app_id
        self.app = faust.App(
            app_id,
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
            producer_max_request_size=STATE_MESSAGE_MAX_BYTES,
            logging_config=None,
        )
        self.app.transport = RewindingTransport(self.app.conf.broker_consumer, self.app)
        role = settings.role
        self.warehouse: Warehouse | None = None
        self.sink: SinkStage | None = None
        self.rows: RowSink
        if role in ("all", "sink"):
            self.warehouse = Warehouse(settings.clickhouse)
            self.warehouse.migrate()
            self.rows = WarehouseRows(self.warehouse)
        if role == "sink":
            assert self.warehouse is not None
            self.sink = SinkStage(settings, self.warehouse)
            self.app.service(self.sink)  # type: ignore[arg-type]  # instances are accepted
        elif role == "stream":
            topic_rows = TopicRows(settings)
            self.app.service(topic_rows)  # type: ignore[arg-type]
            self.rows = topic_rows
        self.notifier: Notifier | None = None
        if role in ("all", "sink") and settings.routing_file is not None:
            self.notifier = Notifier(settings)
            self.app.service(self.notifier)  # type: ignore[arg-type]
        self.ingest = IngestStage(settings, self.rows)
        self.http = WorkerHttp(self)
        self.projected_events = 0
        self.last_projection_write: dt.datetime | None = None
        self._insert: asyncio.Future[None] | None = None
        """The last take's row insert, until the next take waits for it (one runs at a
        time)."""
        self._acked_after: asyncio.Future[None] | None = None
        """What the last take's messages are acknowledged after: its insert, or a failed
        future when the take raised (never acknowledged)."""
        self.table = self.app.Table(
            "projection-state",
            partitions=settings.partitions,
            # Values stay well below this (alert changes are chunked; a contributor day holds
            # at most 15 entries, then a sixteenth of them per part); the headroom keeps a
            # very large day from being refused.
            extra_topic_configs={"max.message.bytes": str(STATE_MESSAGE_MAX_BYTES)},
            options=ROCKSDB_OPTIONS,
        )
        # Entry records are read about once (when their events come): 1M of them decoded
        # held most of the worker's memory on `make bench`.
        self.state = CachedTable(
            self.table,
            uncached_prefixes=(contributor_daily.ENTRY_PREFIX,),
            read=fast_reader(self.table),
        )
        self.state_writer = StateWriter(
            self.table, settings.kafka_bootstrap, STATE_MESSAGE_MAX_BYTES
        )
        self.app.service(self.state_writer)  # type: ignore[arg-type]
        self.alerting = (
            Alerting(load_policy(settings.policy_file)) if settings.alerts_enabled else None
        )
        self.snapshots = Snapshots(
            self.state,
            dt.timedelta(hours=settings.first_look_hours),
            self.alerting.project_days if self.alerting else None,
            self.alerting.weeks if self.alerting else None,
        )
        self.alerts_sent = 0
        self.take_event_times = metrics.EventTimes()
        self._refreshed_orgs: set[str] = set()
        self.app.on_partitions_revoked.connect(self._forget_cache)
        self.app.service(self.http)  # type: ignore[arg-type]
        if role != "sink":
            ingested = self.app.topic(
                settings.topic_ingested,
                key_serializer="raw",
                value_serializer="raw",
                partitions=settings.partitions,
            )
            self.app.service(self.ingest)  # type: ignore[arg-type]
            self.app.agent(ingested, name="project")(self._project)

    async def _project(self, stream: StreamT[bytes]) -> None:
        """Fold internal batch messages into the projection state and write the rows.

        A `take` batch is folded per partition through one write buffer, so each changed key
        goes to the table (and its changelog) once per batch. Rows are computed once per
        batch and partition; the batch's messages are acknowledged only once its rows are
        in ClickHouse, so offsets are committed only after the rows are stored.
        """
        async for events in take_on_cadence(
            stream,
            TAKE_MAX_MESSAGES,
            self.settings.flush_interval_seconds,
            ack_after=lambda: self._acked_after,
            on_refused=self._refuse,
        ):
            try:
                await self._fold_take(events)
                self._acked_after = self._insert
            except Exception as error:
                self._acked_after = await self._take_failed(events, error)

    def _refuse(self, events: list[EventT]) -> None:
        """Never commit past a take that was not acknowledged (see `RewindingConsumer`)."""
        consumer = self.app.consumer
        if isinstance(consumer, RewindingConsumer):
            consumer.refuse(e.message for e in events)

    async def _take_failed(self, events: list[EventT], error: Exception) -> asyncio.Future[None]:
        """Log and count a take that raised, forget what the worker memoised (it may hold
        figures of state never written), and return a failed future: the take's events
        are then never acknowledged (`take_on_cadence`'s `ack_after`) but refused, and are
        folded again after a restart or a rebalance, while the worker goes on."""
        metrics.PROJECTION_TAKES_FAILED.inc()
        where = sorted({(e.message.partition, e.message.offset) for e in events})
        log.error(
            "Projection take of %d messages failed and is not acknowledged (partition, "
            "offset: %s); it is folded again after a restart",
            len(events),
            where[:10],
            exc_info=error,
        )
        await self._forget_cache()
        failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # A new exception, without the traceback's frames: those hold the take's events,
        # which Faust waits to be released (or acknowledged) at a rebalance.
        failed.set_exception(RuntimeError(f"projection take failed: {error!r}"))
        return failed

    async def _fold_take(self, events: list[EventT]) -> None:
        """Fold a take's messages per partition, send their alert changes, compute their
        rows and start inserting them.

        The insert runs while the next take folds (chDB and a ClickHouse server do the
        work outside the GIL); the take's messages are acknowledged, so their offsets
        committed, only once it is done (`take_on_cadence`'s `ack_after`). One insert at a
        time: the next take waits for this one before starting its own."""
        metrics.PROJECTION_TAKE_MESSAGES.observe(len(events))
        step = _StepTimer()
        by_partition: dict[int, list[EventT]] = {}
        for event in events:
            by_partition.setdefault(event.message.partition, []).append(event)
        folded: dict[int, tuple[fold.Touched, list[Alert]]] = {}
        for partition, messages in by_partition.items():
            folded[partition] = await self._fold_partition(messages)
        step.done("fold")
        # The state's changelog records must be acknowledged before the alert changes they
        # keep as unsent go out, and before the next take lets Faust commit the messages
        # they came from. The alert changes go out before the rows are computed and
        # inserted: those are the longest steps between a threshold crossed and its alert
        # on the topic.
        await self.state_writer.flush()
        step.done("state")
        await self._send_alerts([a for _touched, found in folded.values() for a in found])
        for partition, (_touched, found) in folded.items():
            if found:
                _use_partition_of(by_partition[partition][-1])  # for reads past the cache
                state = BufferedStore(self.state)
                Alerting.sent(state, found)
                await self._flush(state, partition)
        step.done("alerts")
        batch: TableRows = {table: [] for table in (*PROJECTION_TABLES, "alerts")}
        for partition, (touched, found) in folded.items():
            _use_partition_of(by_partition[partition][-1])  # the rows read the table
            version = time.time_ns()
            rows = self.snapshots.rows(touched, version, days_current=self.alerting is not None)
            rows["alerts"] = [alert_row(alert, version) for alert in found]
            for table, table_rows in rows.items():
                batch[table] += table_rows
            await asyncio.sleep(0)
        previous, self._insert = self._insert, None
        if previous is not None:
            await previous  # the previous take's rows (and its error, if any, once)
        step.done("rows")
        self._insert = asyncio.ensure_future(self._insert_rows(batch, self.take_event_times))
        self.take_event_times = metrics.EventTimes()
        await self.state_writer.flush()

    async def _insert_rows(self, batch: TableRows, event_times: metrics.EventTimes) -> None:
        """Insert a take's rows; then its events count as applied (freshness)."""
        started = time.perf_counter()
        await self._write_rows(batch)
        metrics.PROJECTION_TAKE_SECONDS.labels("insert").observe(time.perf_counter() - started)
        metrics.FRESHNESS.applied(event_times)

    async def _fold_partition(self, messages: list[EventT]) -> tuple[fold.Touched, list[Alert]]:
        """Fold one partition's batch messages into the table; return what they changed
        (whose rows are written) and the alert changes to send.

        The loop gets a turn every TURN_EVERY_EVENTS events folded into the write buffer and
        every TURN_EVERY_KEYS keys written from it to the table.
        """
        state = BufferedStore(self.state)
        folding = AlertingFold(self.alerting, state)
        count = since_turn = 0
        _use_partition_of(messages[-1])
        for message in messages:
            batch = orjson.loads(message.value)
            for topic, partition, offset, raw in batch["events"]:
                since_turn += 1
                if since_turn >= TURN_EVERY_EVENTS:
                    await asyncio.sleep(0)  # the current event is task-local: it stays
                    since_turn = 0
                try:
                    event = EVENT_ADAPTER.validate_json(raw)
                except ValidationError as error:
                    _skip_invalid(topic, partition, offset, raw, error)
                    continue
                pending = folding.apply(event)
                if event.org_id not in self._refreshed_orgs:
                    fold.refresh(state, event.org_id, pending)
                    self._refreshed_orgs.add(event.org_id)
            count += len(batch["events"])
        _use_partition_of(messages[-1])
        alerts = folding.finish()
        touched = folding.touched
        # Freshness: the orgs' event-time clocks, which the folds keep anyway.
        self.take_event_times.events += count
        for o in touched.orgs():
            now = org.now(state, o)
            if now is not None:
                self.take_event_times.see(o, now, events=0)
        await self._flush(state, messages[-1].message.partition)
        self.projected_events += count
        metrics.PROJECTED_EVENTS.inc(count)
        return touched, alerts

    async def _flush(self, state: BufferedStore, partition: int) -> None:
        """Write the buffered keys of a partition to the table in `BufferedStore` write
        order, in one batch (`StateWriter`), and keep them in the read cache."""
        items = [(key, state.pending[key]) for key in state.write_order()]
        await self.state_writer.write(partition, items, TURN_EVERY_KEYS)
        for key, value in items:
            self.state.remember(key, value)
        state.pending.clear()

    async def _write_rows(self, batch: TableRows) -> None:
        if not any(batch.values()):
            return
        await retry.until_done(
            metrics.tracked("projection", lambda: self.rows.write(batch, "projection")),
            "projection",
        )
        self.last_projection_write = dt.datetime.now(dt.UTC)

    async def _send_alerts(self, alerts: list[Alert]) -> None:
        """Put each alert change on the alerts topic (key alert_id) and wait for the acks."""
        if not alerts:
            return
        topic = self.settings.topic_alerts

        async def send() -> None:
            sends = [
                await self.app.producer.send(
                    topic,
                    alert["alert_id"].encode(),
                    orjson.dumps(alert),
                    partition=None,
                    timestamp=None,
                    headers=None,
                )
                for alert in alerts
            ]
            await asyncio.gather(*sends)

        await retry.until_done(metrics.tracked("alerts", send), "alerts")
        self.alerts_sent += len(alerts)
        for alert in alerts:
            metrics.alert_changed(alert)

    async def _forget_cache(self, *_args: Any, **_kwargs: Any) -> None:
        self.state.clear_cache()
        self.snapshots.forget()
        metrics.FRESHNESS.forget()
        if self.alerting is not None:
            self.alerting.forget()
        self._refreshed_orgs.clear()

    def health(self) -> dict[str, Any]:
        """What the worker reports on /health."""
        return {
            "status": "ok",
            "role": self.settings.role,
            "clickhouse": self.settings.clickhouse if self.warehouse else None,
            "sink": {"rows_written": self.sink.written} if self.sink else None,
            "ingest": self.ingest.progress.as_dict(),
            "alerts": {"changes_sent": self.alerts_sent},
            "notifier": self.notifier.stats() if self.notifier else None,
            "projection": {
                "events": self.projected_events,
                "last_write_at": self.last_projection_write.isoformat()
                if self.last_projection_write
                else None,
            },
        }


class _StepTimer:
    """Observes the time since the previous step in worksignals_projection_take_seconds."""

    def __init__(self) -> None:
        self._last = time.perf_counter()

    def done(self, step: str) -> None:
        now = time.perf_counter()
        metrics.PROJECTION_TAKE_SECONDS.labels(step).observe(now - self._last)
        self._last = now


def _skip_invalid(topic: str, partition: int, offset: int, raw: str, error: Exception) -> None:
    """Log and count a forwarded event that no longer validates: the ingest stage of an
    older version, with an older contract, accepted it (it is in `events`). Folding it
    would fail its take at every restart."""
    metrics.PROJECTION_EVENTS_INVALID.inc()
    log.error(
        "Skipping an event that no longer validates (%s[%d]@%d, accepted by an older "
        "version): %s: %.200s",
        topic,
        partition,
        offset,
        error,
        raw,
    )


def _use_partition_of(message: EventT) -> None:
    """Make `message` current for this task's table reads and writes.

    A Faust table reads and writes the partition of the task-local current event, and
    the take (`streams/take.py`, as Faust's `take_events`) leaves the last buffered one
    current. Only the task-local variable is set: the stream's own `current_event` is what
    the take reads to build its next batch, and overwriting it there made it take an old
    event in place of a waiting message, which was then acked without ever being folded.
    """
    _current_event.set(weakref.ref(message))
