"""A small agency over six ISO weeks, end to end on the real broker, worker and chDB.

Every expected figure below is computed by hand from the contract and the definitions in
the projections' docstrings; the arithmetic sits next to each value.

The agency (org `agency`), weeks W1..W6 of 2026 (Mondays 03-02, 03-09, 03-16, 03-23, 03-30,
04-06). Every workday (Monday to Friday) each person logs the same entries, with
occurred_at = work_date 18:00Z:

| person | team   | capacity/week (day) | target | cost/h | daily entries                       |
|--------|--------|---------------------|--------|--------|-------------------------------------|
| ana    | studio | 40 (8)              | 0.80   | 50     | atlas 6 h billable                  |
| ben    | studio | 40 (8)              | 0.75   | 40     | atlas 4 h billable + intranet 2 h   |
|        |        |                     |        |        | non-billable for studio (own team)  |
| cleo   | studio | 30 (6)              | 0.70   | 60     | beacon 5 h billable                 |
| dev    | build  | 40 (8)              | 0.80   | 55     | beacon 7 h billable                 |
| eli    | build  | 40 (8)              | 0.75   | 45     | beacon 4 h billable + intranet 2 h  |
|        |        | from 03-23: 30 (6)  | 0.70   | 60     | non-billable                        |
| fay    | build  | 20 (4)              | 0.50   | 30     | intranet 3 h non-billable           |

Projects (planned 02-27 10:00Z, before any work):
- atlas: time_and_materials, bill_rate 120, planned 400 h, 03-02..04-24, EUR, margin 0.35;
- beacon: fixed_fee 30000, planned 300 h, 03-02..04-17; re-planned 03-18 12:00Z to 420 h,
  03-02..04-30 (the same fee);
- intranet: non_billable, planned 300 h, 03-02..05-29.

Exceptions to the pattern:
- X1 ben: time off 03-11 (W2 Wed), no hours = a full day (8 h); he logs nothing that day.
- X2 eli: new profile published 03-25 09:00Z, effective 03-23 (W4 Mon): capacity 30, target
  0.70, cost 60 (so his 03-23 and 03-24 hours, logged before it, are re-costed).
- X3 eli: time off 03-27 (W4 Fri), no hours = a full day of the new profile (30 / 5 = 6 h);
  he logs nothing that day.
- X4 fay: 2 h time off 04-01 (W5 Wed); she still logs her 3 h.
- X5 dev 03-17 (W3 Tue): revision 2 at 03-18 09:00Z makes it 9 h (540 min); a stale
  revision 1 (60 min) arrives 03-19 09:00Z and changes nothing.
- X6 ana 03-25 (W4 Wed): revision 2 at 03-26 08:00Z moves the entry to intranet, non-billable.
- X7 fay 03-13 (W2 Fri): deleted (revision 2) at 03-16 08:00Z.
- X8 eli 04-08 (W6 Wed): the beacon entry is deleted (revision 2) at 04-09 08:00Z.
- X9 ana 04-02 (W5 Thu): an extra 2 h on intranet for team build, non-billable (cross-team).
- X10 eli 04-07 (W6 Tue): an extra 1 h on atlas for team studio, billable (cross-team, billed).
- X11 late entries for W2, published last with occurred_at 04-12 10:00Z (the latest of all,
  so the org's event-time now is 2026-04-12T10:00Z and today is Sunday 04-12 of W6):
  cleo 03-12 atlas 2 h billable; dev 03-10 intranet 1.5 h non-billable; fay 03-11 beacon
  4 h billable.

Blocks: atlas-12 03-04 10:00Z..03-06 16:00Z and 04-01 08:00Z..20:00Z (then a redundant
unblock 04-02); beacon-7 03-19 09:00Z..03-26 09:00Z (blocked again 03-20 while blocked);
intranet-3 from 04-06 14:00Z, still open. Handoffs: h-late (completed after due), h-ontime,
h-open (not accepted, overdue), h-fresh (accepted, not due yet). clock.ticked every Saturday
12:00Z.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from sinks.snapshot import PROJECTION_TABLES
from streams.publish import PublishResult, publish_lines, wait_until_processed
from streams.reader import WorkerReader
from streams.settings import Settings
from tests.factories import raw
from tests.integration.conftest import WorkerFactory

pytestmark = pytest.mark.integration

ORG = "agency"
W1, W2, W3, W4, W5, W6 = (dt.date(2026, 3, 2) + dt.timedelta(weeks=i) for i in range(6))
WEEKS = [W1, W2, W3, W4, W5, W6]
WORKDAYS = [monday + dt.timedelta(days=i) for monday in WEEKS for i in range(5)]
NOW = "2026-04-12T10:00:00Z"

# contributor -> [(project, minutes, billable, for_team_id)] logged every workday
DAILY_ENTRIES: dict[str, list[tuple[str, int, bool, str | None]]] = {
    "ana": [("atlas", 360, True, None)],
    "ben": [("atlas", 240, True, None), ("intranet", 120, False, "studio")],
    "cleo": [("beacon", 300, True, None)],
    "dev": [("beacon", 420, True, None)],
    "eli": [("beacon", 240, True, None), ("intranet", 120, False, None)],
    "fay": [("intranet", 180, False, None)],
}
DAYS_WITHOUT_ENTRIES = {("ben", dt.date(2026, 3, 11)), ("eli", dt.date(2026, 3, 27))}


def ev(event_type: str, occurred_at: str, **fields: Any) -> tuple[str, bytes]:
    """(occurred_at, event bytes) of the agency's org."""
    return occurred_at, raw(event_type, org_id=ORG, occurred_at=occurred_at, **fields)


def entry_id(who: str, day: dt.date, project: str) -> str:
    return f"{who}-{day:%m%d}-{project}"


def logged(
    who: str,
    day: str,
    project: str,
    minutes: int,
    billable: bool,
    at: str,
    *,
    revision: int = 1,
    for_team_id: str | None = None,
    entry: str | None = None,
) -> tuple[str, bytes]:
    work_date = dt.date.fromisoformat(day)
    return ev(
        "time.logged",
        at,
        entry_id=entry or entry_id(who, work_date, project),
        revision=revision,
        contributor_id=who,
        project_id=project,
        work_date=day,
        minutes=minutes,
        billable=billable,
        for_team_id=for_team_id,
    )


def profile(
    who: str, team: str, capacity: float, target: float, cost: float, since: str, at: str
) -> tuple[str, bytes]:
    return ev(
        "contributor.profiled",
        at,
        contributor_id=who,
        team_id=team,
        weekly_capacity_hours=capacity,
        target_utilization=target,
        cost_rate=cost,
        effective_from=since,
    )


def plan(project: str, at: str, **fields: Any) -> tuple[str, bytes]:
    return ev("project.planned", at, project_id=project, start_date="2026-03-02", **fields)


def scenario() -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """(the events in occurred_at order, the late entries published after them)."""
    setup = "2026-02-27T09:00:00Z"
    events = [
        profile("ana", "studio", 40, 0.8, 50, "2026-03-02", setup),
        profile("ben", "studio", 40, 0.75, 40, "2026-03-02", setup),
        profile("cleo", "studio", 30, 0.7, 60, "2026-03-02", setup),
        profile("dev", "build", 40, 0.8, 55, "2026-03-02", setup),
        profile("eli", "build", 40, 0.75, 45, "2026-03-02", setup),
        profile("fay", "build", 20, 0.5, 30, "2026-03-02", setup),
        plan(
            "atlas",
            "2026-02-27T10:00:00Z",
            name="Atlas portal",
            team_id="studio",
            billing="time_and_materials",
            bill_rate=120,
            planned_hours=400,
            end_date="2026-04-24",
            target_margin=0.35,
            currency="EUR",
        ),
        plan(
            "beacon",
            "2026-02-27T10:00:00Z",
            name="Beacon app",
            team_id="build",
            billing="fixed_fee",
            fixed_fee=30000,
            planned_hours=300,
            end_date="2026-04-17",
        ),
        plan(
            "intranet",
            "2026-02-27T10:00:00Z",
            name="Intranet",
            team_id="build",
            billing="non_billable",
            planned_hours=300,
            end_date="2026-05-29",
        ),
    ]
    # The regular pattern.
    for day in WORKDAYS:
        for who, entries in DAILY_ENTRIES.items():
            if (who, day) in DAYS_WITHOUT_ENTRIES:
                continue
            for project, minutes, billable, for_team in entries:
                events.append(
                    logged(
                        who,
                        day.isoformat(),
                        project,
                        minutes,
                        billable,
                        f"{day}T18:00:00Z",
                        for_team_id=for_team,
                    )
                )
    # Saturday clock ticks.
    events += [ev("clock.ticked", f"{monday + dt.timedelta(days=5)}T12:00:00Z") for monday in WEEKS]
    # A decision of a weekly review, sent again under a new event_id later: the same
    # decision_id changes nothing.
    decision = {
        "decision_id": "d-review-1",
        "kind": "rebalance",
        "alert_ids": ["some-alert", "another-alert", "some-alert"],
        "note": "Move a designer onto the web relaunch.",
        "decided_by": "ops lead",
    }
    events += [
        ev("decision.recorded", "2026-03-13T16:00:00Z", event_id="dec-1", **decision),
        ev("decision.recorded", "2026-03-14T09:00:00Z", event_id="dec-1-again", **decision),
    ]
    events += [
        # X1, X3, X4: time off.
        ev("contributor.time_off", "2026-03-05T09:00:00Z", contributor_id="ben", date="2026-03-11"),
        ev("contributor.time_off", "2026-03-26T09:00:00Z", contributor_id="eli", date="2026-03-27"),
        ev(
            "contributor.time_off",
            "2026-03-30T09:00:00Z",
            contributor_id="fay",
            date="2026-04-01",
            hours=2,
        ),
        # X2: eli's new profile, published on Wednesday, valid from Monday.
        profile("eli", "build", 30, 0.7, 60, "2026-03-23", "2026-03-25T09:00:00Z"),
        # Re-plan of beacon (a rescope: 420 h, until 04-30, the same fee).
        plan(
            "beacon",
            "2026-03-18T12:00:00Z",
            name="Beacon app",
            team_id="build",
            billing="fixed_fee",
            fixed_fee=30000,
            planned_hours=420,
            end_date="2026-04-30",
        ),
        # X5: an amendment, then a stale resend of revision 1.
        logged("dev", "2026-03-17", "beacon", 540, True, "2026-03-18T09:00:00Z", revision=2),
        logged("dev", "2026-03-17", "beacon", 60, True, "2026-03-19T09:00:00Z", revision=1),
        # X6: ana's 03-25 entry moves to intranet, non-billable.
        logged(
            "ana",
            "2026-03-25",
            "intranet",
            360,
            False,
            "2026-03-26T08:00:00Z",
            revision=2,
            entry=entry_id("ana", dt.date(2026, 3, 25), "atlas"),
        ),
        # X7, X8: deletions.
        ev("time.deleted", "2026-03-16T08:00:00Z", entry_id="fay-0313-intranet", revision=2),
        ev("time.deleted", "2026-04-09T08:00:00Z", entry_id="eli-0408-beacon", revision=2),
        # X9, X10: cross-team work.
        logged(
            "ana",
            "2026-04-02",
            "intranet",
            120,
            False,
            "2026-04-02T18:00:00Z",
            for_team_id="build",
            entry="ana-0402-help",
        ),
        logged(
            "eli",
            "2026-04-07",
            "atlas",
            60,
            True,
            "2026-04-07T18:00:00Z",
            for_team_id="studio",
            entry="eli-0407-help",
        ),
        # Blocks.
        ev(
            "task.blocked",
            "2026-03-04T10:00:00Z",
            task_id="atlas-12",
            project_id="atlas",
            reason="Waiting for the API",
            blocked_by_team_id="build",
        ),
        ev("task.unblocked", "2026-03-06T16:00:00Z", task_id="atlas-12", project_id="atlas"),
        ev(
            "task.blocked",
            "2026-03-19T09:00:00Z",
            task_id="beacon-7",
            project_id="beacon",
            reason="Waiting for designs",
            blocked_by_team_id="studio",
        ),
        ev(
            "task.blocked",
            "2026-03-20T09:00:00Z",
            task_id="beacon-7",
            project_id="beacon",
            reason="Still waiting",
        ),
        ev("task.unblocked", "2026-03-26T09:00:00Z", task_id="beacon-7", project_id="beacon"),
        ev("task.blocked", "2026-04-01T08:00:00Z", task_id="atlas-12", project_id="atlas"),
        ev("task.unblocked", "2026-04-01T20:00:00Z", task_id="atlas-12", project_id="atlas"),
        ev("task.unblocked", "2026-04-02T09:00:00Z", task_id="atlas-12", project_id="atlas"),
        ev(
            "task.blocked",
            "2026-04-06T14:00:00Z",
            task_id="intranet-3",
            project_id="intranet",
            reason="Waiting for access",
            blocked_by_team_id="studio",
        ),
        # Handoffs.
        ev(
            "handoff.requested",
            "2026-03-10T09:00:00Z",
            handoff_id="h-late",
            project_id="atlas",
            task_id="atlas-20",
            from_team_id="studio",
            to_team_id="build",
            due_at="2026-03-13T17:00:00Z",
        ),
        ev("handoff.accepted", "2026-03-11T10:00:00Z", handoff_id="h-late"),
        ev("handoff.completed", "2026-03-16T11:00:00Z", handoff_id="h-late"),
        ev(
            "handoff.requested",
            "2026-03-24T09:00:00Z",
            handoff_id="h-ontime",
            project_id="beacon",
            task_id="beacon-9",
            from_team_id="build",
            to_team_id="studio",
            due_at="2026-03-27T17:00:00Z",
        ),
        ev("handoff.accepted", "2026-03-24T15:00:00Z", handoff_id="h-ontime"),
        ev("handoff.completed", "2026-03-26T12:00:00Z", handoff_id="h-ontime"),
        ev(
            "handoff.requested",
            "2026-04-06T09:00:00Z",
            handoff_id="h-open",
            project_id="intranet",
            from_team_id="studio",
            to_team_id="build",
            due_at="2026-04-09T17:00:00Z",
        ),
        ev(
            "handoff.requested",
            "2026-04-10T09:00:00Z",
            handoff_id="h-fresh",
            project_id="intranet",
            task_id="intranet-5",
            from_team_id="build",
            to_team_id="studio",
            due_at="2026-04-15T17:00:00Z",
        ),
        ev("handoff.accepted", "2026-04-10T12:00:00Z", handoff_id="h-fresh"),
    ]
    # X11: late entries for W2, the latest events of all.
    late = [
        logged("cleo", "2026-03-12", "atlas", 120, True, NOW),
        logged("dev", "2026-03-10", "intranet", 90, False, NOW),
        logged("fay", "2026-03-11", "beacon", 240, True, NOW),
    ]
    return sorted(events), late


def publish(settings: Settings, events: list[tuple[str, bytes]]) -> PublishResult:
    """Publish and wait until the worker stored and projected everything (`--wait`)."""
    lines = [line for _at, line in events]
    result = asyncio.run(publish_lines(settings, iter(enumerate(lines, start=1))))
    assert result.published == len(lines) and not result.unpublished
    asyncio.run(wait_until_processed(settings, result, timeout=180))
    return result


def run_scenario(settings: Settings) -> int:
    """Publish the events week by week (by occurred_at), then the late entries; return the
    number of events published."""
    events, late = scenario()
    batches: dict[dt.date, list[tuple[str, bytes]]] = {}
    for at, line in events:
        day = dt.date.fromisoformat(at[:10])
        batches.setdefault(day - dt.timedelta(days=day.weekday()), []).append((at, line))
    for monday in sorted(batches):
        publish(settings, batches[monday])
    publish(settings, late)
    return len(events) + len(late)


class Query:
    def __init__(self, settings: Settings) -> None:
        self.reader = WorkerReader(settings)

    def __call__(self, sql: str) -> list[tuple[Any, ...]]:
        return self.reader.query(sql, {"org": ORG}).rows


approx = pytest.approx


def ts(text: str) -> str:
    """A DateTime64(6) as toString renders it."""
    return f"{text}.000000"


def test_a_small_agency_over_six_weeks(start_worker: WorkerFactory) -> None:
    settings = start_worker()
    published = run_scenario(settings)
    query = Query(settings)
    try:
        check_stores(query, published)
        check_contributor_daily(query)
        check_contributor_weekly(query)
        check_team_weekly(query)
        check_project_weekly(query)
        check_project_status(query)
        check_blocked_intervals(query)
        check_handoffs(query)
        check_decisions(query)
    finally:
        query.reader.close()


def check_stores(query: Query, published: int) -> None:
    # Every event was accepted once; nothing was rejected; every table holds this org only.
    assert query("SELECT count() FROM events FINAL WHERE org_id = {org:String}") == [(published,)]
    assert query("SELECT count() FROM rejected_events FINAL") == [(0,)]
    for table in PROJECTION_TABLES:
        assert query(f"SELECT DISTINCT org_id FROM {table} FINAL") == [(ORG,)], table


def check_decisions(query: Query) -> None:
    assert query(
        "SELECT decision_id, kind, alert_ids, note, decided_by, toString(decided_at) "
        "FROM decisions FINAL"
    ) == [
        (
            "d-review-1",
            "rebalance",
            ["another-alert", "some-alert"],
            "Move a designer onto the web relaunch.",
            "ops lead",
            "2026-03-13 16:00:00.000000",
        )
    ]


def check_contributor_daily(query: Query) -> None:
    rows = query(
        "SELECT contributor_id, toString(work_date), logged_minutes, billable_minutes, "
        "logged_hours, billable_hours, non_billable_hours, entries, toString(computed_at), "
        "toString(visible_to_ops_at) FROM contributor_daily FINAL ORDER BY contributor_id, "
        "work_date"
    )
    by_day = {(r[0], r[1]): r[2:] for r in rows}
    # A row for every person and workday of W1..W6 (6 x 30 = 180), except the two days off
    # without entries (ben 03-11, eli 03-27): 178 rows. The deleted day (fay 03-13) keeps its
    # row; no row exists for weekends.
    assert len(rows) == 178
    assert set(by_day) == {
        (who, day.isoformat())
        for who in DAILY_ENTRIES
        for day in WORKDAYS
        if (who, day) not in DAYS_WITHOUT_ENTRIES
    }
    # Chosen days: (logged_min, billable_min, logged_h, billable_h, non_billable_h, entries,
    # computed_at, visible_to_ops_at = computed_at + 24 h).
    expected_days = {
        # A regular day: atlas 240 billable + intranet 120 non-billable.
        ("ben", "2026-03-02"): (
            360, 240, 6.0, 4.0, 2.0, 2, ts("2026-03-02 18:00:00"), ts("2026-03-03 18:00:00"),
        ),
        # X5: revision 2 (540 min) wins; the stale revision 1 (03-19) is not a change.
        ("dev", "2026-03-17"): (
            540, 540, 9.0, 9.0, 0.0, 1, ts("2026-03-18 09:00:00"), ts("2026-03-19 09:00:00"),
        ),
        # X6: the entry moved to intranet, non-billable: 360 min, none billable.
        ("ana", "2026-03-25"): (
            360, 0, 6.0, 0.0, 6.0, 1, ts("2026-03-26 08:00:00"), ts("2026-03-27 08:00:00"),
        ),
        # X7: the only entry was deleted: a zero day, computed at the deletion.
        ("fay", "2026-03-13"): (
            0, 0, 0.0, 0.0, 0.0, 0, ts("2026-03-16 08:00:00"), ts("2026-03-17 08:00:00"),
        ),
        # X8: beacon 240 deleted, intranet 120 (non-billable) stays; latest change 04-09 08:00.
        ("eli", "2026-04-08"): (
            120, 0, 2.0, 0.0, 2.0, 1, ts("2026-04-09 08:00:00"), ts("2026-04-10 08:00:00"),
        ),
        # X9: atlas 360 billable + cross-team intranet 120 non-billable = 480, 360 billable.
        ("ana", "2026-04-02"): (
            480, 360, 8.0, 6.0, 2.0, 2, ts("2026-04-02 18:00:00"), ts("2026-04-03 18:00:00"),
        ),
        # X10: beacon 240 b + intranet 120 nb + atlas 60 b = 420 min, 300 billable.
        ("eli", "2026-04-07"): (
            420, 300, 7.0, 5.0, 2.0, 3, ts("2026-04-07 18:00:00"), ts("2026-04-08 18:00:00"),
        ),
        # X11 late: beacon 300 + atlas 120, all billable = 420.
        ("cleo", "2026-03-12"): (
            420, 420, 7.0, 7.0, 0.0, 2, ts("2026-04-12 10:00:00"), ts("2026-04-13 10:00:00"),
        ),
        # X11 late: beacon 420 billable + intranet 90 non-billable = 510, 420 billable.
        ("dev", "2026-03-10"): (
            510, 420, 8.5, 7.0, 1.5, 2, ts("2026-04-12 10:00:00"), ts("2026-04-13 10:00:00"),
        ),
        # X11 late: intranet 180 non-billable + beacon 240 billable = 420, 240 billable.
        ("fay", "2026-03-11"): (
            420, 240, 7.0, 4.0, 3.0, 2, ts("2026-04-12 10:00:00"), ts("2026-04-13 10:00:00"),
        ),
    }  # fmt: skip
    for key, expected in expected_days.items():
        assert by_day[key] == expected, key
    # Totals per person over the 6 weeks: (logged minutes, billable minutes, entries).
    totals: dict[str, list[int]] = {}
    for who, _day, minutes, billable, _lh, _bh, _nh, entries, *_times in rows:
        t = totals.setdefault(who, [0, 0, 0])
        t[0], t[1], t[2] = t[0] + minutes, t[1] + billable, t[2] + entries
    assert totals == {
        # 30 days x 360 + 120 (X9) = 10920 min (182 h); billable 10920 - 360 (X6) - 120 = 10440;
        # entries 30 + 1 (X9).
        "ana": [10920, 10440, 31],
        # 29 days (X1) x 360 = 10440; billable 29 x 240 = 6960; entries 29 x 2.
        "ben": [10440, 6960, 58],
        # 30 x 300 + 120 (X11) = 9120, all billable; entries 30 + 1.
        "cleo": [9120, 9120, 31],
        # 30 x 420 + 120 (X5: 540 - 420) + 90 (X11) = 12810; billable 12810 - 90 = 12720;
        # entries 30 + 1.
        "dev": [12810, 12720, 31],
        # 29 days (X3) x 360 - 240 (X8) + 60 (X10) = 10260; billable 29 x 240 - 240 + 60 = 6780;
        # entries 29 x 2 - 1 + 1.
        "eli": [10260, 6780, 58],
        # 30 x 180 - 180 (X7) + 240 (X11) = 5460; billable 240; entries 30 - 1 + 1.
        "fay": [5460, 240, 30],
    }


def week_row(
    who: str,
    monday: dt.date,
    team: str,
    target: float,
    hours: tuple[float, float, float],
    by_project: dict[str, float],
    trailing: tuple[float, float, float],
    cross: tuple[float, float] = (0.0, 0.0),
) -> tuple[Any, ...]:
    """The expected contributor_weekly row from hand-computed (logged, billable, available)
    hours, trailing (logged, billable, available) totals and (cross, cross unbilled) hours;
    utilization = billable / available, load = logged / available, non-billable = logged -
    billable, trailing utilization = trailing billable / trailing available."""
    logged_h, billable_h, available = hours
    t_logged, t_billable, t_available = trailing
    return (
        who,
        monday.isoformat(),
        team,
        approx(logged_h),
        approx(billable_h),
        approx(logged_h - billable_h),
        approx(available),
        approx(billable_h / available),
        approx(logged_h / available),
        approx(target),
        approx(cross[0]),
        approx(cross[1]),
        approx(by_project),
        approx(t_logged),
        approx(t_billable),
        approx(t_available),
        approx(t_billable / t_available),
    )


def check_contributor_weekly(query: Query) -> None:
    rows = query(
        "SELECT contributor_id, toString(week_start), team_id, logged_hours, billable_hours, "
        "non_billable_hours, available_hours, utilization, load, target_utilization, "
        "cross_team_hours, cross_team_unbilled_hours, hours_by_project, trailing_logged_hours, "
        "trailing_billable_hours, trailing_available_hours, trailing_utilization "
        "FROM contributor_weekly FINAL ORDER BY contributor_id, week_start"
    )
    # Trailing windows cover 4 weeks; before W1 there is nothing, so W1..W4 accumulate and
    # W5 = W2..W5, W6 = W3..W6.
    expected = [
        # ana: 5 x 6 h atlas billable = 30/30, available 5 x 8 = 40.
        week_row("ana", W1, "studio", 0.8, (30, 30, 40), {"atlas": 30}, (30, 30, 40)),
        week_row("ana", W2, "studio", 0.8, (30, 30, 40), {"atlas": 30}, (60, 60, 80)),
        week_row("ana", W3, "studio", 0.8, (30, 30, 40), {"atlas": 30}, (90, 90, 120)),
        # X6: 03-25 moved to intranet: atlas 4 x 6 = 24 billable, intranet 6; logged 30.
        week_row(
            "ana", W4, "studio", 0.8, (30, 24, 40), {"atlas": 24, "intranet": 6},
            (120, 114, 160),  # 30+30+30+30, 30+30+30+24, 4 x 40
        ),
        # X9: + 2 h intranet for build, non-billable: logged 32, billable 30; cross 2/2.
        week_row(
            "ana", W5, "studio", 0.8, (32, 30, 40), {"atlas": 30, "intranet": 2},
            (122, 114, 160),  # W2..W5: 30+30+30+32, 30+30+24+30, 160
            cross=(2, 2),
        ),
        week_row(
            "ana", W6, "studio", 0.8, (30, 30, 40), {"atlas": 30},
            (122, 114, 160),  # W3..W6: 30+30+32+30, 30+24+30+30, 160
        ),
        # ben: 5 x (4 b + 2 nb) = 30 logged, 20 billable; available 40. His intranet entries
        # are for his own team (studio): not cross-team.
        week_row(
            "ben", W1, "studio", 0.75, (30, 20, 40), {"atlas": 20, "intranet": 10}, (30, 20, 40)
        ),
        # X1: 4 days: 24 logged, 16 billable; available 40 - 8 = 32.
        week_row(
            "ben", W2, "studio", 0.75, (24, 16, 32), {"atlas": 16, "intranet": 8},
            (54, 36, 72),  # 30+24, 20+16, 40+32
        ),
        week_row(
            "ben", W3, "studio", 0.75, (30, 20, 40), {"atlas": 20, "intranet": 10},
            (84, 56, 112),
        ),
        week_row(
            "ben", W4, "studio", 0.75, (30, 20, 40), {"atlas": 20, "intranet": 10},
            (114, 76, 152),
        ),
        week_row(
            "ben", W5, "studio", 0.75, (30, 20, 40), {"atlas": 20, "intranet": 10},
            (114, 76, 152),  # W2..W5: 24+30+30+30, 16+20+20+20, 32+40+40+40
        ),
        week_row(
            "ben", W6, "studio", 0.75, (30, 20, 40), {"atlas": 20, "intranet": 10},
            (120, 80, 160),  # W3..W6
        ),
        # cleo: 5 x 5 h beacon billable = 25/25; available 5 x 6 = 30.
        week_row("cleo", W1, "studio", 0.7, (25, 25, 30), {"beacon": 25}, (25, 25, 30)),
        # X11: + 2 h atlas billable: 27/27.
        week_row(
            "cleo", W2, "studio", 0.7, (27, 27, 30), {"atlas": 2, "beacon": 25}, (52, 52, 60)
        ),
        week_row("cleo", W3, "studio", 0.7, (25, 25, 30), {"beacon": 25}, (77, 77, 90)),
        week_row("cleo", W4, "studio", 0.7, (25, 25, 30), {"beacon": 25}, (102, 102, 120)),
        # W2..W5: 27+25+25+25 = 102.
        week_row("cleo", W5, "studio", 0.7, (25, 25, 30), {"beacon": 25}, (102, 102, 120)),
        week_row("cleo", W6, "studio", 0.7, (25, 25, 30), {"beacon": 25}, (100, 100, 120)),
        # dev: 5 x 7 h beacon billable = 35/35; available 40.
        week_row("dev", W1, "build", 0.8, (35, 35, 40), {"beacon": 35}, (35, 35, 40)),
        # X11: + 1.5 h intranet non-billable: 36.5 logged, 35 billable.
        week_row(
            "dev", W2, "build", 0.8, (36.5, 35, 40), {"beacon": 35, "intranet": 1.5},
            (71.5, 70, 80),
        ),
        # X5: 03-17 is 9 h: 35 + 2 = 37/37.
        week_row("dev", W3, "build", 0.8, (37, 37, 40), {"beacon": 37}, (108.5, 107, 120)),
        week_row("dev", W4, "build", 0.8, (35, 35, 40), {"beacon": 35}, (143.5, 142, 160)),
        # W2..W5: 36.5+37+35+35 = 143.5, 35+37+35+35 = 142.
        week_row("dev", W5, "build", 0.8, (35, 35, 40), {"beacon": 35}, (143.5, 142, 160)),
        # W3..W6: 37+35+35+35 = 142.
        week_row("dev", W6, "build", 0.8, (35, 35, 40), {"beacon": 35}, (142, 142, 160)),
        # eli: 5 x (4 b + 2 nb) = 30 logged, 20 billable; available 40 (old profile).
        week_row(
            "eli", W1, "build", 0.75, (30, 20, 40), {"beacon": 20, "intranet": 10}, (30, 20, 40)
        ),
        week_row(
            "eli", W2, "build", 0.75, (30, 20, 40), {"beacon": 20, "intranet": 10}, (60, 40, 80)
        ),
        week_row(
            "eli", W3, "build", 0.75, (30, 20, 40), {"beacon": 20, "intranet": 10},
            (90, 60, 120),
        ),
        # X2, X3: new profile from Monday (target 0.7, 6 h/day); Friday off = 6 h, no entries:
        # logged 4 x 6 = 24, billable 4 x 4 = 16, available 5 x 6 - 6 = 24.
        week_row(
            "eli", W4, "build", 0.7, (24, 16, 24), {"beacon": 16, "intranet": 8},
            (114, 76, 144),  # 30+30+30+24, 20+20+20+16, 40+40+40+24
        ),
        # Available 5 x 6 = 30.
        week_row(
            "eli", W5, "build", 0.7, (30, 20, 30), {"beacon": 20, "intranet": 10},
            (114, 76, 134),  # W2..W5: 30+30+24+30, 20+20+16+20, 40+40+24+30
        ),
        # X8: - 4 h beacon (04-08); X10: + 1 h atlas billable for studio (cross-team, billed):
        # logged 30 - 4 + 1 = 27, billable 20 - 4 + 1 = 17; cross 1, unbilled 0.
        week_row(
            "eli", W6, "build", 0.7, (27, 17, 30),
            {"atlas": 1, "beacon": 16, "intranet": 10},
            (111, 73, 124),  # W3..W6: 30+24+30+27, 20+16+20+17, 40+24+30+30
            cross=(1, 0),
        ),
        # fay: 5 x 3 h intranet non-billable = 15/0; available 5 x 4 = 20.
        week_row("fay", W1, "build", 0.5, (15, 0, 20), {"intranet": 15}, (15, 0, 20)),
        # X7: 03-13 deleted (- 3); X11: + 4 h beacon billable: 15 - 3 + 4 = 16 logged, 4 billable.
        week_row(
            "fay", W2, "build", 0.5, (16, 4, 20), {"beacon": 4, "intranet": 12}, (31, 4, 40)
        ),
        week_row("fay", W3, "build", 0.5, (15, 0, 20), {"intranet": 15}, (46, 4, 60)),
        week_row("fay", W4, "build", 0.5, (15, 0, 20), {"intranet": 15}, (61, 4, 80)),
        # X4: 2 h off on 04-01: available 20 - 2 = 18.
        week_row(
            "fay", W5, "build", 0.5, (15, 0, 18), {"intranet": 15},
            (61, 4, 78),  # W2..W5: 16+15+15+15, 4, 20+20+20+18
        ),
        week_row(
            "fay", W6, "build", 0.5, (15, 0, 20), {"intranet": 15},
            (60, 0, 78),  # W3..W6: 15 x 4, 0, 20+20+18+20
        ),
    ]  # fmt: skip
    # Exactly one row per person and week W1..W6 (the org's now, 04-12, is in W6).
    assert [(r[0], r[1]) for r in rows] == [(e[0], e[1]) for e in expected]
    for row, want in zip(rows, expected, strict=True):
        assert row == want, (row[0], row[1])


def check_team_weekly(query: Query) -> None:
    rows = query(
        "SELECT team_id, toString(week_start), members, members_with_capacity, logged_hours, "
        "billable_hours, available_hours, utilization, load, cross_team_unbilled_hours, "
        "min_member_load, max_member_load FROM team_weekly WHERE org_id = {org:String} "
        "ORDER BY team_id, week_start"
    )

    def team(
        name: str,
        monday: dt.date,
        logged_h: float,
        billable_h: float,
        available: float,
        loads: tuple[float, float],
        unbilled: float = 0.0,
    ) -> tuple[Any, ...]:
        return (
            name,
            monday.isoformat(),
            3,
            3,
            approx(logged_h),
            approx(billable_h),
            approx(available),
            approx(billable_h / available),  # total over total
            approx(logged_h / available),
            approx(unbilled),
            approx(loads[0]),
            approx(loads[1]),
        )

    expected = [
        # build = dev + eli + fay (logged, billable, available; member loads).
        # W1: 35+30+15 = 80, 35+20+0 = 55, 40+40+20 = 100; loads 35/40, 30/40, 15/20.
        team("build", W1, 80, 55, 100, (0.75, 0.875)),
        # W2: 36.5+30+16 = 82.5, 35+20+4 = 59, 100; loads 36.5/40 = .9125, .75, 16/20 = .8.
        team("build", W2, 82.5, 59, 100, (0.75, 0.9125)),
        # W3: 37+30+15 = 82, 37+20 = 57, 100; loads 37/40 = .925, .75, .75.
        team("build", W3, 82, 57, 100, (0.75, 0.925)),
        # W4: 35+24+15 = 74, 35+16 = 51, 40+24+20 = 84; loads .875, 24/24 = 1, .75.
        team("build", W4, 74, 51, 84, (0.75, 1.0)),
        # W5: 35+30+15 = 80, 35+20 = 55, 40+30+18 = 88; loads .875, 30/30 = 1, 15/18.
        team("build", W5, 80, 55, 88, (15 / 18, 1.0)),
        # W6: 35+27+15 = 77, 35+17 = 52, 40+30+20 = 90; loads .875, 27/30 = .9, .75.
        team("build", W6, 77, 52, 90, (0.75, 0.9)),
        # studio = ana + ben + cleo.
        # W1: 30+30+25 = 85, 30+20+25 = 75, 40+40+30 = 110; loads .75, .75, 25/30.
        team("studio", W1, 85, 75, 110, (0.75, 25 / 30)),
        # W2: 30+24+27 = 81, 30+16+27 = 73, 40+32+30 = 102; loads .75, 24/32 = .75, 27/30 = .9.
        team("studio", W2, 81, 73, 102, (0.75, 0.9)),
        team("studio", W3, 85, 75, 110, (0.75, 25 / 30)),
        # W4: 30+30+25 = 85, 24+20+25 = 69, 110.
        team("studio", W4, 85, 69, 110, (0.75, 25 / 30)),
        # W5: 32+30+25 = 87, 30+20+25 = 75, 110; ana's 2 unbilled cross-team hours; loads
        # 32/40 = .8, .75, 25/30.
        team("studio", W5, 87, 75, 110, (0.75, 25 / 30), unbilled=2),
        team("studio", W6, 85, 75, 110, (0.75, 25 / 30)),
    ]
    assert rows == expected
    # Spread of studio's member load in W1: loads 3/4, 3/4, 5/6, mean 7/9, deviations
    # -1/36, -1/36, 2/36: population variance (1 + 1 + 4) / 36^2 / 3 = 1/648, so
    # cv = sqrt(1/648) / (7/9) = 1 / (14 sqrt 2).
    cv = query(
        "SELECT load_cv FROM team_weekly WHERE org_id = {org:String} AND team_id = 'studio' "
        "AND week_start = '2026-03-02'"
    )
    assert cv == [(approx(1 / (14 * 2**0.5)),)]


# Project weeks: (project, week, billing, currency, hours, billable, non-billable,
# contributors, earned revenue, cost, uncosted hours).
PROJECT_WEEKS: list[tuple[Any, ...]] = [
    # atlas, T&M at 120/h: revenue = billable x 120. Cost: ana 50, ben 40, cleo 60, eli 60.
    # W1: ana 30 + ben 20 = 50 h; revenue 6000; cost 30x50 + 20x40 = 1500 + 800 = 2300.
    ("atlas", W1, "time_and_materials", "EUR", 50, 50, 0, 2, 6000, 2300, 0),
    # W2: ana 30 + ben 16 (X1) + cleo 2 (X11) = 48; 5760; 1500 + 640 + 120 = 2260.
    ("atlas", W2, "time_and_materials", "EUR", 48, 48, 0, 3, 5760, 2260, 0),
    ("atlas", W3, "time_and_materials", "EUR", 50, 50, 0, 2, 6000, 2300, 0),
    # W4: ana 24 (X6) + ben 20 = 44; 5280; 1200 + 800 = 2000.
    ("atlas", W4, "time_and_materials", "EUR", 44, 44, 0, 2, 5280, 2000, 0),
    ("atlas", W5, "time_and_materials", "EUR", 50, 50, 0, 2, 6000, 2300, 0),
    # W6: ana 30 + ben 20 + eli 1 (X10, at his new 60) = 51; 6120; 1500 + 800 + 60 = 2360.
    ("atlas", W6, "time_and_materials", "EUR", 51, 51, 0, 3, 6120, 2360, 0),
    # beacon, fixed fee 30000: a week earns 30000 x the growth of min(1, consumed / planned)
    # under the plan valid at the end of the week (300 h through W2, 420 h from 03-18).
    # Cost: cleo 60, dev 55, eli 45 (60 from 03-23), fay 30.
    # W1: cleo 25 + dev 35 + eli 20 = 80 h; 30000 x 80/300 = 8000;
    #     cost 1500 + 1925 + 900 = 4325.
    ("beacon", W1, "fixed_fee", "USD", 80, 80, 0, 3, 8000, 4325, 0),
    # W2: 80 + fay 4 (X11) = 84 h (consumed 80 -> 164); 30000 x 84/300 = 8400;
    #     cost 4325 + 4 x 30 = 4445.
    ("beacon", W2, "fixed_fee", "USD", 84, 84, 0, 4, 8400, 4445, 0),
    # W3: 25 + 37 (X5) + 20 = 82 h (164 -> 246); 30000 x 82/420;
    #     cost 1500 + 37 x 55 + 900 = 1500 + 2035 + 900 = 4435.
    ("beacon", W3, "fixed_fee", "USD", 82, 82, 0, 3, 30000 * 82 / 420, 4435, 0),
    # W4: 25 + 35 + eli 16 (X3) = 76 h (246 -> 322); 30000 x 76/420;
    #     cost 1500 + 1925 + 16 x 60 = 4385.
    ("beacon", W4, "fixed_fee", "USD", 76, 76, 0, 3, 30000 * 76 / 420, 4385, 0),
    # W5: 80 h (322 -> 402); 30000 x 80/420; cost 1500 + 1925 + 20 x 60 = 4625.
    ("beacon", W5, "fixed_fee", "USD", 80, 80, 0, 3, 30000 * 80 / 420, 4625, 0),
    # W6: 25 + 35 + eli 16 (X8) = 76 h (402 -> 478) reaches the cap: 30000 x (1 - 402/420)
    #     = 30000 x 18/420 (the late 4 h of W2 moved it from 22/420); cost 4385.
    ("beacon", W6, "fixed_fee", "USD", 76, 76, 0, 3, 30000 * 18 / 420, 4385, 0),
    # intranet, non-billable: no revenue. Cost: ana 50, ben 40, dev 55, eli 45/60, fay 30.
    # W1: ben 10 + eli 10 + fay 15 = 35; cost 400 + 450 + 450 = 1300.
    ("intranet", W1, "non_billable", "USD", 35, 0, 35, 3, 0, 1300, 0),
    # W2: ben 8 (X1) + eli 10 + fay 12 (X7) + dev 1.5 (X11) = 31.5;
    #     cost 320 + 450 + 360 + 82.5 = 1212.5.
    ("intranet", W2, "non_billable", "USD", 31.5, 0, 31.5, 4, 0, 1212.5, 0),
    ("intranet", W3, "non_billable", "USD", 35, 0, 35, 3, 0, 1300, 0),
    # W4: ben 10 + eli 8 (X3) + fay 15 + ana 6 (X6) = 39; cost 400 + 480 + 450 + 300 = 1630.
    ("intranet", W4, "non_billable", "USD", 39, 0, 39, 4, 0, 1630, 0),
    # W5: ben 10 + eli 10 + fay 15 + ana 2 (X9) = 37; cost 400 + 600 + 450 + 100 = 1550.
    ("intranet", W5, "non_billable", "USD", 37, 0, 37, 4, 0, 1550, 0),
    # W6: 35; cost 400 + 600 + 450 = 1450.
    ("intranet", W6, "non_billable", "USD", 35, 0, 35, 3, 0, 1450, 0),
]


def check_project_weekly(query: Query) -> None:
    rows = query(
        "SELECT project_id, toString(week_start), billing, currency, hours, billable_hours, "
        "non_billable_hours, contributors, earned_revenue, cost, uncosted_hours "
        "FROM project_weekly FINAL ORDER BY project_id, week_start"
    )
    # One row per project and week with time logged: 3 projects x 6 weeks.
    assert [(r[0], r[1]) for r in rows] == [(e[0], e[1].isoformat()) for e in PROJECT_WEEKS]
    for row, (project, monday, *figures) in zip(rows, PROJECT_WEEKS, strict=True):
        billing, currency, hours, billable, non_billable, people, revenue, cost, uncosted = figures
        assert row == (
            project,
            monday.isoformat(),
            billing,
            currency,
            approx(hours),
            approx(billable),
            approx(non_billable),
            people,
            approx(revenue),
            approx(cost),
            approx(uncosted),
        ), (project, monday)


def check_project_status(query: Query) -> None:
    rows = query(
        "SELECT project_id, name, team_id, billing, currency, planned_hours, consumed_hours, "
        "billable_hours, consumed_share, toString(start_date), toString(end_date), "
        "toString(as_of), elapsed_share, burn_rate_hours_per_week, toString(run_out_date), "
        "earned_revenue, cost, uncosted_hours, margin, target_margin, scope_creep, "
        "toString(replanned_at) FROM project_status FINAL ORDER BY project_id"
    )
    # Today is 04-12. Elapsed days from 03-02 through 04-12: 29 (to 03-31) + 12 + 1 = 42.
    # The burn window is the 14 days 03-30..04-12 = W5 + W6, per week = (W5 + W6) / 2.
    assert rows == [
        (
            "atlas",
            "Atlas portal",
            "studio",
            "time_and_materials",
            "EUR",
            400.0,
            approx(293),  # 50 + 48 + 50 + 44 + 50 + 51
            approx(293),
            approx(293 / 400),  # 0.7325
            "2026-03-02",
            "2026-04-24",
            "2026-04-12",
            approx(42 / 54),  # 03-02..04-24 is 29 + 24 + 1 = 54 days
            approx(50.5),  # (50 + 51) / 2
            # remaining 400 - 293 = 107 h at 50.5/7 h a day: ceil(107 x 7 / 50.5) =
            # ceil(14.83) = 15 days after 04-12.
            "2026-04-27",
            approx(35160),  # 293 x 120
            approx(13520),  # 2300 + 2260 + 2300 + 2000 + 2300 + 2360
            approx(0),
            approx(21640 / 35160),  # (35160 - 13520) / 35160 = 0.6155
            approx(0.35),
            False,
            ts("2026-02-27 10:00:00"),
        ),
        (
            "beacon",
            "Beacon app",
            "build",
            "fixed_fee",
            "USD",
            420.0,  # the re-plan
            approx(478),  # 80 + 84 + 82 + 76 + 80 + 76
            approx(478),
            approx(478 / 420),  # 1.138
            "2026-03-02",
            "2026-04-30",  # the re-plan's end
            "2026-04-12",
            approx(42 / 60),  # 03-02..04-30 is 29 + 30 + 1 = 60 days
            approx(78),  # (80 + 76) / 2
            "2026-04-12",  # already used up (420 - 478 < 0): today
            approx(30000),  # 30000 x min(1, 478/420)
            approx(26600),  # 4325 + 4445 + 4435 + 4385 + 4625 + 4385
            approx(0),
            approx(3400 / 30000),  # (30000 - 26600) / 30000 = 0.1133
            approx(0.30),
            False,  # 478 < 2 x 420
            ts("2026-03-18 12:00:00"),
        ),
        (
            "intranet",
            "Intranet",
            "build",
            "non_billable",
            "USD",
            300.0,
            approx(212.5),  # 35 + 31.5 + 35 + 39 + 37 + 35
            approx(0),
            approx(212.5 / 300),
            "2026-03-02",
            "2026-05-29",
            "2026-04-12",
            approx(42 / 89),  # 03-02..05-29 is 29 + 30 + 29 + 1 = 89 days
            approx(36),  # (37 + 35) / 2
            # remaining 300 - 212.5 = 87.5 h at 36/7 h a day: ceil(87.5 x 7 / 36) =
            # ceil(17.01) = 18 days after 04-12.
            "2026-04-30",
            approx(0),
            approx(8442.5),  # 1300 + 1212.5 + 1300 + 1630 + 1550 + 1450
            approx(0),
            None,  # no revenue, no margin
            approx(0.30),
            False,
            ts("2026-02-27 10:00:00"),
        ),
    ]


def check_blocked_intervals(query: Query) -> None:
    rows = query(
        "SELECT task_id, toString(started_at), project_id, toString(ended_at), is_open, "
        "hours_blocked, blocked_by_team_id, reason, toString(as_of) "
        "FROM blocked_intervals FINAL ORDER BY task_id, started_at"
    )
    assert rows == [
        # 03-04 10:00 -> 03-06 16:00 = 2 days 6 h = 54 h.
        (
            "atlas-12",
            ts("2026-03-04 10:00:00"),
            "atlas",
            ts("2026-03-06 16:00:00"),
            False,
            approx(54),
            "build",
            "Waiting for the API",
            ts("2026-03-06 16:00:00"),
        ),
        # 04-01 08:00 -> 20:00 = 12 h; the second unblock (04-02) changes nothing.
        (
            "atlas-12",
            ts("2026-04-01 08:00:00"),
            "atlas",
            ts("2026-04-01 20:00:00"),
            False,
            approx(12),
            "",
            "",
            ts("2026-04-01 20:00:00"),
        ),
        # 03-19 09:00 -> 03-26 09:00 = 7 x 24 = 168 h; the block of 03-20 (already blocked)
        # starts no interval.
        (
            "beacon-7",
            ts("2026-03-19 09:00:00"),
            "beacon",
            ts("2026-03-26 09:00:00"),
            False,
            approx(168),
            "studio",
            "Waiting for designs",
            ts("2026-03-26 09:00:00"),
        ),
        # Open: 04-06 14:00 -> now 04-12 10:00 = 6 x 24 - 4 = 140 h.
        (
            "intranet-3",
            ts("2026-04-06 14:00:00"),
            "intranet",
            None,
            True,
            approx(140),
            "studio",
            "Waiting for access",
            ts("2026-04-12 10:00:00"),
        ),
    ]


def check_handoffs(query: Query) -> None:
    rows = query(
        "SELECT handoff_id, project_id, task_id, from_team_id, to_team_id, route, "
        "toString(requested_at), toString(accepted_at), toString(completed_at), "
        "toString(due_at), status, completed_late, overdue, hours_late, toString(as_of) "
        "FROM handoffs FINAL ORDER BY handoff_id"
    )
    assert rows == [
        # Accepted, not due until 04-15 17:00: not overdue at 04-12 10:00.
        (
            "h-fresh",
            "intranet",
            "intranet-5",
            "build",
            "studio",
            "build->studio",
            ts("2026-04-10 09:00:00"),
            ts("2026-04-10 12:00:00"),
            None,
            ts("2026-04-15 17:00:00"),
            "accepted",
            False,
            False,
            approx(0),
            ts("2026-04-12 10:00:00"),
        ),
        # Completed 03-16 11:00, due 03-13 17:00: 3 x 24 - 6 = 66 h late.
        (
            "h-late",
            "atlas",
            "atlas-20",
            "studio",
            "build",
            "studio->build",
            ts("2026-03-10 09:00:00"),
            ts("2026-03-11 10:00:00"),
            ts("2026-03-16 11:00:00"),
            ts("2026-03-13 17:00:00"),
            "completed",
            True,
            False,
            approx(66),
            ts("2026-03-16 11:00:00"),
        ),
        # Completed 03-26 12:00, before its due time 03-27 17:00.
        (
            "h-ontime",
            "beacon",
            "beacon-9",
            "build",
            "studio",
            "build->studio",
            ts("2026-03-24 09:00:00"),
            ts("2026-03-24 15:00:00"),
            ts("2026-03-26 12:00:00"),
            ts("2026-03-27 17:00:00"),
            "completed",
            False,
            False,
            approx(0),
            ts("2026-03-26 12:00:00"),
        ),
        # Never accepted, due 04-09 17:00: at now 04-12 10:00 it is 3 x 24 - 7 = 65 h overdue.
        (
            "h-open",
            "intranet",
            "",
            "studio",
            "build",
            "studio->build",
            ts("2026-04-06 09:00:00"),
            None,
            None,
            ts("2026-04-09 17:00:00"),
            "requested",
            False,
            True,
            approx(65),
            ts("2026-04-12 10:00:00"),
        ),
    ]
