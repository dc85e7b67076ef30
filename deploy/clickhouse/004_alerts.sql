-- Alerts (contract section 2): one row per state change, the latest per alert_id wins.
CREATE TABLE IF NOT EXISTS alerts
(
    alert_id          String,
    org_id            String,
    pattern           LowCardinality(String),
    audience          LowCardinality(String),
    subject_type      LowCardinality(String),
    subject_id        String,
    status            LowCardinality(String),
    severity          LowCardinality(String),
    period_start      Date,
    period_end        Date,
    observed          Float64,
    threshold         Float64,
    baseline          Nullable(Float64),
    unit              LowCardinality(String),
    summary           String,
    evidence          String,
    suggested_action  LowCardinality(String),
    first_fired_at    DateTime64(6, 'UTC'),
    updated_at        DateTime64(6, 'UTC'),
    resolved_at       Nullable(DateTime64(6, 'UTC')),
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, alert_id);
