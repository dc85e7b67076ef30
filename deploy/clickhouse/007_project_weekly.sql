-- Per project and ISO week (Monday) of work_date: absolute snapshots, the highest version wins.
CREATE TABLE IF NOT EXISTS project_weekly
(
    org_id              String,
    project_id          String,
    week_start          Date,
    billing             String,
    currency            String,
    hours               Float64,
    billable_hours      Float64,
    non_billable_hours  Float64,
    contributors        UInt32,
    earned_revenue      Float64,
    cost                Float64,
    uncosted_hours      Float64,
    computed_at         DateTime64(6, 'UTC'),
    version             UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, project_id, week_start);
