-- Per task and block start: the interval as known now, the highest version wins. A start
-- that an earlier block (arriving late) absorbs is written again with is_deleted = 1, so
-- FINAL returns the same intervals whatever order the events came in.
CREATE TABLE IF NOT EXISTS blocked_intervals
(
    org_id              String,
    task_id             String,
    started_at          DateTime64(6, 'UTC'),
    project_id          String,
    ended_at            Nullable(DateTime64(6, 'UTC')),
    is_open             Bool,
    hours_blocked       Float64,
    blocked_by_team_id  String,
    reason              String,
    as_of               DateTime64(6, 'UTC'),
    version             UInt64,
    is_deleted          UInt8
)
ENGINE = ReplacingMergeTree(version, is_deleted)
ORDER BY (org_id, task_id, started_at);
