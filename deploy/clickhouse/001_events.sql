-- The event store: every accepted event, once per (org_id, event_id).
-- `keep` decreases with ingestion time, so ReplacingMergeTree keeps the FIRST delivery
-- of an event_id: a redelivered or replayed event changes nothing.
CREATE TABLE IF NOT EXISTS events
(
    org_id       String,
    event_id     String,
    type         LowCardinality(String),
    occurred_at  DateTime64(6, 'UTC'),
    payload      String,
    topic        LowCardinality(String),
    partition    UInt32,
    offset       UInt64,
    ingested_at  DateTime64(3, 'UTC'),
    keep         UInt64
)
ENGINE = ReplacingMergeTree(keep)
ORDER BY (org_id, event_id);
