"""A whole agency over 14 ISO weeks, with a deliberate set of injected patterns.

`events()` returns the org's events in event-time order (JSON-able dicts, `lines()` as
bytes), and `EXPECTED` lists every alert change they must give, nothing else: pattern,
audience, subject_type, subject_id, status, severity and the event-time date of the change.
The arithmetic behind each expected change is written next to it; the definitions are the
contract's (section 2) and docs/alerts.md's.

How the worker evaluates (docs/alerts.md, "When patterns are evaluated"; `streams.alerting`):
once per event-time day, when the day's last event has been folded. So a day's figures are
read at its last event: 18:00Z on workdays (time entries), 09:00Z on weekends (the daily
clock tick), unless a later event is named below.

Calendar (2026): W1 starts Monday 01-05; Wn's Monday is 01-05 + 7(n-1) days:
W1 01-05, W2 01-12, W3 01-19, W4 01-26, W5 02-02, W6 02-09, W7 02-16, W8 02-23, W9 03-02,
W10 03-09, W11 03-16, W12 03-23, W13 03-30, W14 04-06; the last event is a tick on Monday
04-13 (W15), which makes W14 the last complete week. Setup (profiles, plans) and the first
clock tick are on Sunday 01-04 09:00Z, the org's first event. A clock tick every day at
09:00Z.

People (all 40 h a week = 8 h a workday, profiles effective 01-05):

| id        | team   | target | cost/h | every workday, unless below                          |
|-----------|--------|--------|--------|------------------------------------------------------|
| ana.k14   | studio | 0.75   | 50     | atlas 6 h billable + intranet 2 h non-billable       |
| ben.k14   | studio | 0.75   | 50 (65 from W8) | same                                        |
| cleo.k14  | studio | 0.75   | 50     | same                                                 |
| dan.k14   | studio | 0.75   | 50     | same                                                 |
| eli.k14   | build  | 0.75   | 30     | beacon 6 h billable + intranet 2 h non-billable      |
| fay.k14   | build  | 0.75   | 30     | same                                                 |
| gus.k14   | build  | 0.75   | 30     | same                                                 |
| hal.k14   | data   | 0.50   | 50     | census 4 h billable                                  |
| ivy.k14   | data   | 0.50   | 50     | census 4 h billable                                  |

So by default: utilization = 30 / 40 = 75% = target (data: 20 / 40 = 50% = target), billable
share 75% (data 100%), team logged = available (studio 160, build 120), every load 1.0.
Team `data` has 2 members: none of its team figures ever reaches ops, although its
capacity variance is -50% every week and it logs 10 h of unbilled cross-team work in W4.

Projects (planned at setup):
- atlas (studio): time_and_materials at 100/h, 2,400 h, 01-05..04-12, target margin 0.30.
  About 120 h a week: at most 1,635 h = 68% by the end, and the consumed share stays under
  the elapsed share (5% a week against 7.1% a week). Margin >= (100 - 65) / 100 = 35%.
- beacon (build): fixed_fee 15,000 for 300 h (50/h earned), 2025-12-01..2026-01-31.
  Re-planned 02-18 09:00Z: fee 75,000 for 1,500 h, 2025-12-01..2026-06-30.
- comet (build): time_and_materials 100/h, 100 h, 2025-12-01..2026-01-31 (its dates have
  passed by the time it burns, so only the consumed share matters). Re-planned 02-19
  09:00Z: 200 h, 2025-12-01..2026-03-31.
- intranet: non_billable, 3,000 h over 2026 (about 70 h a week: 33% by April, 28% elapsed).
- census (data): time_and_materials 100/h, 1,000 h, 01-05..06-28 (40 h a week burns 4% of
  it a week, as fast as its dates elapse). Margin (100 - 50) / 100 = 50%.

Injected exceptions (each one's alerts are derived in EXPECTED below):
- X1 cleo W5..W8: atlas 4 h billable + intranet 4 h non-billable (20 billable h a week).
- X2 fay W5..W9: all her 8 h on comet (6 h billable, 2 h non-billable), none on beacon.
- X3 ben W3 Wed 01-21: +3 h non-billable for team build (on intranet); revision 2 on W4 Tue
  01-27 10:00Z makes it 1.5 h; a stale revision 1 (10 h) arrives 01-28 10:00Z and changes
  nothing.
- X4 hal and ivy W4 Thu 01-29: +5 h non-billable each for team studio; ivy's is logged that
  day, hal's arrives late, on W5 Tue 02-03 10:00Z.
- X5 ana, ben, dan W9 Thu 03-05: +4 h non-billable each for team build.
- X6 W10: ana logs 4 h a day (3 h atlas billable + 1 h intranet); dan 10 h a day (8 h atlas
  billable + 2 h intranet).
- X7 gus: time off Mon-Tue 02-23, 02-24 (W8; full days, 8 h each); he logs nothing then.
  ivy: time off Wed 03-11 (W10); she logs nothing then. Both are neutral: load and
  utilization stay on target.
- X8 W12 Fri 03-27: eli, fay and gus each log an extra 10 h non-billable (intranet); eli's
  is deleted (revision 2) on W13 Tue 03-31 10:00Z.
- X9 W13..W14: eli, fay, gus log beacon 4 h billable + intranet 4 h non-billable.
- X10 ben's profile from W8 (02-23, published 02-20): cost 65.
- Blocks: atlas-12 01-13 10:00Z..01-21 11:00Z (its reason names a contributor: it must
  never reach ops); census-3 02-09 08:00Z..02-12 06:00Z (70 h: never 72); beacon-7
  03-16 12:00Z..03-20 09:30Z.
- Handoffs studio->build: h1 due 01-21 08:00Z done 01-20 16:00Z (on time); h2 due
  01-28 08:00Z done 01-29 10:00Z (late); h3 due 02-04 08:00Z done 02-03 16:00Z (on time).
  build->studio: h5 due 03-04 12:00Z, accepted 03-03, done 03-09 15:00Z. data->studio: h6
  due 03-11 08:00Z, done 03-11 20:00Z (late, but alone on its route).
- Decisions: 02-18 09:00Z renegotiate (beacon) and 02-19 09:00Z rescope (comet), naming no
  alert; 04-06 10:00Z escalate, naming the decision_gap alert and comet's second alert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson

from projections.patterns.finding import Subject
from projections.patterns.lifecycle import alert_id

ORG = "agency14"
D = dt.date.fromisoformat
W1 = D("2026-01-05")
LAST_DAY = D("2026-04-13")
SETUP = "2026-01-04T09:00:00Z"

STUDIO = ("ana.k14", "ben.k14", "cleo.k14", "dan.k14")
BUILD = ("eli.k14", "fay.k14", "gus.k14")
DATA = ("hal.k14", "ivy.k14")
CONTRIBUTORS = (*STUDIO, *BUILD, *DATA)
TEAMS = {**dict.fromkeys(STUDIO, "studio"), **dict.fromkeys(BUILD, "build")}
TEAMS.update(dict.fromkeys(DATA, "data"))


def week(n: int) -> dt.date:
    """Monday of Wn."""
    return W1 + dt.timedelta(weeks=n - 1)


def week_no(day: dt.date) -> int:
    return (day - W1).days // 7 + 1


def at(day: dt.date | str, time: str = "18:00") -> str:
    return f"{day}T{time}:00Z"


# The alert ids a decision names: a tracker reads them from the alerts it received; they
# are deterministic (subject and episode), so the scenario can name them up front.
DECISION_GAP_ID = alert_id(Subject(ORG, "decision_gap", "ops", "org", ORG), 1)
COMET_SECOND_ID = alert_id(Subject(ORG, "budget_burn", "ops", "project", "comet"), 2)

Entry = tuple[str, int, bool]
"""(project, minutes, billable)."""


def workday_entries(c: str, day: dt.date) -> list[Entry]:
    """What `c` logs on a workday (the table above, with X1, X2, X6, X7, X9)."""
    n = week_no(day)
    team = TEAMS[c]
    if team == "data":
        return [] if (c, day) == ("ivy.k14", D("2026-03-11")) else [("census", 240, True)]
    if team == "studio":
        if c == "cleo.k14" and 5 <= n <= 8:
            return [("atlas", 240, True), ("intranet", 240, False)]
        if c == "ana.k14" and n == 10:
            return [("atlas", 180, True), ("intranet", 60, False)]
        if c == "dan.k14" and n == 10:
            return [("atlas", 480, True), ("intranet", 120, False)]
        return [("atlas", 360, True), ("intranet", 120, False)]
    if c == "gus.k14" and day in (D("2026-02-23"), D("2026-02-24")):
        return []
    if c == "fay.k14" and 5 <= n <= 9:
        return [("comet", 360, True), ("comet", 120, False)]
    if n >= 13:
        return [("beacon", 240, True), ("intranet", 240, False)]
    return [("beacon", 360, True), ("intranet", 120, False)]


class _Builder:
    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []

    def add(self, event_type: str, occurred_at: str, event_id: str, **fields: Any) -> None:
        self.found.append(
            {
                "event_id": f"{ORG}:{event_id}",
                "type": event_type,
                "occurred_at": occurred_at,
                "org_id": ORG,
                "source": "scenario",
                **fields,
            }
        )

    def log(
        self,
        entry_id: str,
        c: str,
        day: dt.date,
        entry: Entry,
        occurred_at: str | None = None,
        revision: int = 1,
        for_team_id: str | None = None,
        event_id: str | None = None,
    ) -> None:
        project, minutes, billable = entry
        extra = {"for_team_id": for_team_id} if for_team_id else {}
        self.add(
            "time.logged",
            occurred_at or at(day),
            event_id or f"{entry_id}@{revision}",
            entry_id=entry_id,
            revision=revision,
            contributor_id=c,
            project_id=project,
            work_date=day.isoformat(),
            minutes=minutes,
            billable=billable,
            **extra,
        )


def _plan(b: _Builder, project: str, occurred_at: str, **fields: Any) -> None:
    b.add(
        "project.planned",
        occurred_at,
        f"plan-{project}-{occurred_at[:10]}",
        project_id=project,
        **fields,
    )


def _setup(b: _Builder) -> None:
    for c in CONTRIBUTORS:
        b.add(
            "contributor.profiled",
            SETUP,
            f"profile-{c}",
            contributor_id=c,
            team_id=TEAMS[c],
            weekly_capacity_hours=40,
            target_utilization=0.5 if c in DATA else 0.75,
            cost_rate=30 if c in BUILD else 50,
            effective_from=W1.isoformat(),
        )
    _plan(
        b,
        "atlas",
        SETUP,
        name="Atlas",
        team_id="studio",
        billing="time_and_materials",
        bill_rate=100,
        planned_hours=2400,
        start_date="2026-01-05",
        end_date="2026-04-12",
    )
    _plan(
        b,
        "beacon",
        SETUP,
        name="Beacon",
        team_id="build",
        billing="fixed_fee",
        fixed_fee=15000,
        planned_hours=300,
        start_date="2025-12-01",
        end_date="2026-01-31",
    )
    _plan(
        b,
        "comet",
        SETUP,
        name="Comet",
        team_id="build",
        billing="time_and_materials",
        bill_rate=100,
        planned_hours=100,
        start_date="2025-12-01",
        end_date="2026-01-31",
    )
    _plan(
        b,
        "intranet",
        SETUP,
        name="Intranet",
        billing="non_billable",
        planned_hours=3000,
        start_date="2026-01-01",
        end_date="2026-12-31",
    )
    _plan(
        b,
        "census",
        SETUP,
        name="Census",
        team_id="data",
        billing="time_and_materials",
        bill_rate=100,
        planned_hours=1000,
        start_date="2026-01-05",
        end_date="2026-06-28",
    )


def _days() -> Iterator[dt.date]:
    day = D(SETUP[:10])
    while day <= LAST_DAY:
        yield day
        day += dt.timedelta(days=1)


def _daily(b: _Builder) -> None:
    for day in _days():
        b.add("clock.ticked", at(day, "09:00"), f"tick-{day}")
        if day.weekday() >= 5 or day < W1 or week_no(day) > 14:
            continue
        for c in CONTRIBUTORS:
            for i, entry in enumerate(workday_entries(c, day)):
                b.log(f"{c}-{day}-{entry[0]}-{i}", c, day, entry)


def _exceptions(b: _Builder) -> None:
    # X3 ben helps build in W3; amended in W4; a stale revision changes nothing.
    help_day = D("2026-01-21")
    b.log("ben-helps-build", "ben.k14", help_day, ("intranet", 180, False), for_team_id="build")
    b.log(
        "ben-helps-build",
        "ben.k14",
        help_day,
        ("intranet", 90, False),
        occurred_at=at("2026-01-27", "10:00"),
        revision=2,
        for_team_id="build",
    )
    b.log(
        "ben-helps-build",
        "ben.k14",
        help_day,
        ("intranet", 600, False),
        occurred_at=at("2026-01-28", "10:00"),
        revision=1,
        for_team_id="build",
        event_id="ben-helps-build-stale",
    )
    # X4 hal and ivy help studio in W4; hal's hours arrive late, in W5.
    b.log(
        "ivy-helps-studio",
        "ivy.k14",
        D("2026-01-29"),
        ("intranet", 300, False),
        for_team_id="studio",
    )
    b.log(
        "hal-helps-studio",
        "hal.k14",
        D("2026-01-29"),
        ("intranet", 300, False),
        occurred_at=at("2026-02-03", "10:00"),
        for_team_id="studio",
    )
    # X5 ana, ben and dan help build in W9.
    for c in ("ana.k14", "ben.k14", "dan.k14"):
        b.log(
            f"{c}-helps-build-w9", c, D("2026-03-05"), ("intranet", 240, False), for_team_id="build"
        )
    # X7 time off (no hours: a full workday).
    for c, day in (("gus.k14", "2026-02-23"), ("gus.k14", "2026-02-24"), ("ivy.k14", "2026-03-11")):
        b.add(
            "contributor.time_off", at(day, "08:00"), f"off-{c}-{day}", contributor_id=c, date=day
        )
    # X8 the release Friday of W12; eli's extra hours were booked twice and are deleted.
    for c in BUILD:
        b.log(
            f"{c}-release",
            c,
            D("2026-03-27"),
            ("intranet", 600, False),
            occurred_at=at("2026-03-27", "20:00"),
        )
    b.add(
        "time.deleted",
        at("2026-03-31", "10:00"),
        "delete-eli-release",
        entry_id="eli.k14-release",
        revision=2,
    )
    # X10 ben's new cost rate from W8.
    b.add(
        "contributor.profiled",
        at("2026-02-20", "10:00"),
        "profile-ben-w8",
        contributor_id="ben.k14",
        team_id="studio",
        weekly_capacity_hours=40,
        target_utilization=0.75,
        cost_rate=65,
        effective_from="2026-02-23",
    )
    # Re-plans.
    _plan(
        b,
        "beacon",
        at("2026-02-18", "09:00"),
        name="Beacon",
        team_id="build",
        billing="fixed_fee",
        fixed_fee=75000,
        planned_hours=1500,
        start_date="2025-12-01",
        end_date="2026-06-30",
    )
    _plan(
        b,
        "comet",
        at("2026-02-19", "09:00"),
        name="Comet",
        team_id="build",
        billing="time_and_materials",
        bill_rate=100,
        planned_hours=200,
        start_date="2025-12-01",
        end_date="2026-03-31",
    )
    # Blocks.
    for task, project, start, end, by, reason in (
        (
            "atlas-12",
            "atlas",
            "2026-01-13T10:00:00Z",
            "2026-01-21T11:00:00Z",
            "build",
            "waiting for ben.k14 to sign off the build API",
        ),
        ("census-3", "census", "2026-02-09T08:00:00Z", "2026-02-12T06:00:00Z", "studio", None),
        ("beacon-7", "beacon", "2026-03-16T12:00:00Z", "2026-03-20T09:30:00Z", "studio", None),
    ):
        extra = {"reason": reason} if reason else {}
        b.add(
            "task.blocked",
            start,
            f"block-{task}",
            task_id=task,
            project_id=project,
            blocked_by_team_id=by,
            **extra,
        )
        b.add("task.unblocked", end, f"unblock-{task}", task_id=task, project_id=project)
    # Handoffs.
    for hid, route, requested, due, accepted, completed in (
        (
            "h1",
            ("studio", "build"),
            "2026-01-19T10:00:00Z",
            "2026-01-21T08:00:00Z",
            None,
            "2026-01-20T16:00:00Z",
        ),
        (
            "h2",
            ("studio", "build"),
            "2026-01-26T10:00:00Z",
            "2026-01-28T08:00:00Z",
            "2026-01-27T09:30:00Z",
            "2026-01-29T10:00:00Z",
        ),
        (
            "h3",
            ("studio", "build"),
            "2026-02-02T10:00:00Z",
            "2026-02-04T08:00:00Z",
            None,
            "2026-02-03T16:00:00Z",
        ),
        (
            "h5",
            ("build", "studio"),
            "2026-03-02T10:00:00Z",
            "2026-03-04T12:00:00Z",
            "2026-03-03T10:00:00Z",
            "2026-03-09T15:00:00Z",
        ),
        (
            "h6",
            ("data", "studio"),
            "2026-03-09T10:00:00Z",
            "2026-03-11T08:00:00Z",
            None,
            "2026-03-11T20:00:00Z",
        ),
    ):
        b.add(
            "handoff.requested",
            requested,
            f"request-{hid}",
            handoff_id=hid,
            project_id="atlas",
            from_team_id=route[0],
            to_team_id=route[1],
            due_at=due,
        )
        if accepted:
            b.add("handoff.accepted", accepted, f"accept-{hid}", handoff_id=hid)
        b.add("handoff.completed", completed, f"complete-{hid}", handoff_id=hid)
    # Decisions.
    b.add(
        "decision.recorded",
        at("2026-02-18", "09:00"),
        "decision-beacon",
        decision_id="d-beacon",
        kind="renegotiate",
        alert_ids=[],
        note="New fee agreed for the larger beacon scope.",
        decided_by="ops-lead",
    )
    b.add(
        "decision.recorded",
        at("2026-02-19", "09:00"),
        "decision-comet",
        decision_id="d-comet",
        kind="rescope",
        alert_ids=[],
        decided_by="ops-lead",
    )
    b.add(
        "decision.recorded",
        at("2026-04-06", "10:00"),
        "decision-review",
        decision_id="d-review",
        kind="escalate",
        alert_ids=[DECISION_GAP_ID, COMET_SECOND_ID],
        note="Weekly alert review: comet escalated to the client.",
        decided_by="ops-lead",
    )


def events() -> list[dict[str, Any]]:
    """Every event of the agency, sorted by occurred_at (ties keep building order)."""
    b = _Builder()
    _setup(b)
    _daily(b)
    _exceptions(b)
    return sorted(b.found, key=lambda e: e["occurred_at"])


def lines() -> list[bytes]:
    """`events()` as JSON lines (bytes), for the ingest topic."""
    return [orjson.dumps(e) for e in events()]


Change = tuple[str, str, str, str, str, str, str]
"""(pattern, audience, subject_type, subject_id, status, severity, event-time date)."""


def _c(pattern: str, c: str, status: str, severity: str, day: str) -> Change:
    return (pattern, "contributor", "contributor", c, status, severity, day)


def _o(pattern: str, kind: str, subject: str, status: str, severity: str, day: str) -> Change:
    return (pattern, "ops", kind, subject, status, severity, day)


FIRING, RESOLVED, WARNING, CRITICAL = "firing", "resolved", "warning", "critical"
UTIL, MIX, CROSS = "utilization_drift", "billable_mix_shift", "unbilled_cross_team"

EXPECTED: list[Change] = [
    # -- blocked_work, atlas: blocked 01-13 10:00. Day ends: 01-16 18:00 = 80 h (>= 72;
    # 01-15 18:00 was 56 h); 01-20 18:00 = 176 h (>= 168; 01-19 18:00 was 152 h);
    # unblocked 01-21 11:00.
    _o("blocked_work", "project", "atlas", FIRING, WARNING, "2026-01-16"),
    _o("blocked_work", "project", "atlas", FIRING, CRITICAL, "2026-01-20"),
    _o("blocked_work", "project", "atlas", RESOLVED, CRITICAL, "2026-01-21"),
    # -- budget_burn, beacon: 18 h a day (eli, fay, gus 6 h each). W1, W2 = 180 h; W3 Mon
    # 198, Tue 216, Wed 234 (78%), Thu 01-22 252 = 84% >= 80%; W3 Fri 270, W4 Mon 288,
    # Tue 01-27 306 = 102% >= 100%. Its dates ran out 01-31 and were 36/62 = 58% elapsed on
    # 01-05, so the consumed share never runs 20 points ahead before it is at 80%.
    _o("budget_burn", "project", "beacon", FIRING, WARNING, "2026-01-22"),
    _o("budget_burn", "project", "beacon", FIRING, CRITICAL, "2026-01-27"),
    # -- unbilled_cross_team, ben: 3 h for build in W3, measured when W4 starts (01-26);
    # revision 2 on 01-27 makes it 1.5 h, under the 1.9 h it holds down to.
    _c(CROSS, "ben.k14", FIRING, WARNING, "2026-01-26"),
    _c(CROSS, "ben.k14", RESOLVED, WARNING, "2026-01-27"),
    # -- unbilled_cross_team, hal and ivy: 5 h each for studio in W4. ivy's is measured when
    # W5 starts (02-02); hal's arrives on 02-03 (a late entry for a past week). Team data
    # (10 h, at the team threshold) has 2 members: never shown. W5 is clean: both resolve
    # when W6 starts (02-09).
    _c(CROSS, "ivy.k14", FIRING, WARNING, "2026-02-02"),
    _c(CROSS, "hal.k14", FIRING, WARNING, "2026-02-03"),
    _c(CROSS, "hal.k14", RESOLVED, WARNING, "2026-02-09"),
    _c(CROSS, "ivy.k14", RESOLVED, WARNING, "2026-02-09"),
    # -- handoff_slippage, studio->build: on 02-04 (day end 18:00, window from 01-07 18:00)
    # h1, h2, h3 have fallen due, h2 late: 1 / 3 = 33% >= 30%. On 02-18 the window starts
    # 01-21 18:00, after h1's due time: 2 due, fewer than 3: resolved (on 02-17 it started
    # 01-20 18:00, h1 still in).
    _o("handoff_slippage", "route", "studio->build", FIRING, WARNING, "2026-02-04"),
    # -- margin_erosion, beacon: earned 15,000 x min(1, C / 300), cost 30 C. Past 300 h the
    # margin is 1 - C / 500. W4 ends at C = 360 (28%); W5 (fay on comet) adds 12 h a day:
    # 02-04 396 (20.8%), 02-05 408 (18.4%, >= 10 points below 30%); W6 ends at 480;
    # W7 Mon 492 (1.6%), Tue 02-17 504 (-0.8% < 0: critical).
    _o("margin_erosion", "project", "beacon", FIRING, WARNING, "2026-02-05"),
    # -- budget_burn, comet: fay's 8 h a day from W5: the 10th workday, 02-13, = 80 h = 80%;
    # 02-18 (13th) = 104 h. Re-planned 02-19 09:00 to 200 h: 112 / 200 = 56% (elapsed
    # 81/121 = 67%): resolved. 02-27 = 160 h = 80%: fires again with a new id; 03-06 = 200 h
    # = 100%: critical. fay is back on beacon from W10: it stays at 100%.
    _o("budget_burn", "project", "comet", FIRING, WARNING, "2026-02-13"),
    _o("budget_burn", "project", "comet", FIRING, CRITICAL, "2026-02-18"),
    _o("budget_burn", "project", "comet", RESOLVED, CRITICAL, "2026-02-19"),
    _o("budget_burn", "project", "comet", FIRING, WARNING, "2026-02-27"),
    _o("budget_burn", "project", "comet", FIRING, CRITICAL, "2026-03-06"),
    # -- cleo (X1): utilization over the 4 complete weeks, billable of 160 available:
    # W6 start: W2..W5 = 30+30+30+20 = 110 (68.75%: 6.25 points below, quiet);
    # W7 start 02-16: W3..W6 = 100 (62.5%: 12.5 below: warning);
    # W8: W4..W7 = 90 (56.25%: 18.75 below: warning, no change);
    # W9 start 03-02: W5..W8 = 80 (50%: 25 below: critical);
    # W10: W6..W9 = 90 (18.75 below: within 2 points of 20, holds critical);
    # W11 start 03-16: W7..W10 = 100 (12.5 below: steps down to warning);
    # W12 start 03-23: W8..W11 = 110 (6.25 below, under 8: resolved).
    _c(UTIL, "cleo.k14", FIRING, WARNING, "2026-02-16"),
    _c(UTIL, "cleo.k14", FIRING, CRITICAL, "2026-03-02"),
    _c(UTIL, "cleo.k14", FIRING, WARNING, "2026-03-16"),
    _c(UTIL, "cleo.k14", RESOLVED, WARNING, "2026-03-23"),
    # cleo's billable share, recent 2 weeks against the 8 before (weeks before W1 empty):
    # W6 start: W4, W5 = 50/80 = 62.5% against W1..W3 75%: 12.5 points, quiet;
    # W7 start 02-16: W5, W6 = 40/80 = 50% against W1..W4 75%: 25 points: warning;
    # W8: 50% against W1..W5 140/200 = 70%; W9: 50% against W1..W6 160/240 = 66.7%;
    # W10 start 03-09: W8, W9 = 50/80 = 62.5% against W1..W7 180/280 = 64.3%: resolved.
    # Later the share rises 12.5 points (75% against 62.5%): under 15, quiet.
    _c(MIX, "cleo.k14", FIRING, WARNING, "2026-02-16"),
    _c(MIX, "cleo.k14", RESOLVED, WARNING, "2026-03-09"),
    # -- margin_erosion and budget_burn, beacon, re-planned 02-18 09:00 (fee 75,000 for
    # 1,500 h): at the day's end C = 516: margin (75,000 x 516 / 1,500 - 30 x 516) /
    # (75,000 x 516 / 1,500) = 40%; consumed 34.4% against 80/212 = 37.7% elapsed. Both
    # resolve. By W14 it reaches 1,038 h = 69.2%, with 134/212 = 63.2% of its dates elapsed
    # on 04-13: 6 points ahead, under both thresholds.
    _o("margin_erosion", "project", "beacon", FIRING, CRITICAL, "2026-02-17"),
    _o("budget_burn", "project", "beacon", RESOLVED, CRITICAL, "2026-02-18"),
    _o("margin_erosion", "project", "beacon", RESOLVED, CRITICAL, "2026-02-18"),
    _o("handoff_slippage", "route", "studio->build", RESOLVED, WARNING, "2026-02-18"),
    # -- handoff_slippage, build->studio: h5 open past its due time 03-04 12:00; at the day
    # end of 03-06 it is 54 h past due (>= 48; 30 h on 03-05). Completed 03-09 15:00: one
    # handoff fell due (fewer than 3 to judge a share) and none is open: resolved.
    _o("handoff_slippage", "route", "build->studio", FIRING, WARNING, "2026-03-06"),
    _o("handoff_slippage", "route", "build->studio", RESOLVED, WARNING, "2026-03-09"),
    # -- unbilled_cross_team, W9 (X5): ana, ben, dan 4 h each (>= 2); team studio 12 h
    # (>= 10, 4 members), measured when W10 starts (03-09); W10 is clean: all resolve when
    # W11 starts (03-16). ben's is his second episode.
    _c(CROSS, "ana.k14", FIRING, WARNING, "2026-03-09"),
    _c(CROSS, "ben.k14", FIRING, WARNING, "2026-03-09"),
    _c(CROSS, "dan.k14", FIRING, WARNING, "2026-03-09"),
    _o(CROSS, "team", "studio", FIRING, WARNING, "2026-03-09"),
    _c(CROSS, "ana.k14", RESOLVED, WARNING, "2026-03-16"),
    _c(CROSS, "ben.k14", RESOLVED, WARNING, "2026-03-16"),
    _c(CROSS, "dan.k14", RESOLVED, WARNING, "2026-03-16"),
    _o(CROSS, "team", "studio", RESOLVED, WARNING, "2026-03-16"),
    # -- workload_imbalance, studio W10 (X6): dan 50/40 = 1.25 (>= 1.2) while ana 20/40 = 0.5
    # (<= 0.6); the team logs 20+40+40+50 = 150 of 160 (6.25% under: no capacity variance).
    # Measured when W11 starts (03-16); W11 is even: resolved when W12 starts (03-23).
    # ana's utilization never fires: any 4 weeks holding W10 have 30x3 + 15 = 105 of 160
    # billable = 65.6%, 9.4 points below target.
    _o("workload_imbalance", "team", "studio", FIRING, WARNING, "2026-03-16"),
    _o("workload_imbalance", "team", "studio", RESOLVED, WARNING, "2026-03-23"),
    # -- blocked_work, beacon-7: blocked 03-16 12:00; 03-18 18:00 = 54 h, 03-19 18:00 = 78 h
    # (>= 72); unblocked 03-20 09:30. (census-3 was blocked 70 h: never 72.)
    _o("blocked_work", "project", "beacon", FIRING, WARNING, "2026-03-19"),
    _o("blocked_work", "project", "beacon", RESOLVED, WARNING, "2026-03-20"),
    # -- capacity_variance, build W12 (X8): 3 x (40 + 10) = 150 of 120 available = +25%
    # (>= 20%), measured when W13 starts (03-30). eli's extra 10 h deleted on 03-31: 140 /
    # 120 = +16.7%, under the 18% it holds down to: resolved. (Loads 1.25, 1.25, 1.25, then
    # 1.0: nobody at 60% or less, no imbalance.)
    _o("capacity_variance", "team", "build", FIRING, WARNING, "2026-03-30"),
    _o("capacity_variance", "team", "build", RESOLVED, WARNING, "2026-03-31"),
    # -- decision_gap: first event 01-04 09:00; the day end of 04-04 (a Saturday: its 09:00
    # tick) is exactly 90 days later. The decisions of 02-18 and 02-19 name no alert. On
    # 04-06 a decision names this alert (and comet's): resolved.
    _o("decision_gap", "org", ORG, FIRING, WARNING, "2026-04-04"),
    _o("decision_gap", "org", ORG, RESOLVED, WARNING, "2026-04-06"),
    # -- billable_mix_shift, build (X8, X9). Weekly billable / logged per member: 30/40, gus
    # W8 (2 days off) 18/24, W12 30/50 (eli 30/40 after the deletion), W13, W14 20/40.
    # W14 start 04-06: recent W12, W13; baseline W4..W11 = 75% for each member.
    #   fay, gus: (30+20)/(50+40) = 55.6%: 19.4 points: warning.
    #   eli: (30+20)/(40+40) = 62.5%: 12.5 points: quiet.
    #   team: billable 90+60 = 150 of 140+120 = 260 logged = 57.7% against
    #   (4x90 + 78 + 3x90) / (4x120 + 104 + 3x120) = 708/944 = 75%: 17.3 points: warning.
    # (W13 start: recent W11, W12 = 180/270 = 66.7% against 75%: 8.3 points, quiet.)
    _c(MIX, "fay.k14", FIRING, WARNING, "2026-04-06"),
    _c(MIX, "gus.k14", FIRING, WARNING, "2026-04-06"),
    _o(MIX, "team", "build", FIRING, WARNING, "2026-04-06"),
    # W15 start 04-13: recent W13, W14 = 40/80 = 50% for each; baselines W5..W12: eli
    # 240/320 = 75% (25 points: fires now), fay 240/330 = 72.7%, gus 228/314 = 72.6%
    # (still firing, no change); team 120/240 = 50% against 708/964 = 73.4% (no change).
    _c(MIX, "eli.k14", FIRING, WARNING, "2026-04-13"),
    # Utilization W11..W14 = 30+30+20+20 = 100 of 160 = 62.5%: 12.5 points below 75%, for
    # each of eli, fay, gus (W10..W13 on 04-06 was 110 = 68.75%: 6.25 points, quiet).
    _c(UTIL, "eli.k14", FIRING, WARNING, "2026-04-13"),
    _c(UTIL, "fay.k14", FIRING, WARNING, "2026-04-13"),
    _c(UTIL, "gus.k14", FIRING, WARNING, "2026-04-13"),
]
"""Every alert change of the scenario, grouped by story (compare as sorted lists)."""
