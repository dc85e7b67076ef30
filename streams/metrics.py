"""The worker's Prometheus metrics, named in one place; served on the worker's /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EVENTS_CONSUMED = Counter(
    "worksignals_events_consumed_total", "Messages read from the ingest topic."
)
EVENTS_ACCEPTED = Counter(
    "worksignals_events_accepted_total", "Valid events stored in the event store.", ["type"]
)
EVENTS_REJECTED = Counter(
    "worksignals_events_rejected_total", "Messages sent to the dead-letter path.", ["reason"]
)
INGEST_BATCH_SIZE = Histogram(
    "worksignals_ingest_batch_messages",
    "Messages per ingest batch.",
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000),
)
PROJECTED_EVENTS = Counter(
    "worksignals_projected_events_total", "Events folded into the projections."
)
CLICKHOUSE_WRITE_SECONDS = Histogram(
    "worksignals_clickhouse_write_seconds",
    "Time of one batch write to ClickHouse.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SINK_FAILURES = Counter(
    "worksignals_sink_failures_total",
    "Batch deliveries to ClickHouse or Kafka that failed and are retried.",
    ["stage"],
)
ALERT_CHANGES = Counter(
    "worksignals_alert_changes_total",
    "Alert state changes sent (status firing: fired or severity changed; resolved).",
    ["pattern", "audience", "status"],
)
