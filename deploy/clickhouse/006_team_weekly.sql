-- Per team and ISO week, from contributor_weekly's final rows: sums (group utilization is
-- total over total) and the spread of member load that imbalance and capacity patterns use.
CREATE VIEW IF NOT EXISTS team_weekly AS
SELECT
    org_id,
    team_id,
    week_start,
    count() AS members,
    countIf(m_available > 0) AS members_with_capacity,
    sum(m_logged) AS logged_hours,
    sum(m_billable) AS billable_hours,
    sum(m_available) AS available_hours,
    if(sum(m_available) > 0, sum(m_billable) / sum(m_available), NULL) AS utilization,
    if(sum(m_available) > 0, sum(m_logged) / sum(m_available), NULL) AS load,
    sum(m_cross_unbilled) AS cross_team_unbilled_hours,
    minIf(m_load, m_load IS NOT NULL) AS min_member_load,
    maxIf(m_load, m_load IS NOT NULL) AS max_member_load,
    if(avgIf(m_load, m_load IS NOT NULL) > 0,
       stddevPopIf(m_load, m_load IS NOT NULL) / avgIf(m_load, m_load IS NOT NULL),
       NULL) AS load_cv
FROM
(
    SELECT org_id, team_id, week_start, logged_hours AS m_logged,
           billable_hours AS m_billable, available_hours AS m_available,
           load AS m_load, cross_team_unbilled_hours AS m_cross_unbilled
    FROM contributor_weekly FINAL
    WHERE team_id != ''
)
GROUP BY org_id, team_id, week_start;
