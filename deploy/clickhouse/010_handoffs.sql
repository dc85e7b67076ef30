-- Per handoff: route, steps and lateness as known now, the highest version wins.
CREATE TABLE IF NOT EXISTS handoffs
(
    org_id          String,
    handoff_id      String,
    project_id      String,
    task_id         String,
    from_team_id    String,
    to_team_id      String,
    route           String,
    requested_at    Nullable(DateTime64(6, 'UTC')),
    accepted_at     Nullable(DateTime64(6, 'UTC')),
    completed_at    Nullable(DateTime64(6, 'UTC')),
    due_at          Nullable(DateTime64(6, 'UTC')),
    status          LowCardinality(String),
    completed_late  Bool,
    overdue         Bool,
    hours_late      Float64,
    as_of           DateTime64(6, 'UTC'),
    version         UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, handoff_id);
