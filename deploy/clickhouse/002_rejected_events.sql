-- Every rejected message, once per source record (topic, partition, offset), with its
-- original bytes exactly (String holds arbitrary bytes, invalid UTF-8 included).
CREATE TABLE IF NOT EXISTS rejected_events
(
    topic        LowCardinality(String),
    partition    UInt32,
    offset       UInt64,
    org_id       String,
    reason       LowCardinality(String),
    message      String,
    raw          String,
    raw_bytes    UInt32,
    rejected_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (topic, partition, offset);
