-- Ops-facing views: the contributor-first rules applied in ClickHouse. Ops read these,
-- never the base tables: individual rows only past their first-look window, team
-- aggregates only over 3 or more contributors, ops-audience alerts only.
CREATE VIEW IF NOT EXISTS ops_contributor_daily AS
SELECT * FROM contributor_daily FINAL
WHERE visible_to_ops_at <= now64(6);

CREATE VIEW IF NOT EXISTS ops_contributor_weekly AS
SELECT * FROM contributor_weekly FINAL
WHERE visible_to_ops_at <= now64(6);

CREATE VIEW IF NOT EXISTS ops_team_weekly AS
SELECT * FROM team_weekly
WHERE members >= 3;

CREATE VIEW IF NOT EXISTS ops_alerts AS
SELECT * FROM alerts FINAL
WHERE audience = 'ops';

-- Alerts with the decisions that name them.
CREATE VIEW IF NOT EXISTS ops_alert_decisions AS
SELECT a.org_id AS org_id, a.alert_id AS alert_id, a.pattern AS pattern,
       a.subject_type AS subject_type, a.subject_id AS subject_id, a.status AS status,
       d.decision_id AS decision_id, d.kind AS kind, d.decided_by AS decided_by,
       d.decided_at AS decided_at, d.note AS note
FROM (SELECT * FROM alerts FINAL WHERE audience = 'ops') AS a
INNER JOIN (SELECT org_id, decision_id, kind, decided_by, decided_at, note,
                   arrayJoin(alert_ids) AS alert_id
            FROM decisions FINAL) AS d
    ON a.org_id = d.org_id AND a.alert_id = d.alert_id;
