-- Per contributor and ISO week (Monday): absolute snapshots, the highest version wins.
CREATE TABLE IF NOT EXISTS contributor_weekly
(
    org_id                     String,
    contributor_id             String,
    team_id                    String,
    week_start                 Date,
    logged_hours               Float64,
    billable_hours             Float64,
    non_billable_hours         Float64,
    available_hours            Float64,
    utilization                Nullable(Float64),
    load                       Nullable(Float64),
    target_utilization         Nullable(Float64),
    cross_team_hours           Float64,
    cross_team_unbilled_hours  Float64,
    hours_by_project           Map(String, Float64),
    trailing_logged_hours      Float64,
    trailing_billable_hours    Float64,
    trailing_available_hours   Float64,
    trailing_utilization       Nullable(Float64),
    computed_at                DateTime64(6, 'UTC'),
    visible_to_ops_at          DateTime64(6, 'UTC'),
    version                    UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, contributor_id, week_start);
