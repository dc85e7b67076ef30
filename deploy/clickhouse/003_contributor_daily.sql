-- Per contributor and work_date: absolute snapshots of the day, the highest version wins.
CREATE TABLE IF NOT EXISTS contributor_daily
(
    org_id             String,
    contributor_id     String,
    work_date          Date,
    logged_minutes     UInt32,
    billable_minutes   UInt32,
    logged_hours       Float64,
    billable_hours     Float64,
    non_billable_hours Float64,
    entries            UInt32,
    computed_at        DateTime64(6, 'UTC'),
    visible_to_ops_at  DateTime64(6, 'UTC'),
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, contributor_id, work_date);
