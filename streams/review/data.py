"""What the weekly review shows, read through a `query(sql, params)` callable.

The ops review reads only ops-facing views (`ops_alerts`, `ops_alert_decisions`,
`ops_team_weekly`, and `ops_contributor_weekly` aggregated to teams of 3 or more inside the
query) and project, route, block and decision tables, which hold no individual's figures. The
contributor review reads that one contributor's own rows and alerts, and nothing else.

Every date and time is selected as text or as microseconds since the epoch, so the rows are
the same whether they come from clickhouse-connect or as JSON from the worker's endpoint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sinks.clickhouse import QueryResult

Query = Callable[[str, Mapping[str, Any] | None], QueryResult]
"""Runs one read-only query with parameters: `Reader.query`, `Warehouse.query`."""

TREND_WEEKS = 8
"""Weeks of trend in the charts, ending with the review week."""

MIN_TEAM = 3
"""Fewest contributors of a team aggregate shown to ops (contract section 2)."""

DECISION_GAP_DAYS = 90
"""The decision_gap pattern's default days after the org's first event."""


class ReviewError(ValueError):
    """The review cannot be written: unknown org or contributor, no events."""


@dataclass(frozen=True)
class ReviewWeek:
    """An ISO week, Monday to Sunday."""

    start: dt.date

    @classmethod
    def parse(cls, text: str) -> ReviewWeek:
        """A week from `YYYY-Www`, e.g. `2026-W14`."""
        found = re.fullmatch(r"(\d{4})-W(\d{2})", text.strip())
        if found is None:
            raise ValueError(f"expected an ISO week like 2026-W14, got {text!r}")
        try:
            return cls(dt.date.fromisocalendar(int(found[1]), int(found[2]), 1))
        except ValueError as error:
            raise ValueError(f"no such ISO week: {text}") from error

    @classmethod
    def containing(cls, day: dt.date) -> ReviewWeek:
        """The week `day` belongs to."""
        return cls(day - dt.timedelta(days=day.weekday()))

    @classmethod
    def last_complete(cls, now: dt.datetime) -> ReviewWeek:
        """The last complete week before `now`: the week before now's week."""
        return cls(cls.containing(now.astimezone(dt.UTC).date()).start - dt.timedelta(weeks=1))

    @property
    def end(self) -> dt.date:
        """The week's Sunday."""
        return self.start + dt.timedelta(days=6)

    @property
    def label(self) -> str:
        """`YYYY-Www`."""
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    def contains(self, moment: dt.datetime | None) -> bool:
        """True when `moment` (UTC) falls in the week."""
        return moment is not None and self.start <= moment.astimezone(dt.UTC).date() <= self.end

    def trend(self, weeks: int = TREND_WEEKS) -> list[dt.date]:
        """The Mondays of the `weeks` weeks ending with this one, oldest first."""
        return [self.start - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def week_label(monday: dt.date) -> str:
    """`YYYY-Www` of a Monday."""
    return ReviewWeek(monday).label


@dataclass(frozen=True)
class AlertView:
    """One alert as the review shows it (the alert contract's fields)."""

    alert_id: str
    pattern: str
    audience: str
    subject_type: str
    subject_id: str
    status: str
    severity: str
    period_start: str
    period_end: str
    observed: float
    threshold: float
    baseline: float | None
    unit: str
    summary: str
    evidence: dict[str, Any]
    suggested_action: str
    first_fired_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None

    @property
    def subject(self) -> str:
        """`team design`, `route a->b`, ..."""
        return f"{self.subject_type} {self.subject_id}"


@dataclass(frozen=True)
class Series:
    """Values per week of a trend; weeks without a value are left out."""

    name: str
    weeks: list[dt.date]
    values: list[float]
    reference: bool = False
    """A line to measure against (target, plan), drawn without emphasis."""


@dataclass(frozen=True)
class Chart:
    """One trend chart: lines with a marker per value, or bars, over the trend's weeks."""

    key: str
    """Unique within a report, file-name safe; also the prefix of the SVG's ids."""
    title: str
    kind: str
    """`line` or `bar`."""
    weeks: list[dt.date]
    series: list[Series]
    unit: str
    """`share` (plotted as %) or `hours`."""


@dataclass(frozen=True)
class DecisionClock:
    """The 90-day clock: the org's age in event time and whether decisions close the loop."""

    first_event_at: dt.datetime
    days_since_first_event: float
    gap_days: int
    decisions_recorded: int
    decisions_grounded: int
    """Decisions naming at least one alert."""
    gap_firing: bool


@dataclass(frozen=True)
class AnsweredAlert:
    """An ops alert a decision names."""

    alert_id: str
    pattern: str
    subject_type: str
    subject_id: str
    status: str


@dataclass(frozen=True)
class DecisionView:
    """A recorded decision and the ops alerts it answers."""

    decision_id: str
    kind: str
    decided_by: str
    decided_at: dt.datetime
    note: str
    alert_ids: list[str]
    answered: list[AnsweredAlert]

    @property
    def other_alerts(self) -> int:
        """Alert ids it names that are no ops alert (unknown yet, or not for ops)."""
        return len(set(self.alert_ids) - {a.alert_id for a in self.answered})


@dataclass(frozen=True)
class OpsReview:
    """Everything the ops review shows; no contributor id, no individual's figures."""

    org_id: str
    week: ReviewWeek
    as_of: dt.datetime
    generated_at: dt.datetime
    clock: DecisionClock
    alerts: list[AlertView]
    """Open now, or first fired in the week; ordered by pattern, severity, subject."""
    resolved: list[AlertView]
    """Resolved in the week."""
    history: list[AlertView]
    """Every ops alert firing at some time in the 8 trend weeks, by first fired."""
    team_charts: list[Chart]
    burn_charts: list[Chart]
    blocked_chart: Chart
    open_blocks: list[tuple[str, int, float]]
    """(project_id, open blocks, hours blocked so far) per project, most hours first."""
    handoff_charts: list[Chart]
    decisions: list[DecisionView]
    unanswered: list[AlertView]
    """Open ops alerts that no decision names."""

    def new_in_week(self, alert: AlertView) -> bool:
        """True when the alert first fired in the review week."""
        return self.week.contains(alert.first_fired_at)

    @property
    def charts(self) -> list[Chart]:
        """Every chart, in report order."""
        return [
            *self.team_charts,
            *self.burn_charts,
            self.blocked_chart,
            *self.handoff_charts,
        ]


@dataclass(frozen=True)
class ContributorWeekView:
    """One of the contributor's own weeks."""

    week_start: dt.date
    team_id: str
    logged_hours: float
    billable_hours: float
    available_hours: float
    utilization: float | None
    target_utilization: float | None
    cross_team_unbilled_hours: float

    @property
    def billable_share(self) -> float | None:
        """Billable over logged hours; None without logged hours."""
        return self.billable_hours / self.logged_hours if self.logged_hours > 0 else None


@dataclass(frozen=True)
class ContributorReview:
    """A contributor's own review: their weeks and their own alerts, nobody else's."""

    org_id: str
    contributor_id: str
    week: ReviewWeek
    as_of: dt.datetime
    generated_at: dt.datetime
    weeks: list[ContributorWeekView]
    alerts: list[AlertView]
    """Their alerts open now or first fired in the week."""
    resolved: list[AlertView]
    charts: list[Chart] = field(default_factory=list)

    def new_in_week(self, alert: AlertView) -> bool:
        """True when the alert first fired in the review week."""
        return self.week.contains(alert.first_fired_at)


# --- reading -------------------------------------------------------------------------------


def _rows(query: Query, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    result = query(sql, dict(params))
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def _moment(micros: Any) -> dt.datetime | None:
    if micros is None:
        return None
    return dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC)


def _must(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        raise ReviewError("a required time is missing")
    return moment


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def resolve_org(query: Query, org_id: str | None) -> str:
    """The org given, or the only org with events; ReviewError when that is ambiguous."""
    if org_id:
        return org_id
    orgs = [r["org_id"] for r in _rows(query, _ORGS, {})]
    if len(orgs) == 1:
        return str(orgs[0])
    if not orgs:
        raise ReviewError("no events stored yet: nothing to review")
    raise ReviewError(f"events of several orgs ({', '.join(orgs)}): choose one with --org")


_ORGS = "SELECT DISTINCT org_id FROM events ORDER BY org_id LIMIT 20"


def org_clock(query: Query, org_id: str) -> tuple[dt.datetime, dt.datetime] | None:
    """(first event, now) of the org in event time; None without events."""
    [row] = _rows(
        query,
        "SELECT count() AS n, toUnixTimestamp64Micro(min(occurred_at)) AS first, "
        "toUnixTimestamp64Micro(max(occurred_at)) AS now FROM events "
        "WHERE org_id = {org:String}",
        {"org": org_id},
    )
    if not int(row["n"]):
        return None
    return _must(_moment(row["first"])), _must(_moment(row["now"]))


_ALERT_SELECT = """
SELECT alert_id, pattern, audience, subject_type, subject_id, status, severity,
       toString(period_start) AS period_start, toString(period_end) AS period_end,
       observed, threshold, baseline, unit, summary, evidence, suggested_action,
       toUnixTimestamp64Micro(first_fired_at) AS first_fired_at,
       toUnixTimestamp64Micro(updated_at) AS updated_at,
       toUnixTimestamp64Micro(resolved_at) AS resolved_at
"""

_SEVERITY_ORDER = {"critical": 0, "warning": 1}


def _alert(row: Mapping[str, Any]) -> AlertView:
    evidence = row["evidence"]
    return AlertView(
        alert_id=str(row["alert_id"]),
        pattern=str(row["pattern"]),
        audience=str(row["audience"]),
        subject_type=str(row["subject_type"]),
        subject_id=str(row["subject_id"]),
        status=str(row["status"]),
        severity=str(row["severity"]),
        period_start=str(row["period_start"]),
        period_end=str(row["period_end"]),
        observed=float(row["observed"]),
        threshold=float(row["threshold"]),
        baseline=_float(row["baseline"]),
        unit=str(row["unit"]),
        summary=str(row["summary"]),
        evidence=orjson.loads(evidence) if isinstance(evidence, str | bytes) else dict(evidence),
        suggested_action=str(row["suggested_action"]),
        first_fired_at=_must(_moment(row["first_fired_at"])),
        updated_at=_must(_moment(row["updated_at"])),
        resolved_at=_moment(row["resolved_at"]),
    )


def _split_alerts(
    alerts: list[AlertView], week: ReviewWeek
) -> tuple[list[AlertView], list[AlertView]]:
    """(open now or first fired in the week, resolved in the week), each sorted."""
    shown = [a for a in alerts if a.status == "firing" or week.contains(a.first_fired_at)]
    shown.sort(key=lambda a: (a.pattern, _SEVERITY_ORDER.get(a.severity, 9), a.subject_id))
    resolved = [a for a in alerts if a.status == "resolved" and week.contains(a.resolved_at)]
    resolved.sort(key=lambda a: (a.pattern, a.subject_id, a.alert_id))
    return shown, resolved


def _history(alerts: list[AlertView], week: ReviewWeek) -> list[AlertView]:
    """The alerts firing at some time between the first trend week's Monday and the end of
    the review week, oldest first: the patterns that recur or linger."""
    begin = dt.datetime.combine(week.trend()[0], dt.time(), dt.UTC)
    end = dt.datetime.combine(week.end + dt.timedelta(days=1), dt.time(), dt.UTC)
    found = [
        a
        for a in alerts
        if a.first_fired_at < end and (a.resolved_at is None or a.resolved_at >= begin)
    ]
    return sorted(found, key=lambda a: (a.first_fired_at, a.pattern, a.subject_id))


def ops_review(
    query: Query,
    org_id: str,
    week: ReviewWeek | None = None,
    *,
    generated_at: dt.datetime,
    gap_days: int = DECISION_GAP_DAYS,
) -> OpsReview:
    """Read the ops review of `org_id` for `week` (default: the last complete week before
    the org's event-time now)."""
    clock = org_clock(query, org_id)
    if clock is None:
        raise ReviewError(f"no events of org {org_id!r}: nothing to review")
    first, now = clock
    week = week or ReviewWeek.last_complete(now)
    params = {"org": org_id}
    ops_alerts = _ALERT_SELECT + " FROM ops_alerts WHERE org_id = {org:String}"
    alerts = [_alert(r) for r in _rows(query, ops_alerts, params)]
    shown, resolved = _split_alerts(alerts, week)
    history = _history(alerts, week)
    decisions = _decisions(query, org_id)
    answered_ids = {a.alert_id for d in decisions for a in d.answered}
    unanswered = [a for a in shown if a.status == "firing" and a.alert_id not in answered_ids]
    blocked_chart, open_blocks = _blocked(query, org_id, week)
    return OpsReview(
        org_id=org_id,
        week=week,
        as_of=now,
        generated_at=generated_at,
        clock=DecisionClock(
            first_event_at=first,
            days_since_first_event=(now - first).total_seconds() / 86_400,
            gap_days=gap_days,
            decisions_recorded=len(decisions),
            decisions_grounded=sum(1 for d in decisions if d.alert_ids),
            gap_firing=any(a.pattern == "decision_gap" and a.status == "firing" for a in alerts),
        ),
        alerts=shown,
        resolved=resolved,
        history=history,
        team_charts=_team_charts(query, org_id, week),
        burn_charts=_burn_charts(query, org_id, week),
        blocked_chart=blocked_chart,
        open_blocks=open_blocks,
        handoff_charts=_handoff_charts(query, org_id, week, now),
        decisions=decisions,
        unanswered=unanswered,
    )


def _range(week: ReviewWeek) -> dict[str, str]:
    weeks = week.trend()
    return {"first": weeks[0].isoformat(), "last": weeks[-1].isoformat()}


def _team_charts(query: Query, org_id: str, week: ReviewWeek) -> list[Chart]:
    """Per team of 3 or more: utilization (ops_team_weekly) against the members'
    capacity-weighted target, aggregated inside the query from ops_contributor_weekly."""
    params = {"org": org_id, **_range(week), "min_team": MIN_TEAM}
    utilization = _rows(
        query,
        """
        SELECT team_id, toString(week_start) AS week, utilization
        FROM ops_team_weekly
        WHERE org_id = {org:String} AND team_id != '' AND members >= {min_team:UInt32}
          AND week_start BETWEEN {first:Date} AND {last:Date} AND utilization IS NOT NULL
        ORDER BY team_id, week_start
        """,
        params,
    )
    targets = _rows(
        query,
        """
        SELECT team_id, toString(week_start) AS week,
               sum(target_utilization * available_hours) / sum(available_hours) AS target
        FROM ops_contributor_weekly
        WHERE org_id = {org:String} AND team_id != ''
          AND week_start BETWEEN {first:Date} AND {last:Date}
          AND target_utilization IS NOT NULL AND available_hours > 0
        GROUP BY team_id, week_start
        HAVING uniqExact(contributor_id) >= {min_team:UInt32}
        ORDER BY team_id, week_start
        """,
        params,
    )
    by_team: dict[str, dict[str, dict[dt.date, float]]] = {}
    for r in utilization:
        team = by_team.setdefault(str(r["team_id"]), {"utilization": {}, "target": {}})
        team["utilization"][dt.date.fromisoformat(r["week"])] = float(r["utilization"])
    for r in targets:
        # Only teams shown by ops_team_weekly get a target line.
        if str(r["team_id"]) in by_team:
            by_team[str(r["team_id"])]["target"][dt.date.fromisoformat(r["week"])] = float(
                r["target"]
            )
    weeks = week.trend()
    return [
        Chart(
            key=f"team-utilization-{slug(team)}",
            title=f"Team {team}: billable utilization against target",
            kind="line",
            weeks=weeks,
            series=[
                _series("utilization", values["utilization"]),
                _series("target (capacity-weighted)", values["target"], reference=True),
            ],
            unit="share",
        )
        for team, values in sorted(by_team.items())
    ]


def _series(name: str, values: Mapping[dt.date, float], reference: bool = False) -> Series:
    weeks = sorted(values)
    return Series(name, weeks, [values[w] for w in weeks], reference)


def _burn_charts(query: Query, org_id: str, week: ReviewWeek) -> list[Chart]:
    """Per planned project active in the trend: consumed hours to the end of each week
    (cumulative, from project_weekly) against the current plan's hours (project_status)."""
    weeks = week.trend()
    params = {"org": org_id, **_range(week)}
    plans = _rows(
        query,
        """
        SELECT project_id, name, planned_hours, toString(start_date) AS start_date,
               toString(end_date) AS end_date
        FROM project_status FINAL
        WHERE org_id = {org:String}
        ORDER BY project_id
        """,
        params,
    )
    hours = _rows(
        query,
        """
        SELECT project_id, toString(week_start) AS week, hours
        FROM project_weekly FINAL
        WHERE org_id = {org:String} AND week_start <= {last:Date}
        ORDER BY project_id, week_start
        """,
        params,
    )
    per_project: dict[str, list[tuple[dt.date, float]]] = {}
    for r in hours:
        per_project.setdefault(str(r["project_id"]), []).append(
            (dt.date.fromisoformat(r["week"]), float(r["hours"]))
        )
    charts = []
    for plan in plans:
        project = str(plan["project_id"])
        start = dt.date.fromisoformat(plan["start_date"])
        end = dt.date.fromisoformat(plan["end_date"])
        logged = per_project.get(project, [])
        in_trend = any(weeks[0] <= w <= weeks[-1] and h > 0 for w, h in logged)
        if not in_trend and (end < weeks[0] or start > weeks[-1] + dt.timedelta(days=6)):
            continue
        first_logged = min((w for w, h in logged if h > 0), default=None)
        begins = ReviewWeek.containing(min(start, first_logged or start)).start
        shown = [w for w in weeks if w >= begins]
        if not shown:
            continue
        consumed = {w: sum(h for lw, h in logged if lw <= w) for w in shown}
        planned = {w: float(plan["planned_hours"]) for w in shown}
        name = str(plan["name"] or "")
        charts.append(
            Chart(
                key=f"burn-{slug(project)}",
                title=f"Project {project}"
                + (f" ({name})" if name else "")
                + ": hours consumed against plan",
                kind="line",
                weeks=weeks,
                series=[
                    _series("consumed (cumulative)", consumed),
                    _series("planned hours", planned, reference=True),
                ],
                unit="hours",
            )
        )
    return charts


def _blocked(
    query: Query, org_id: str, week: ReviewWeek
) -> tuple[Chart, list[tuple[str, int, float]]]:
    """Hours tasks were blocked in each week of the trend (blocked_intervals, each block's
    overlap with the week), and the open blocks per project."""
    weeks = week.trend()
    rows = _rows(
        query,
        """
        SELECT project_id, is_open, hours_blocked,
               toUnixTimestamp64Micro(started_at) AS started,
               toUnixTimestamp64Micro(ifNull(ended_at, as_of)) AS ended
        FROM blocked_intervals FINAL
        WHERE org_id = {org:String} AND toDate(started_at) <= {last_day:Date}
        """,
        {"org": org_id, "last_day": week.end.isoformat()},
    )
    totals = dict.fromkeys(weeks, 0.0)
    open_blocks: dict[str, tuple[int, float]] = {}
    for r in rows:
        started, ended = _must(_moment(r["started"])), _must(_moment(r["ended"]))
        for monday in weeks:
            low = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
            high = low + dt.timedelta(weeks=1)
            overlap = (min(ended, high) - max(started, low)).total_seconds() / 3600
            if overlap > 0:
                totals[monday] += overlap
        if r["is_open"] in (True, 1, "true"):
            count, total = open_blocks.get(str(r["project_id"]), (0, 0.0))
            open_blocks[str(r["project_id"])] = (count + 1, total + float(r["hours_blocked"]))
    chart = Chart(
        key="blocked-hours",
        title="Blocked hours per week (all projects)",
        kind="bar",
        weeks=weeks,
        series=[Series("hours blocked", weeks, [round(totals[w], 2) for w in weeks])],
        unit="hours",
    )
    ranked = sorted(
        ((p, n, round(h, 1)) for p, (n, h) in open_blocks.items()), key=lambda x: (-x[2], x[0])
    )
    return chart, ranked


def _handoff_charts(query: Query, org_id: str, week: ReviewWeek, now: dt.datetime) -> list[Chart]:
    """Per route and week of due_at: the share of handoffs that fell due which were late
    (completed late or still open past due), and their hours late (handoffs)."""
    weeks = week.trend()
    rows = _rows(
        query,
        """
        SELECT route, toString(toMonday(due_at)) AS week, count() AS fell_due,
               countIf(completed_late) + countIf(overdue) AS late, sum(hours_late) AS hours_late
        FROM handoffs FINAL
        WHERE org_id = {org:String} AND route != '' AND due_at IS NOT NULL
          AND toMonday(due_at) BETWEEN {first:Date} AND {last:Date}
          AND toUnixTimestamp64Micro(due_at) <= {now:Int64}
        GROUP BY route, week
        ORDER BY route, week
        """,
        {"org": org_id, **_range(week), "now": int(now.timestamp() * 1_000_000)},
    )
    share: dict[str, dict[dt.date, float]] = {}
    late_hours: dict[str, dict[dt.date, float]] = {}
    for r in rows:
        monday = dt.date.fromisoformat(r["week"])
        share.setdefault(str(r["route"]), {})[monday] = int(r["late"]) / int(r["fell_due"])
        late_hours.setdefault(str(r["route"]), {})[monday] = round(float(r["hours_late"]), 2)
    if not share:
        return []
    return [
        Chart(
            key="handoff-late-share",
            title="Handoffs: share late per route (by week due)",
            kind="line",
            weeks=weeks,
            series=[_series(route, values) for route, values in sorted(share.items())],
            unit="share",
        ),
        Chart(
            key="handoff-hours-late",
            title="Handoffs: hours late per route (by week due)",
            kind="line",
            weeks=weeks,
            series=[_series(route, values) for route, values in sorted(late_hours.items())],
            unit="hours",
        ),
    ]


def _decisions(query: Query, org_id: str) -> list[DecisionView]:
    params = {"org": org_id}
    answered: dict[str, list[AnsweredAlert]] = {}
    for r in _rows(
        query,
        """
        SELECT decision_id, alert_id, pattern, subject_type, subject_id, status
        FROM ops_alert_decisions WHERE org_id = {org:String}
        ORDER BY decision_id, pattern, subject_id, alert_id
        """,
        params,
    ):
        answered.setdefault(str(r["decision_id"]), []).append(
            AnsweredAlert(
                str(r["alert_id"]),
                str(r["pattern"]),
                str(r["subject_type"]),
                str(r["subject_id"]),
                str(r["status"]),
            )
        )
    return [
        DecisionView(
            decision_id=str(r["decision_id"]),
            kind=str(r["kind"]),
            decided_by=str(r["decided_by"]),
            decided_at=_must(_moment(r["decided_at"])),
            note=str(r["note"] or ""),
            alert_ids=[str(a) for a in r["alert_ids"]],
            answered=answered.get(str(r["decision_id"]), []),
        )
        for r in _rows(
            query,
            """
            SELECT decision_id, kind, decided_by, note, alert_ids,
                   toUnixTimestamp64Micro(decided_at) AS decided_at
            FROM decisions FINAL WHERE org_id = {org:String}
            ORDER BY decided_at, decision_id
            """,
            params,
        )
    ]


def contributor_review(
    query: Query,
    org_id: str,
    contributor_id: str,
    week: ReviewWeek | None = None,
    *,
    generated_at: dt.datetime,
) -> ContributorReview:
    """Read a contributor's own review: their last weeks from contributor_weekly and their
    own contributor-audience alerts. Nothing about anyone else is read."""
    clock = org_clock(query, org_id)
    if clock is None:
        raise ReviewError(f"no events of org {org_id!r}: nothing to review")
    _first, now = clock
    week = week or ReviewWeek.last_complete(now)
    params = {"org": org_id, "contributor": contributor_id, **_range(week)}
    known = _rows(
        query,
        "SELECT count() AS n FROM contributor_weekly FINAL "
        "WHERE org_id = {org:String} AND contributor_id = {contributor:String}",
        params,
    )
    if not int(known[0]["n"]):
        raise ReviewError(f"no weeks of contributor {contributor_id!r} in org {org_id!r}")
    weeks = [
        ContributorWeekView(
            week_start=dt.date.fromisoformat(r["week"]),
            team_id=str(r["team_id"]),
            logged_hours=float(r["logged_hours"]),
            billable_hours=float(r["billable_hours"]),
            available_hours=float(r["available_hours"]),
            utilization=_float(r["utilization"]),
            target_utilization=_float(r["target_utilization"]),
            cross_team_unbilled_hours=float(r["cross_team_unbilled_hours"]),
        )
        for r in _rows(
            query,
            """
            SELECT toString(week_start) AS week, team_id, logged_hours, billable_hours,
                   available_hours, utilization, target_utilization, cross_team_unbilled_hours
            FROM contributor_weekly FINAL
            WHERE org_id = {org:String} AND contributor_id = {contributor:String}
              AND week_start BETWEEN {first:Date} AND {last:Date}
            ORDER BY week_start
            """,
            params,
        )
    ]
    alerts = [
        _alert(r)
        for r in _rows(
            query,
            _ALERT_SELECT
            + """ FROM alerts FINAL
            WHERE org_id = {org:String} AND audience = 'contributor'
              AND subject_type = 'contributor' AND subject_id = {contributor:String}""",
            params,
        )
    ]
    shown, resolved = _split_alerts(alerts, week)
    trend = week.trend()
    charts = [
        Chart(
            key="utilization",
            title="Your billable utilization against your target",
            kind="line",
            weeks=trend,
            series=[
                _series(
                    "utilization",
                    {w.week_start: w.utilization for w in weeks if w.utilization is not None},
                ),
                _series(
                    "target",
                    {
                        w.week_start: w.target_utilization
                        for w in weeks
                        if w.target_utilization is not None
                    },
                    reference=True,
                ),
            ],
            unit="share",
        ),
        Chart(
            key="billable-mix",
            title="Your billable share of logged hours",
            kind="line",
            weeks=trend,
            series=[
                _series(
                    "billable share",
                    {w.week_start: w.billable_share for w in weeks if w.billable_share is not None},
                )
            ],
            unit="share",
        ),
        Chart(
            key="cross-team-unbilled",
            title="Your unbilled hours for other teams",
            kind="bar",
            weeks=trend,
            series=[
                Series(
                    "unbilled cross-team hours",
                    trend,
                    [
                        next(
                            (w.cross_team_unbilled_hours for w in weeks if w.week_start == m),
                            0.0,
                        )
                        for m in trend
                    ],
                )
            ],
            unit="hours",
        ),
    ]
    return ContributorReview(
        org_id=org_id,
        contributor_id=contributor_id,
        week=week,
        as_of=now,
        generated_at=generated_at,
        weeks=weeks,
        alerts=shown,
        resolved=resolved,
        charts=charts,
    )


def slug(text: str) -> str:
    """A file-name and SVG-id safe form of an id; ids that need changing get a short hash
    of the original, so two ids never share a slug."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")
    if safe == text:
        return safe
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{safe or 'id'}-{digest}"
