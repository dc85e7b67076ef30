"""The worker's Prometheus metrics, named in one place; served on the worker's /metrics.

The stages update counters and histograms at their boundaries (never the projections).
A few values are read when Prometheus scrapes: projection freshness against the wall
clock, and the notifier's per-channel figures (from a snapshot the notifier refreshes, so
a scrape never touches its outbox). Consumer lag is measured every few seconds by
`streams.lag.LagMonitor`. docs/operations.md lists every metric with its labels.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

# The *_created series double the exposition and no rule or dashboard reads them.
disable_created_metrics()

# -- ingest ------------------------------------------------------------------------------

EVENTS_CONSUMED = Counter(
    "worksignals_events_consumed_total",
    "Messages read from the ingest topic and committed (accepted plus rejected). No type "
    "label: a message that does not parse has no type.",
)
EVENTS_ACCEPTED = Counter(
    "worksignals_events_accepted_total",
    "Valid events stored in the event store, by event type (repeats of a stored event_id "
    "included).",
    ["type"],
)
EVENTS_REJECTED = Counter(
    "worksignals_events_rejected_total",
    "Messages sent to the dead-letter topic and rejected_events, by reason code.",
    ["reason"],
)
EVENTS_REJECTED_BY_TYPE = Counter(
    "worksignals_events_rejected_by_type_total",
    "The same rejects by event type and reason: the message's type field when it names a "
    "known event type, else type=unknown (unparseable input has none, and an unknown type "
    "is not a label value).",
    ["type", "reason"],
)
INGEST_BATCH_SIZE = Histogram(
    "worksignals_ingest_batch_messages",
    "Messages per ingest batch.",
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000),
)
INGEST_COMMITS_REFUSED = Counter(
    "worksignals_ingest_commits_refused_total",
    "Ingest offset commits the broker refused (the group moved on); the batch is read "
    "again and the tables ignore the repeats.",
)

# -- projection --------------------------------------------------------------------------

PROJECTED_EVENTS = Counter(
    "worksignals_projected_events_total", "Events folded into the projections."
)
PROJECTION_EVENTS_INVALID = Counter(
    "worksignals_projection_events_invalid_total",
    "Forwarded events the projection skipped because they no longer validate (accepted by "
    "an older version of the contract; they stay in the events table). Each is logged.",
)
PROJECTION_TAKES_FAILED = Counter(
    "worksignals_projection_takes_failed_total",
    "Projection takes whose fold, alert changes or rows raised (a bug; the error is logged). "
    "Their events are not acknowledged, so their offsets are not committed: they are folded "
    "again after a restart or a rebalance.",
)
PROJECTION_MESSAGES_HELD = Gauge(
    "worksignals_projection_messages_held",
    "Internal batch messages that failed takes refused: their partitions' commits are held "
    "below them until the worker's next seek to its committed offsets (a restart or a "
    "rebalance), when they are read and folded again.",
)
PROJECTION_TAKE_MESSAGES = Histogram(
    "worksignals_projection_take_messages",
    "Internal batch messages per projection take (at most 50, up to 2,000 events each).",
    buckets=(1, 2, 5, 10, 20, 30, 40, 50),
)
PROJECTION_TAKE_EVENTS = Histogram(
    "worksignals_projection_take_events",
    "Events per projection take.",
    buckets=(1, 10, 100, 1000, 5000, 10000, 25000, 50000, 100000),
)
PROJECTION_TAKE_SECONDS = Histogram(
    "worksignals_projection_take_seconds",
    "Time of each step of a projection take: fold (events folded, alert changes "
    "computed), state (changelog acknowledged), alerts (changes sent and marked sent), "
    "rows (computed, the previous take's insert waited for), insert (rows written, while "
    "the next take folds).",
    ["step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# -- sinks -------------------------------------------------------------------------------

CLICKHOUSE_WRITE_SECONDS = Histogram(
    "worksignals_clickhouse_write_seconds",
    "Time of one batch write to ClickHouse, by stage: ingest (events and rejected_events) "
    "and projection (projection tables and alerts) on role all, sink on role sink.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SINK_FAILURES = Counter(
    "worksignals_sink_failures_total",
    "Batch deliveries to ClickHouse or Kafka that failed and are retried, by stage "
    "(ingest, projection, alerts, sink).",
    ["stage"],
)
SINK_FAILING = Gauge(
    "worksignals_sink_failing",
    "1 while a stage's last batch delivery failed and is being retried, 0 once one "
    "succeeded (stages ingest, projection, alerts).",
    ["stage"],
)
SINK_LAST_SUCCESS = Gauge(
    "worksignals_sink_last_success_timestamp_seconds",
    "Wall-clock time of a stage's last successful batch delivery (Unix seconds).",
    ["stage"],
)

# -- alerts ------------------------------------------------------------------------------

ALERT_CHANGES = Counter(
    "worksignals_alert_changes_total",
    "Alert state changes put on the alerts topic, by pattern, audience, change (fired, "
    "severity_changed, resolved) and severity (after the change; the last one for "
    "resolved). A change resent after a crash is counted again.",
    ["pattern", "audience", "change", "severity"],
)

# -- consumer lag ------------------------------------------------------------------------

CONSUMER_LAG = Gauge(
    "worksignals_consumer_lag_messages",
    "Messages not yet committed by a consumer group, per partition: the partition's end "
    "offset minus the group's committed offset (or the log start when none), measured "
    "every few seconds.",
    ["stage", "group", "topic", "partition"],
)
LAG_PROBE_ERRORS = Counter(
    "worksignals_consumer_lag_probe_errors_total",
    "Lag measurements that failed (broker unreachable, timeout); the gauges keep their "
    "last values.",
)
LAG_PROBE_TIMESTAMP = Gauge(
    "worksignals_consumer_lag_probe_timestamp_seconds",
    "Wall-clock time of the last successful lag measurement (Unix seconds).",
)

WORKER_INFO = Gauge(
    "worksignals_worker_info",
    "Always 1; the labels name the worker's role and application id.",
    ["role", "app_id"],
)


def alert_changed(alert: Mapping[str, Any]) -> None:
    """Count one alert state change put on the alerts topic."""
    ALERT_CHANGES.labels(
        alert["pattern"], alert["audience"], alert_change(alert), alert["severity"]
    ).inc()


def alert_change(alert: Mapping[str, Any]) -> str:
    """fired (a new episode), severity_changed (still firing) or resolved."""
    if alert["status"] == "resolved":
        return "resolved"
    return "fired" if alert["first_fired_at"] == alert["updated_at"] else "severity_changed"


# -- sink health ---------------------------------------------------------------------------


class SinkHealth:
    """Per stage: whether its deliveries are failing now, for /health and `status`."""

    def __init__(self) -> None:
        self._stages: dict[str, dict[str, Any]] = {}

    def _stage(self, stage: str) -> dict[str, Any]:
        return self._stages.setdefault(
            stage,
            {"failing": False, "failures": 0, "last_error": None, "last_success_at": None},
        )

    def failed(self, stage: str, error: BaseException) -> None:
        """A delivery of the stage failed (it will be retried)."""
        state = self._stage(stage)
        state["failing"] = True
        state["failures"] += 1
        state["last_error"] = f"{type(error).__name__}: {error}"[:500]
        SINK_FAILING.labels(stage).set(1)

    def succeeded(self, stage: str) -> None:
        """A delivery of the stage succeeded."""
        state = self._stage(stage)
        state["failing"] = False
        state["last_success_at"] = dt.datetime.now(dt.UTC).isoformat()
        SINK_FAILING.labels(stage).set(0)
        SINK_LAST_SUCCESS.labels(stage).set_to_current_time()

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """A JSON-able copy, per stage."""
        return {stage: dict(state) for stage, state in sorted(self._stages.items())}


SINKS = SinkHealth()


def tracked(
    stage: str, step: Callable[[], Awaitable[None]]
) -> Callable[[], Coroutine[Any, Any, None]]:
    """`step`, recording each outcome in SINKS (and worksignals_sink_failing)."""

    async def run() -> None:
        try:
            await step()
        except Exception as error:
            SINKS.failed(stage, error)
            raise
        SINKS.succeeded(stage)

    return run


# -- projection freshness -------------------------------------------------------------------


class EventTimes:
    """Per org, the event time (its clock) reached by one projection take, and the
    take's size in events."""

    def __init__(self) -> None:
        self.latest: dict[str, dt.datetime] = {}
        self.events = 0

    def see(self, org_id: str, occurred_at: dt.datetime, events: int = 1) -> None:
        """Note an org's event time, and `events` more events folded."""
        self.events += events
        known = self.latest.get(org_id)
        if known is None or occurred_at > known:
            self.latest[org_id] = occurred_at


class ProjectionFreshness(Collector):
    """Per org, the latest event time whose rows are in ClickHouse, against the wall clock.

    Exported at scrape time, so the seconds behind keep growing while nothing arrives.
    Orgs are forgotten when the worker's partitions are revoked: another worker (or this
    one, after the rebalance) reports them from their next event on.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._latest: dict[str, float] = {}

    def applied(self, times: EventTimes) -> None:
        """The take's rows are written: observe its size in events, and move each org's
        event time forward."""
        PROJECTION_TAKE_EVENTS.observe(times.events)
        for org_id, occurred_at in times.latest.items():
            stamp = occurred_at.timestamp()
            if stamp > self._latest.get(org_id, float("-inf")):
                self._latest[org_id] = stamp

    def forget(self) -> None:
        """Drop every org (partitions revoked)."""
        self._latest.clear()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The two gauge families, one series per org."""
        latest = GaugeMetricFamily(
            "worksignals_projection_last_event_timestamp_seconds",
            "Latest event time (occurred_at, Unix seconds) among the events whose "
            "projection rows are written, per org.",
            labels=["org"],
        )
        behind = GaugeMetricFamily(
            "worksignals_projection_behind_seconds",
            "Wall clock minus the latest projected event time, per org (grows while an "
            "org sends nothing; clock.ticked events keep quiet orgs current).",
            labels=["org"],
        )
        now = self._clock()
        for org_id, stamp in sorted(self._latest.items()):
            latest.add_metric([org_id], stamp)
            behind.add_metric([org_id], now - stamp)
        yield latest
        yield behind

    def describe(self) -> list[Any]:
        """No description up front (the families depend on what was applied)."""
        return []


FRESHNESS = ProjectionFreshness()
REGISTRY.register(FRESHNESS)


# -- notifier ------------------------------------------------------------------------------


class NotifierStats(Collector):
    """The notifier's figures per channel, from the last snapshot it published.

    Delivered and failed attempts are counters since the worker started; pending and
    rejected rows are gauges read from the outbox. Nothing is exported while no notifier
    runs (no routing file).
    """

    def __init__(self) -> None:
        self.snapshot: dict[str, Any] | None = None

    def publish(self, stats: dict[str, Any] | None) -> None:
        """Replace the snapshot (`Notifier.stats()`), or clear it with None."""
        self.snapshot = stats

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        """Counter and gauge families per channel."""
        stats = self.snapshot
        if stats is None:
            return
        channel = ["channel"]
        delivered = CounterMetricFamily(
            "worksignals_notify_delivered",
            "Alert deliveries a channel accepted, since the worker started.",
            labels=channel,
        )
        failed = CounterMetricFamily(
            "worksignals_notify_failed",
            "Delivery attempts that failed (and are retried later), since the worker started.",
            labels=channel,
        )
        pending = GaugeMetricFamily(
            "worksignals_notify_pending",
            "Deliveries waiting in the outbox for the channel.",
            labels=channel,
        )
        rejected = GaugeMetricFamily(
            "worksignals_notify_rejected",
            "Deliveries the channel refused for good (kept in the outbox, not retried).",
            labels=channel,
        )
        for name, figures in sorted(stats.get("channels", {}).items()):
            delivered.add_metric([name], figures.get("delivered", 0))
            failed.add_metric([name], figures.get("failed", 0))
            pending.add_metric([name], figures.get("pending", 0))
            rejected.add_metric([name], figures.get("rejected", 0))
        yield delivered
        yield failed
        yield pending
        yield rejected
        yield CounterMetricFamily(
            "worksignals_notify_queued",
            "Deliveries queued in the outbox from the alerts topic, since the worker started.",
            value=stats.get("queued", 0),
        )
        yield CounterMetricFamily(
            "worksignals_notify_unreadable",
            "Messages on the alerts topic that were not alerts (logged and skipped).",
            value=stats.get("unreadable", 0),
        )

    def describe(self) -> list[Any]:
        """No description up front (the families exist only while a notifier runs)."""
        return []


NOTIFIER = NotifierStats()
REGISTRY.register(NOTIFIER)
