"""The ten patterns as scenarios of events folded by the worker's alerting fold.

Each pattern gets: a scenario that fires it (the alert change as the contract describes
it), a control just inside the threshold that emits nothing, and a later event that brings
it back past the hysteresis band, which resolves the same alert_id. Then the properties
every scenario shares: the same events cut into batches on day boundaries give the same
changes, and redelivered events emit nothing new.

Calendar: W1 starts Monday 2026-01-05, so W2 = 01-12, W3 = 01-19, ..., W11 = 03-16.
Contributors are profiled on team `design` from W1 with 40 h a week (8 h a workday) and
a target utilization of 0.75 unless a scenario says otherwise. Time is logged at
18:00Z on its work_date. Every pattern reads complete weeks (before now's week), so week
patterns are measured when a clock tick enters the next week.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable
from typing import Any

import pytest

from events.models import BaseEvent, TimeLogged
from tests.factories import event
from tests.scenarios import Run, by_day, chronological, key

D = dt.date.fromisoformat
W1 = D("2026-01-05")
_ids = itertools.count(1)


def week(n: int) -> dt.date:
    """Monday of week Wn."""
    return W1 + dt.timedelta(weeks=n - 1)


def workdays(n: int) -> list[dt.date]:
    """Monday to Friday of week Wn."""
    return [week(n) + dt.timedelta(days=i) for i in range(5)]


def stamp(day: dt.date, time: str = "18:00") -> str:
    return f"{day.isoformat()}T{time}:00Z"


def profile(c: str, team: str = "design", **fields: Any) -> BaseEvent:
    fields.setdefault("effective_from", W1.isoformat())
    fields.setdefault("occurred_at", stamp(W1, "08:00"))
    return event("contributor.profiled", contributor_id=c, team_id=team, **fields)


def log(
    c: str,
    day: dt.date,
    minutes: int,
    billable: bool = True,
    project: str = "p1",
    entry: str | None = None,
    at: str | None = None,
    **fields: Any,
) -> BaseEvent:
    """A time entry of `minutes` on `day` (entry id unique unless given)."""
    return event(
        "time.logged",
        entry_id=entry or f"e{next(_ids)}",
        contributor_id=c,
        project_id=project,
        work_date=day.isoformat(),
        minutes=minutes,
        billable=billable,
        occurred_at=at or stamp(day),
        **fields,
    )


def daily(c: str, n: int, minutes: int, billable: bool = True, **kw: Any) -> list[BaseEvent]:
    """`minutes` on each workday of Wn."""
    return [log(c, d, minutes, billable, **kw) for d in workdays(n)]


def tick(at: str) -> BaseEvent:
    return event("clock.ticked", occurred_at=at)


def start_of(n: int) -> BaseEvent:
    """A clock tick on Monday 09:00 of Wn: Wn-1 becomes the last complete week."""
    return tick(stamp(week(n), "09:00"))


def only(changes: list[dict[str, Any]], pattern: str, audience: str | None = None) -> list[Any]:
    return [
        c
        for c in changes
        if c["pattern"] == pattern and (audience is None or c["audience"] == audience)
    ]


def brief(changes: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(subject_id, status, severity, date) of each change."""
    return [(c["subject_id"], c["status"], c["severity"], c["updated_at"][:10]) for c in changes]


def run(*events: BaseEvent, run: Run | None = None) -> list[dict[str, Any]]:
    """Fold events (sorted by occurred_at) one batch per day; return the changes."""
    return (run or Run()).daily(chronological(events))


# -- utilization_drift ---------------------------------------------------------------------
# ana: 40 h a week, target 75%; her trailing 4 complete weeks W1..W4 have 160 available
# hours, measured once the clock enters W5 (Monday 2026-02-02). W4's Friday is 01-30.
W4_FRIDAY = D("2026-01-30")
W5_TUESDAY = D("2026-02-03")


def drift(billable_minutes_a_day: int) -> list[BaseEvent]:
    weeks = [e for n in (1, 2, 3, 4) for e in daily("ana", n, billable_minutes_a_day)]
    return [profile("ana"), *weeks, start_of(5)]


@pytest.mark.parametrize(
    ("minutes", "severity", "observed", "threshold"),
    [
        (312, "warning", 0.65, 0.65),  # 26 h a week: 104 / 160 = 65%, 10 points below
        (264, "critical", 0.55, 0.55),  # 22 h a week: 88 / 160 = 55%, 20 points below
        (528, "warning", 1.10, 1.10),  # 44 h a week: 176 / 160 = 110%, over-utilized
    ],
)
def test_utilization_drift_fires(
    minutes: int, severity: str, observed: float, threshold: float
) -> None:
    changes = run(*drift(minutes))
    [alert] = changes  # nothing else: ana's team is too small, no project has a plan
    assert (alert["pattern"], alert["audience"], alert["subject_type"]) == (
        "utilization_drift",
        "contributor",
        "contributor",
    )
    assert brief(changes) == [("ana", "firing", severity, "2026-02-02")]
    assert alert["observed"] == pytest.approx(observed)
    assert alert["threshold"] == pytest.approx(threshold)
    assert alert["baseline"] == 0.75
    assert (alert["period_start"], alert["period_end"]) == ("2026-01-05", "2026-02-01")
    assert alert["suggested_action"] == "self_review"


@pytest.mark.parametrize(
    "minutes",
    [
        318,  # 26.5 h a week: 106 / 160 = 66.25%, 8.75 points below
        522,  # 43.5 h a week: 174 / 160 = 108.75%
    ],
)
def test_utilization_drift_just_inside_emits_nothing(minutes: int) -> None:
    assert run(*drift(minutes)) == []


def test_utilization_drift_is_not_judged_before_a_whole_window_of_profile() -> None:
    # Profiled from W2: at W5 the window W1..W4 starts before the profile.
    events = drift(312)
    events[0] = profile("ana", effective_from=week(2).isoformat())
    assert run(*events) == []


def test_utilization_drift_resolves_on_a_late_entry_for_a_past_week() -> None:
    r = Run()
    [fired] = run(*drift(312), run=r)
    # On Tuesday of W5, 4 h billable for W4's Friday: 108 / 160 = 67.5%, 7.5 points below,
    # past the band (resolves under 8 points).
    [resolved] = r.batch([log("ana", W4_FRIDAY, 240, at=stamp(W5_TUESDAY, "10:00"))])
    assert resolved["alert_id"] == fired["alert_id"]
    assert (resolved["status"], resolved["severity"]) == ("resolved", "warning")
    assert resolved["observed"] == pytest.approx(0.675)
    assert resolved["resolved_at"].startswith("2026-02-03T10:00")
    assert resolved["first_fired_at"] == fired["first_fired_at"]


def test_utilization_drift_resolves_on_an_amendment_with_a_higher_revision() -> None:
    events = drift(312)
    friday = next(e for e in events if isinstance(e, TimeLogged) and e.work_date == W4_FRIDAY)
    r = Run()
    [fired] = run(*events, run=r)
    # Revision 2 of W4's Friday entry: 312 + 240 minutes, +4 h billable: 67.5%.
    amended = log("ana", W4_FRIDAY, 552, entry=friday.entry_id, revision=2, at=stamp(W5_TUESDAY))
    [resolved] = r.batch([amended])
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")
    # A stale revision (1 again) changes nothing.
    assert r.batch([log("ana", W4_FRIDAY, 10, entry=friday.entry_id, at=stamp(W5_TUESDAY))]) == []


def test_utilization_drift_wobbling_in_the_band_emits_nothing_then_fires_anew() -> None:
    r = Run()
    [fired] = run(*drift(312), run=r)
    late = "late-w4"
    at = W5_TUESDAY

    def amend(minutes: int, revision: int) -> list[dict[str, Any]]:
        nonlocal at
        at += dt.timedelta(days=1)
        return r.batch(
            [log("ana", W4_FRIDAY, minutes, entry=late, revision=revision, at=stamp(at))]
        )

    assert amend(120, 1) == []  # 106 / 160 = 66.25%: 8.75 points below, inside the band
    assert amend(60, 2) == []  # 105 / 160 = 65.6%: 9.4 points below
    assert amend(180, 3) == []  # 107 / 160 = 66.9%: 8.1 points below
    [resolved] = amend(240, 4)  # 108 / 160 = 67.5%: 7.5 points below, past the band
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")
    # Deleting the late entry brings her back to 65%: a new episode with a new id.
    [again] = r.batch(
        [event("time.deleted", entry_id=late, revision=5, occurred_at=stamp(D("2026-02-07")))]
    )
    assert (again["status"], again["severity"]) == ("firing", "warning")
    assert again["alert_id"] != fired["alert_id"]
    assert again["first_fired_at"].startswith("2026-02-07")


def test_utilization_drift_steps_down_from_critical_past_the_band_only() -> None:
    r = Run()
    [fired] = run(*drift(264), run=r)  # 55%: critical
    # +2 h: 90 / 160 = 56.25%, 18.75 points below: inside the critical band, nothing.
    assert r.batch([log("ana", W4_FRIDAY, 120, at=stamp(W5_TUESDAY))]) == []
    # +2 h more: 92 / 160 = 57.5%, 17.5 points below: warning, the same alert.
    [lower] = r.batch([log("ana", W4_FRIDAY, 120, at=stamp(D("2026-02-04")))])
    assert (lower["alert_id"], lower["status"], lower["severity"]) == (
        fired["alert_id"],
        "firing",
        "warning",
    )
    assert lower["threshold"] == pytest.approx(0.65)


# -- billable_mix_shift --------------------------------------------------------------------
# Baseline W1..W8: 30 h a week, all billable (share 100%). Recent W9..W10: 20 h a week, of
# which `billable` minutes are billable (one entry) and the rest not (one entry on the
# Tuesday). Measured when the clock enters W11 (Monday 2026-03-16). Target 0.5, so that
# the lower hours do not move utilization_drift: (30 + 30 + 17 + 17) / 160 = 59%.
W10_TUESDAY = week(10) + dt.timedelta(days=1)
W11_TUESDAY = week(11) + dt.timedelta(days=1)


def mix(c: str, billable: int = 1020) -> list[BaseEvent]:
    base = [e for n in range(1, 9) for e in daily(c, n, 360)]
    recent = [
        e
        for n in (9, 10)
        for e in (
            log(c, week(n), billable, entry=f"{c}-bill-w{n}"),
            log(c, week(n) + dt.timedelta(days=1), 1200 - billable, False, entry=f"{c}-nb-w{n}"),
        )
    ]
    return [profile(c, target_utilization=0.5), *base, *recent]


def test_billable_mix_shift_fires_for_the_contributor() -> None:
    changes = run(*mix("ana"), start_of(11))
    [alert] = changes
    assert (alert["pattern"], alert["audience"], alert["subject_type"]) == (
        "billable_mix_shift",
        "contributor",
        "contributor",
    )
    # 34 of 40 recent hours billable = 85%, against 100%: 15 points.
    assert brief(changes) == [("ana", "firing", "warning", "2026-03-16")]
    assert (alert["observed"], alert["threshold"], alert["baseline"]) == pytest.approx(
        (0.85, 0.85, 1.0)
    )
    assert (alert["period_start"], alert["period_end"]) == ("2026-01-05", "2026-03-15")


def test_billable_mix_shift_just_inside_emits_nothing() -> None:
    # 1035 billable minutes a week: 34.5 / 40 = 86.25%, 13.75 points.
    assert run(*mix("ana", billable=1035), start_of(11)) == []


def test_billable_mix_shift_resolves_when_an_amendment_bills_the_recent_hours() -> None:
    r = Run()
    [fired] = run(*mix("ana"), start_of(11), run=r)
    # Revision 2 of W10's non-billable entry makes it billable: 37 / 40 = 92.5%.
    amended = log(
        "ana", W10_TUESDAY, 180, True, entry="ana-nb-w10", revision=2, at=stamp(W11_TUESDAY)
    )
    [resolved] = r.batch([amended])
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")


def test_billable_mix_shift_fires_for_the_team_of_three() -> None:
    events = [e for c in ("ana", "ben", "cai") for e in mix(c)]
    changes = run(*events, start_of(11))
    # Team: 102 of 120 recent hours billable = 85%, against 720 / 720 = 100%.
    [team] = only(changes, "billable_mix_shift", "ops")
    assert (team["subject_type"], team["subject_id"], team["severity"]) == (
        "team",
        "design",
        "warning",
    )
    assert (team["observed"], team["baseline"]) == pytest.approx((0.85, 1.0))
    assert team["evidence"]["recent_contributors"] == 3
    assert team["suggested_action"] == "review"
    assert sorted(c["subject_id"] for c in only(changes, "billable_mix_shift", "contributor")) == [
        "ana",
        "ben",
        "cai",
    ]
    # ana's amendment: team 105 / 120 = 87.5%, 12.5 points: the team alert resolves, and so
    # does hers; ben's and cai's stay.
    r = Run()
    run(*events, start_of(11), run=r)
    later = r.batch(
        [log("ana", W10_TUESDAY, 180, True, entry="ana-nb-w10", revision=2, at=stamp(W11_TUESDAY))]
    )
    assert sorted((c["audience"], c["subject_id"], c["status"]) for c in later) == [
        ("contributor", "ana", "resolved"),
        ("ops", "design", "resolved"),
    ]
    assert only(later, "billable_mix_shift", "ops")[0]["alert_id"] == team["alert_id"]


def test_billable_mix_shift_of_a_team_of_two_never_reaches_ops() -> None:
    events = [e for c in ("ana", "ben") for e in mix(c)]
    changes = run(*events, start_of(11))
    assert only(changes, "billable_mix_shift", "ops") == []
    assert len(only(changes, "billable_mix_shift", "contributor")) == 2


# -- unbilled_cross_team -------------------------------------------------------------------
# ana (design) works for team `dev` without billing it on W1's Monday; measured at W2.
W1_MONDAY = week(1)
W2_TUESDAY = week(2) + dt.timedelta(days=1)


def cross(c: str, minutes: int, billable: bool = False, team: str = "design") -> list[BaseEvent]:
    return [
        profile(c, team),
        log(c, W1_MONDAY, minutes, billable, entry=f"{c}-x", for_team_id="dev"),
    ]


@pytest.mark.parametrize(
    ("minutes", "billable", "fires"),
    [
        (120, False, True),  # 2.0 h: at the threshold
        (119, False, False),  # 1.98 h: just inside
        (600, True, False),  # billed cross-team work is not unbilled
    ],
)
def test_unbilled_cross_team_for_the_contributor(minutes: int, billable: bool, fires: bool) -> None:
    changes = run(*cross("ana", minutes, billable), start_of(2))
    if not fires:
        assert changes == []
        return
    [alert] = changes
    assert (alert["pattern"], alert["audience"], alert["subject_id"]) == (
        "unbilled_cross_team",
        "contributor",
        "ana",
    )
    assert brief(changes) == [("ana", "firing", "warning", "2026-01-12")]
    assert (alert["observed"], alert["threshold"]) == (2.0, 2.0)
    assert (alert["period_start"], alert["period_end"]) == ("2026-01-05", "2026-01-11")


def test_unbilled_cross_team_holds_in_the_band_and_resolves_on_a_deletion() -> None:
    r = Run()
    [fired] = run(*cross("ana", 120), start_of(2), run=r)
    # Revision 2: 115 minutes = 1.92 h, above the 1.9 h the alert holds down to.
    assert (
        r.batch(
            [
                log(
                    "ana",
                    W1_MONDAY,
                    115,
                    False,
                    entry="ana-x",
                    revision=2,
                    for_team_id="dev",
                    at=stamp(W2_TUESDAY, "09:00"),
                )
            ]
        )
        == []
    )
    [resolved] = r.batch(
        [event("time.deleted", entry_id="ana-x", revision=3, occurred_at=stamp(W2_TUESDAY))]
    )
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")
    assert resolved["observed"] == 0.0
    # A late 2.5 h for W1 fires it again: a new episode, a new id.
    [again] = r.batch(
        [
            log(
                "ana",
                W1_MONDAY,
                150,
                False,
                for_team_id="dev",
                at=stamp(W2_TUESDAY + dt.timedelta(days=1)),
            )
        ]
    )
    assert again["status"] == "firing" and again["alert_id"] != fired["alert_id"]


def test_unbilled_cross_team_resolves_when_the_next_week_is_clean() -> None:
    r = Run()
    [fired] = run(*cross("ana", 120), start_of(2), run=r)
    [resolved] = r.batch([start_of(3)])  # W2 becomes the last complete week: 0 h
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")


@pytest.mark.parametrize(
    ("minutes", "team_fires"),
    [
        (210, True),  # 3 x 3.5 h = 10.5 h
        (198, False),  # 3 x 3.3 h = 9.9 h
    ],
)
def test_unbilled_cross_team_for_the_team(minutes: int, team_fires: bool) -> None:
    events = [e for c in ("ana", "ben", "cai") for e in cross(c, minutes)]
    changes = run(*events, start_of(2))
    team = only(changes, "unbilled_cross_team", "ops")
    assert len(only(changes, "unbilled_cross_team", "contributor")) == 3  # each >= 2 h
    if not team_fires:
        assert team == []
        return
    [alert] = team
    assert (alert["subject_type"], alert["subject_id"], alert["severity"]) == (
        "team",
        "design",
        "warning",
    )
    assert (alert["observed"], alert["threshold"]) == (10.5, 10.0)
    assert alert["evidence"]["contributors_with_unbilled_cross_team_hours"] == 3
    assert alert["suggested_action"] == "rebalance"


def test_unbilled_cross_team_of_a_team_of_two_never_reaches_ops() -> None:
    events = [e for c in ("ana", "ben") for e in cross(c, 720)]  # 2 x 12 h
    changes = run(*events, start_of(2))
    assert only(changes, "unbilled_cross_team", "ops") == []


# -- capacity_variance ---------------------------------------------------------------------
# ana, ben, cai on design: 3 x 40 = 120 available hours in W1; measured at W2.
TEAM = ("ana", "ben", "cai")


def team_week(minutes_a_day: dict[str, int]) -> list[BaseEvent]:
    return [
        *(profile(c) for c in TEAM),
        *(e for c, m in minutes_a_day.items() for e in daily(c, 1, m)),
    ]


@pytest.mark.parametrize(
    ("minutes", "observed", "signed"),
    [
        (384, 0.2, -0.2),  # 3 x 32 h = 96 of 120: 20% under
        (576, 0.2, 0.2),  # 3 x 48 h = 144 of 120: 20% over
    ],
)
def test_capacity_variance_fires(minutes: int, observed: float, signed: float) -> None:
    changes = run(*team_week(dict.fromkeys(TEAM, minutes)), start_of(2))
    [alert] = changes  # loads are equal: no imbalance
    assert (alert["pattern"], alert["audience"], alert["subject_type"]) == (
        "capacity_variance",
        "ops",
        "team",
    )
    assert brief(changes) == [("design", "firing", "warning", "2026-01-12")]
    assert (alert["observed"], alert["threshold"]) == pytest.approx((observed, 0.2))
    assert alert["evidence"]["variance_share"] == pytest.approx(signed)
    assert alert["evidence"]["contributors"] == 3


def test_capacity_variance_just_inside_emits_nothing() -> None:
    # 97 of 120 hours: 19.2% under.
    events = [*team_week(dict.fromkeys(TEAM, 384)), log("ana", week(1), 60)]
    assert run(*events, start_of(2)) == []


def test_capacity_variance_resolves_on_late_entries_for_the_past_week() -> None:
    r = Run()
    [fired] = run(*team_week(dict.fromkeys(TEAM, 384)), start_of(2), run=r)
    # 2 h late for W1: 98 / 120, 18.3% under, inside the band (holds down to 18%).
    assert r.batch([log("ben", week(1), 120, at=stamp(W2_TUESDAY, "09:00"))]) == []
    # 1 h more: 99 / 120, 17.5% under: resolved.
    [resolved] = r.batch([log("cai", week(1), 60, at=stamp(W2_TUESDAY))])
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")
    assert resolved["evidence"]["logged_hours"] == 99.0


def test_capacity_variance_resolves_on_late_time_off_for_the_past_week() -> None:
    r = Run()
    [fired] = run(*team_week(dict.fromkeys(TEAM, 384)), start_of(2), run=r)
    # ben reports W1's Friday off (a full day, 8 h) on W2's Tuesday: 96 logged of 112
    # available, 14.3% under.
    off = event(
        "contributor.time_off",
        contributor_id="ben",
        date=workdays(1)[-1].isoformat(),
        occurred_at=stamp(W2_TUESDAY, "09:00"),
    )
    [resolved] = r.batch([off])
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")
    assert resolved["evidence"]["available_hours"] == 112.0


def test_capacity_variance_of_a_team_of_two_never_reaches_ops() -> None:
    events = [*(profile(c) for c in ("ana", "ben")), *daily("ana", 1, 120), *daily("ben", 1, 120)]
    assert run(*events, start_of(2)) == []  # 20 of 80 hours: 75% under, not shown


# -- workload_imbalance --------------------------------------------------------------------
# ana 48 h (load 1.2), ben 24 h (0.6), cai 40 h (1.0): the team logs 112 of 120 hours.


def test_workload_imbalance_fires() -> None:
    changes = run(*team_week({"ana": 576, "ben": 288, "cai": 480}), start_of(2))
    [alert] = changes  # 112 / 120: 6.7% under, no capacity variance
    assert (alert["pattern"], alert["audience"], alert["subject_id"]) == (
        "workload_imbalance",
        "ops",
        "design",
    )
    assert brief(changes) == [("design", "firing", "warning", "2026-01-12")]
    assert (alert["observed"], alert["threshold"], alert["baseline"]) == pytest.approx(
        (1.2, 1.2, 112 / 120), abs=1e-4
    )
    evidence = alert["evidence"]
    assert (evidence["members"], evidence["members_at_or_above_max_load"]) == (3, 1)
    assert evidence["members_at_or_below_min_load"] == 1
    assert evidence["min_load"] == pytest.approx(0.6)


@pytest.mark.parametrize(
    "minutes",
    [
        {"ana": 570, "ben": 288, "cai": 480},  # most loaded at 47.5 / 40 = 118.75%
        {"ana": 576, "ben": 294, "cai": 480},  # least loaded at 24.5 / 40 = 61.25%
    ],
)
def test_workload_imbalance_just_inside_emits_nothing(minutes: dict[str, int]) -> None:
    assert run(*team_week(minutes), start_of(2)) == []


def test_workload_imbalance_resolves_when_the_least_loaded_logs_late_hours() -> None:
    r = Run()
    [fired] = run(*team_week({"ana": 576, "ben": 288, "cai": 480}), start_of(2), run=r)
    # ben +30 min for W1: 24.5 / 40 = 61.25%, inside the band (holds up to 62%).
    assert r.batch([log("ben", week(1), 30, at=stamp(W2_TUESDAY, "09:00"))]) == []
    # +1 h more: 25.5 / 40 = 63.75%: resolved.
    [resolved] = r.batch([log("ben", week(1), 60, at=stamp(W2_TUESDAY))])
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")


# -- budget_burn ---------------------------------------------------------------------------
# p1: 100 planned hours, dates 2025-10-01..2026-01-31 (so in January most of its dates have
# elapsed and only the consumed share matters). ana logs 8 h a day from W1.


def plan(project: str = "p1", at: str = "2026-01-05T08:00:00Z", **fields: Any) -> BaseEvent:
    fields.setdefault("planned_hours", 100)
    fields.setdefault("start_date", "2025-10-01")
    fields.setdefault("end_date", "2026-01-31")
    return event("project.planned", project_id=project, occurred_at=at, **fields)


def burn(days: int, last_minutes: int = 480) -> list[BaseEvent]:
    dates = [*workdays(1), *workdays(2), *workdays(3)][:days]
    entries = [log("ana", d, 480, entry=f"b-{d}") for d in dates[:-1]]
    entries.append(log("ana", dates[-1], last_minutes, entry=f"b-{dates[-1]}"))
    return [plan(), *entries]


def test_budget_burn_fires_at_80_then_critical_at_100_and_resolves_on_a_re_plan() -> None:
    r = Run()
    changes = run(*burn(13), run=r)
    # 80 h on Friday 01-16 (80%), 104 h on Wednesday 01-21 (104%).
    assert [(c["pattern"], c["audience"], c["subject_type"]) for c in changes] == [
        ("budget_burn", "ops", "project")
    ] * 2
    assert brief(changes) == [
        ("p1", "firing", "warning", "2026-01-16"),
        ("p1", "firing", "critical", "2026-01-21"),
    ]
    warning, critical = changes
    assert (warning["observed"], warning["threshold"]) == pytest.approx((0.8, 0.8))
    assert (critical["observed"], critical["threshold"]) == pytest.approx((1.04, 1.0))
    assert critical["alert_id"] == warning["alert_id"]
    assert critical["evidence"]["run_out_date"] == "2026-01-21"  # used up: today
    assert critical["suggested_action"] == "rescope"
    # Re-planned to 200 h: 52%, back past both bands.
    [resolved] = r.batch([plan(at="2026-01-22T09:00:00Z", planned_hours=200)])
    assert (resolved["alert_id"], resolved["status"], resolved["severity"]) == (
        warning["alert_id"],
        "resolved",
        "critical",
    )
    assert resolved["observed"] == pytest.approx(0.52)


def test_budget_burn_just_inside_emits_nothing() -> None:
    assert run(*burn(10, last_minutes=450)) == []  # 79.5 h


def test_budget_burn_resolves_on_a_deletion() -> None:
    r = Run()
    [fired] = run(*burn(10), run=r)  # 80 h
    friday = workdays(2)[-1]
    [resolved] = r.batch(
        [
            event(
                "time.deleted",
                entry_id=f"b-{friday}",
                revision=2,
                occurred_at=stamp(friday, "20:00"),
            )
        ]
    )  # 72 h
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")


def test_budget_burn_wobbling_in_the_band_emits_nothing() -> None:
    r = Run()
    [fired] = run(*burn(10), run=r)
    friday = workdays(2)[-1]

    def amend(minutes: int, revision: int, time: str) -> list[dict[str, Any]]:
        return r.batch(
            [
                log(
                    "ana",
                    friday,
                    minutes,
                    entry=f"b-{friday}",
                    revision=revision,
                    at=stamp(friday + dt.timedelta(days=1), time),
                )
            ]
        )

    assert amend(420, 2, "09:00") == []  # 79 h: 79%, holds down to 78%
    assert amend(480, 3, "10:00") == []  # 80 h again
    assert amend(390, 4, "11:00") == []  # 78.5 h
    [resolved] = amend(330, 5, "12:00")  # 77.5 h
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")


def test_budget_burn_ahead_of_the_calendar_and_back_as_the_days_pass() -> None:
    # p2: 100 h over 10 days (01-05..01-14). On its first day 30 h: 30% consumed, 10% of
    # the dates elapsed: 20 points ahead. The next day 20% have elapsed: 10 points.
    def first_day(minutes: int) -> list[BaseEvent]:
        return [
            plan("p2", start_date="2026-01-05", end_date="2026-01-14"),
            *(log(c, W1_MONDAY, minutes, project="p2") for c in ("ana", "ben", "cai")),
        ]

    assert run(*first_day(590), tick("2026-01-06T09:00:00Z")) == []  # 29.5 h: 19.5 points
    changes = run(*first_day(600), tick("2026-01-06T09:00:00Z"))
    assert brief(changes) == [
        ("p2", "firing", "warning", "2026-01-05"),
        ("p2", "resolved", "warning", "2026-01-06"),
    ]
    fired, resolved = changes
    assert (fired["observed"], fired["threshold"], fired["baseline"]) == pytest.approx(
        (0.3, 0.3, 0.1)
    )
    assert resolved["alert_id"] == fired["alert_id"]


# -- margin_erosion ------------------------------------------------------------------------
# m1: time and materials at 100 an hour, target margin 30%, 1,000 h over all of 2026 (so
# budget_burn stays quiet). ana logs 8 billable hours on W1's Monday at her cost rate.


def margin(cost_rate: float, billing: str = "time_and_materials") -> list[BaseEvent]:
    terms: dict[str, Any] = (
        {"bill_rate": 100}
        if billing == "time_and_materials"
        else {"fixed_fee": 10_000, "planned_hours": 100}
    )
    return [
        profile("ana", cost_rate=cost_rate),
        plan(
            "m1",
            billing=billing,
            start_date="2026-01-01",
            end_date="2026-12-31",
            **{"planned_hours": 1000, **terms},
        ),
        log("ana", W1_MONDAY, 480, project="m1"),
    ]


@pytest.mark.parametrize(
    ("cost_rate", "billing", "severity", "observed", "threshold"),
    [
        # revenue 800, cost 640: 20%, 10 points below the 30% target
        (80, "time_and_materials", "warning", 0.2, 0.2),
        # cost 800: margin 0, not below 0: still a warning
        (100, "time_and_materials", "warning", 0.0, 0.2),
        # cost 880: -10%
        (110, "time_and_materials", "critical", -0.1, 0.0),
        # fixed fee 10,000 x 8 / 100 h = 800 earned, cost 640: 20%
        (80, "fixed_fee", "warning", 0.2, 0.2),
    ],
)
def test_margin_erosion_fires(
    cost_rate: float, billing: str, severity: str, observed: float, threshold: float
) -> None:
    changes = run(*margin(cost_rate, billing))
    [alert] = changes
    assert (alert["pattern"], alert["audience"], alert["subject_type"]) == (
        "margin_erosion",
        "ops",
        "project",
    )
    assert brief(changes) == [("m1", "firing", severity, "2026-01-05")]
    assert (alert["observed"], alert["threshold"], alert["baseline"]) == pytest.approx(
        (observed, threshold, 0.3)
    )
    assert alert["suggested_action"] == "renegotiate"


@pytest.mark.parametrize("billing", ["time_and_materials", "fixed_fee"])
def test_margin_erosion_just_inside_emits_nothing(billing: str) -> None:
    assert run(*margin(79, billing)) == []  # margin 21%


def test_margin_erosion_is_not_measured_on_a_non_billable_project() -> None:
    events = [
        profile("ana", cost_rate=500),
        plan(
            "m1",
            billing="non_billable",
            start_date="2026-01-01",
            end_date="2026-12-31",
            planned_hours=1000,
        ),
        log("ana", W1_MONDAY, 480, False, project="m1"),
    ]
    assert run(*events) == []


def test_margin_erosion_resolves_on_a_retroactive_cost_rate() -> None:
    r = Run()
    [fired] = run(*margin(110), run=r)  # critical
    # A profile published on Tuesday, effective from W1: cost 60, so margin 40%.
    [resolved] = r.batch([profile("ana", cost_rate=60, occurred_at="2026-01-06T09:00:00Z")])
    assert (resolved["alert_id"], resolved["status"], resolved["severity"]) == (
        fired["alert_id"],
        "resolved",
        "critical",
    )
    assert resolved["observed"] == pytest.approx(0.4)


def test_margin_erosion_steps_down_as_cheaper_hours_come_in() -> None:
    r = Run()
    [fired] = run(*margin(110), run=r)  # -10%
    # ben at cost 40 logs 4 h: revenue 1,200, cost 880 + 160 = 1,040: 13.3%, 16.7 points
    # below target, not below 0: a warning.
    tuesday = W1_MONDAY + dt.timedelta(days=1)
    [lower] = r.batch(
        [
            profile("ben", cost_rate=40, occurred_at=stamp(tuesday, "08:00")),
            log("ben", tuesday, 240, project="m1"),
        ]
    )
    assert (lower["alert_id"], lower["status"], lower["severity"]) == (
        fired["alert_id"],
        "firing",
        "warning",
    )
    assert lower["observed"] == pytest.approx(0.1333, abs=1e-4)
    # 8 h more of ben: revenue 2,000, cost 1,360: 32%.
    [resolved] = r.batch([log("ben", tuesday + dt.timedelta(days=1), 480, project="m1")])
    assert (resolved["alert_id"], resolved["status"]) == (fired["alert_id"], "resolved")


# -- blocked_work --------------------------------------------------------------------------
# Task t1 of p1 blocked on Monday 01-05 09:00.
BLOCK = event(
    "task.blocked",
    task_id="t1",
    project_id="p1",
    reason="waiting on ana-private-note",
    blocked_by_team_id="legal",
    occurred_at="2026-01-05T09:00:00Z",
)


def test_blocked_work_warning_critical_and_unblock() -> None:
    r = Run()
    changes = r.daily(
        [
            BLOCK,
            tick("2026-01-08T09:00:00Z"),  # 72 h
            tick("2026-01-12T09:00:00Z"),  # 168 h
            unblock("2026-01-13T10:00:00Z"),
        ]
    )
    assert [(c["pattern"], c["audience"], c["subject_type"]) for c in changes] == [
        ("blocked_work", "ops", "project")
    ] * 3
    assert brief(changes) == [
        ("p1", "firing", "warning", "2026-01-08"),
        ("p1", "firing", "critical", "2026-01-12"),
        ("p1", "resolved", "critical", "2026-01-13"),
    ]
    warning, critical, resolved = changes
    assert (warning["observed"], warning["threshold"]) == (72.0, 72.0)
    assert (critical["observed"], critical["threshold"]) == (168.0, 168.0)
    assert warning["alert_id"] == critical["alert_id"] == resolved["alert_id"]
    assert warning["evidence"]["blocked_by_teams"] == ["legal"]
    assert "ana-private-note" not in str(changes), "a block's reason never reaches ops"
    # Blocked again: a new episode.
    again = r.daily(
        [
            event(
                "task.blocked", task_id="t1", project_id="p1", occurred_at="2026-01-14T09:00:00Z"
            ),
            tick("2026-01-17T09:00:00Z"),
        ]
    )
    assert brief(again) == [("p1", "firing", "warning", "2026-01-17")]
    assert again[0]["alert_id"] != warning["alert_id"]


def unblock(at: str) -> BaseEvent:
    return event("task.unblocked", task_id="t1", project_id="p1", occurred_at=at)


def test_blocked_work_just_inside_emits_nothing() -> None:
    assert Run().daily([BLOCK, tick("2026-01-08T08:54:00Z")]) == []  # 71.9 h


# -- handoff_slippage ----------------------------------------------------------------------


def handoff(hid: str, due: str, route: tuple[str, str] = ("design", "dev")) -> BaseEvent:
    return event(
        "handoff.requested",
        handoff_id=hid,
        project_id="p1",
        from_team_id=route[0],
        to_team_id=route[1],
        due_at=due,
        occurred_at="2026-01-05T08:00:00Z",
    )


def completed(hid: str, at: str) -> BaseEvent:
    return event("handoff.completed", handoff_id=hid, occurred_at=at)


def test_handoff_slippage_an_open_handoff_48_hours_past_due() -> None:
    opened = handoff("h1", "2026-01-06T09:00:00Z")
    assert Run().daily([opened, tick("2026-01-08T08:54:00Z")]) == []  # 47.9 h
    r = Run()
    changes = r.daily([opened, tick("2026-01-08T09:00:00Z")])
    [alert] = changes
    assert (alert["pattern"], alert["audience"], alert["subject_type"]) == (
        "handoff_slippage",
        "ops",
        "route",
    )
    assert brief(changes) == [("design->dev", "firing", "warning", "2026-01-08")]
    assert (alert["observed"], alert["threshold"], alert["unit"]) == (48.0, 48.0, "hours")
    # Completed: 1 of 1 due was late, but fewer than 3 fell due: resolved.
    [resolved] = r.batch([completed("h1", "2026-01-08T10:00:00Z")])
    assert (resolved["alert_id"], resolved["status"]) == (alert["alert_id"], "resolved")


def slipping(count: int, late: int = 2) -> list[BaseEvent]:
    """`count` handoffs on design->dev, requested 01-05 and due 09:00 on consecutive days
    from 01-06; the `late`-th (from 0) completed 3 h late at 12:00, the others an hour
    early."""
    events: list[BaseEvent] = []
    for i in range(count):
        due = dt.datetime(2026, 1, 6 + i, 9, tzinfo=dt.UTC)
        done = due + (dt.timedelta(hours=3) if i == late else -dt.timedelta(hours=1))
        events += [
            handoff(f"h{i + 1}", due.isoformat()),
            completed(f"h{i + 1}", done.isoformat()),
        ]
    return chronological(events)


def test_handoff_slippage_late_share() -> None:
    r = Run()
    changes = r.daily(slipping(3))
    # h3 completed late at 01-08 12:00: 1 of 3 due late (33%).
    assert brief(changes) == [("design->dev", "firing", "warning", "2026-01-08")]
    [alert] = changes
    assert (alert["observed"], alert["threshold"], alert["unit"]) == (0.3333, 0.3, "share")
    # A fourth handoff, done early on 01-09 08:00, falls due at 09:00: not due yet...
    h4 = [handoff("h4", "2026-01-09T09:00:00Z"), completed("h4", "2026-01-09T08:00:00Z")]
    assert r.batch(h4) == []
    # ... and once it is, 1 of 4 = 25%, under the 28% the alert holds down to. A route
    # without open handoffs is read again when the date changes (docs/alerts.md, "When
    # patterns are evaluated"), so the next day's tick resolves it.
    [resolved] = r.daily([tick("2026-01-09T10:00:00Z"), tick("2026-01-10T09:00:00Z")])
    assert (resolved["alert_id"], resolved["status"]) == (alert["alert_id"], "resolved")


def test_handoff_slippage_just_inside_emits_nothing() -> None:
    # The fourth is the late one: 1 of 4 due late (25%) when it is known.
    assert Run().daily([*slipping(4, late=3), tick("2026-01-10T09:00:00Z")]) == []
    # Fewer than 3 due: 1 of 2 late is not a share to judge.
    assert Run().daily([*slipping(2, late=1), tick("2026-01-08T09:00:00Z")]) == []


# -- decision_gap --------------------------------------------------------------------------
# The org's first event is 2026-01-01 09:00; 90 days later is 2026-04-01 09:00.
FIRST = tick("2026-01-01T09:00:00Z")


def test_decision_gap_fires_at_90_days_and_resolves_on_a_grounded_decision() -> None:
    assert Run().daily([FIRST, tick("2026-04-01T08:00:00Z")]) == []  # 89.96 days
    r = Run()
    [alert] = r.daily([FIRST, tick("2026-04-01T09:00:00Z")])
    assert (alert["pattern"], alert["audience"], alert["subject_type"], alert["subject_id"]) == (
        "decision_gap",
        "ops",
        "org",
        "acme",
    )
    assert (alert["status"], alert["severity"]) == ("firing", "warning")
    assert (alert["observed"], alert["threshold"]) == (90.0, 90.0)
    # A decision naming no alert does not close the gap.
    assert (
        r.batch(
            [
                event(
                    "decision.recorded",
                    decision_id="d0",
                    alert_ids=[],
                    occurred_at="2026-04-02T09:00:00Z",
                )
            ]
        )
        == []
    )
    [resolved] = r.batch(
        [
            event(
                "decision.recorded",
                decision_id="d1",
                alert_ids=[alert["alert_id"]],
                occurred_at="2026-04-03T09:00:00Z",
            )
        ]
    )
    assert (resolved["alert_id"], resolved["status"]) == (alert["alert_id"], "resolved")
    assert resolved["updated_at"].startswith("2026-04-03")


def test_decision_gap_never_fires_when_a_decision_named_an_alert_in_time() -> None:
    named = event(
        "decision.recorded",
        decision_id="d1",
        alert_ids=["budget_burn-0000000000000000"],
        occurred_at="2026-02-01T09:00:00Z",
    )
    assert Run().daily([FIRST, named, tick("2026-04-01T09:00:00Z")]) == []


# -- every scenario: batch cuts on day boundaries, and redelivery ---------------------------


def _drift_wobble() -> list[BaseEvent]:
    late = [
        log(
            "ana",
            W4_FRIDAY,
            m,
            entry="late-w4",
            revision=i + 1,
            at=stamp(W5_TUESDAY + dt.timedelta(days=i)),
        )
        for i, m in enumerate((120, 60, 240))
    ]
    delete = event(
        "time.deleted", entry_id="late-w4", revision=4, occurred_at=stamp(D("2026-02-07"))
    )
    return [*drift(312), *late, delete, start_of(6)]


def _team_all() -> list[BaseEvent]:
    # Mix shift for the three, imbalance and cross-team work in W10, then W11 and W12.
    events = [e for c in TEAM for e in mix(c)]
    events.append(log("ana", week(10) + dt.timedelta(days=2), 720, False, for_team_id="dev"))
    events.append(
        log("ana", W10_TUESDAY, 60, False, entry="ana-nb-w10", revision=2, at=stamp(W11_TUESDAY))
    )
    return [*events, start_of(11), start_of(12)]


def _projects_all() -> list[BaseEvent]:
    return [
        *burn(13),
        plan(at="2026-01-22T09:00:00Z", planned_hours=200),
        *margin(110)[1:],
        profile("ana", cost_rate=110, occurred_at="2026-01-05T07:00:00Z"),
        profile("ana", cost_rate=60, occurred_at="2026-01-23T09:00:00Z"),
        BLOCK,
        unblock("2026-01-14T10:00:00Z"),
        *slipping(4),
        handoff("h9", "2026-01-20T09:00:00Z", ("dev", "design")),
        tick("2026-01-26T09:00:00Z"),
    ]


SCENARIOS: dict[str, Callable[[], list[BaseEvent]]] = {
    "utilization_drift": _drift_wobble,
    "team_patterns": _team_all,
    "project_patterns": _projects_all,
    "decision_gap": lambda: [
        FIRST,
        tick("2026-04-01T09:00:00Z"),
        event(
            "decision.recorded",
            decision_id="d1",
            alert_ids=["x"],
            occurred_at="2026-04-03T09:00:00Z",
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_batch_cuts_on_day_boundaries_change_nothing(name: str) -> None:
    events = chronological(SCENARIOS[name]())
    days = by_day(events)
    expected = {key(c) for c in Run().daily(events)}
    assert expected, "the scenario fires something"
    assert {key(c) for c in Run().batch(events)} == expected
    rng = random.Random(name)
    for _ in range(3):
        cuts = sorted(rng.sample(range(1, len(days)), k=min(4, len(days) - 1)))
        batches = [
            [e for day in days[a:b] for e in day]
            for a, b in itertools.pairwise([0, *cuts, len(days)])
        ]
        assert {key(c) for c in Run().batches(batches)} == expected, cuts


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_redelivered_events_emit_nothing_new(name: str) -> None:
    events = chronological(SCENARIOS[name]())
    once = Run()
    first = once.daily(events)
    assert first
    assert once.batch(events) == [], "every event again, in one batch"
    assert once.daily(events) == [], "every event again, day by day"
    twice = Run().daily([e for e in events for _ in range(2)])
    assert [key(c) for c in twice] == [key(c) for c in first], "each event delivered twice"
