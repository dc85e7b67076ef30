-- Operating decisions (decision.recorded), linked to the alerts they name.
CREATE TABLE IF NOT EXISTS decisions
(
    org_id       String,
    decision_id  String,
    kind         LowCardinality(String),
    alert_ids    Array(String),
    note         String,
    decided_by   String,
    decided_at   DateTime64(6, 'UTC'),
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, decision_id);
