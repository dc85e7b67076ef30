-- Per project: status to date under its current plan, the highest version wins.
CREATE TABLE IF NOT EXISTS project_status
(
    org_id                    String,
    project_id                String,
    name                      String,
    team_id                   String,
    billing                   String,
    currency                  String,
    planned_hours             Float64,
    consumed_hours            Float64,
    billable_hours            Float64,
    consumed_share            Float64,
    start_date                Date,
    end_date                  Date,
    as_of                     Date,
    elapsed_share             Float64,
    burn_rate_hours_per_week  Float64,
    run_out_date              Nullable(Date),
    earned_revenue            Float64,
    cost                      Float64,
    uncosted_hours            Float64,
    margin                    Nullable(Float64),
    target_margin             Float64,
    scope_creep               Bool,
    replanned_at              DateTime64(6, 'UTC'),
    computed_at               DateTime64(6, 'UTC'),
    version                   UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (org_id, project_id);
