"""The 14-week agency (tests/scenarios/agency14.py) folded by the worker's alerting fold
gives exactly the alert changes derived by hand in its EXPECTED, whatever the batches."""

from __future__ import annotations

import json
from functools import cache

import orjson
import pytest

from events.models import EVENT_ADAPTER, BaseEvent
from streams.alerting import Alert
from tests.scenarios import Run, by_day, summary
from tests.scenarios.agency14 import CONTRIBUTORS, EXPECTED, ORG, events


@cache
def models() -> tuple[BaseEvent, ...]:
    parsed: list[BaseEvent] = [EVENT_ADAPTER.validate_json(orjson.dumps(e)) for e in events()]
    return tuple(parsed)


@cache
def per_day() -> tuple[Alert, ...]:
    return tuple(Run().daily(models()))


def diff(got: list[Alert]) -> str:
    have = sorted(summary(a) for a in got)
    want = sorted(EXPECTED)
    missing = [x for x in want if x not in have]
    extra = [x for x in have if x not in want]
    return f"missing: {missing}\nunexpected: {extra}"


def test_the_scenario_is_valid_and_in_event_time_order() -> None:
    stamps = [e.occurred_at for e in models()]
    assert stamps == sorted(stamps)
    assert len({e.event_id for e in models()}) == len(models())
    assert {e.org_id for e in models()} == {ORG}


def test_one_batch_per_day_gives_exactly_the_expected_changes() -> None:
    got = list(per_day())
    assert sorted(summary(a) for a in got) == sorted(EXPECTED), diff(got)


def test_one_batch_for_everything_gives_the_same_changes() -> None:
    whole = Run().batch(models())
    assert sorted(summary(a) for a in whole) == sorted(EXPECTED), diff(whole)
    assert [a["alert_id"] for a in whole] == [a["alert_id"] for a in per_day()]
    assert whole == list(per_day())


def test_weekly_batches_give_the_same_changes() -> None:
    days = by_day(models())
    weeks = [[e for d in days[i : i + 7] for e in d] for i in range(0, len(days), 7)]
    assert Run().batches(weeks) == list(per_day())


def test_redelivering_the_whole_scenario_emits_nothing() -> None:
    r = Run()
    r.daily(models())
    assert r.batch(models()) == []


def test_alert_ids_follow_episodes() -> None:
    got = per_day()
    ids: dict[tuple[str, str, str], list[str]] = {}
    for a in got:
        episodes = ids.setdefault((a["pattern"], a["audience"], a["subject_id"]), [])
        if a["status"] == "firing" and (not episodes or episodes[-1] == "resolved"):
            episodes.append(a["alert_id"])
        assert a["alert_id"] == next(x for x in reversed(episodes) if x != "resolved")
        if a["status"] == "resolved":
            episodes.append("resolved")
    comet = [x for x in ids[("budget_burn", "ops", "comet")] if x != "resolved"]
    ben = [x for x in ids[("unbilled_cross_team", "contributor", "ben.k14")] if x != "resolved"]
    assert len(set(comet)) == 2 and len(set(ben)) == 2, "a new episode gets a new id"


def test_every_change_carries_the_contract_fields() -> None:
    for a in per_day():
        assert a["org_id"] == ORG
        assert a["updated_at"] >= a["first_fired_at"]
        assert (a["resolved_at"] is not None) == (a["status"] == "resolved")
        if a["audience"] == "contributor":
            assert a["suggested_action"] == "self_review"
            assert a["subject_type"] == "contributor"


def test_ops_changes_name_no_contributor_and_no_small_team() -> None:
    ops = [a for a in per_day() if a["audience"] == "ops"]
    assert ops
    text = json.dumps([{k: a[k] for k in ("summary", "evidence", "subject_id")} for a in ops])
    for contributor in CONTRIBUTORS:
        assert contributor not in text
    assert "data" not in {a["subject_id"] for a in ops if a["subject_type"] == "team"}
    # The block's reason names a contributor: it never reaches ops.
    assert "sign off" not in json.dumps(ops)


@pytest.mark.parametrize("contributor", CONTRIBUTORS)
def test_contributor_changes_go_only_to_their_subject(contributor: str) -> None:
    for a in per_day():
        if a["audience"] == "contributor" and a["subject_id"] != contributor:
            assert contributor not in json.dumps(a)


# The figures behind some of the changes, as derived in the scenario's comments.
FIGURES = [
    # (pattern, subject_id, status, severity, observed, threshold, unit)
    ("blocked_work", "atlas", "firing", "warning", 80.0, 72.0, "hours"),
    ("budget_burn", "beacon", "firing", "warning", 0.84, 0.8, "share"),
    ("budget_burn", "beacon", "firing", "critical", 1.02, 1.0, "share"),
    ("margin_erosion", "beacon", "firing", "warning", 0.184, 0.2, "share"),
    ("margin_erosion", "beacon", "firing", "critical", -0.008, 0.0, "share"),
    ("margin_erosion", "beacon", "resolved", "critical", 0.4, 0.2, "share"),
    ("budget_burn", "comet", "resolved", "critical", 0.56, 0.8, "share"),
    ("utilization_drift", "cleo.k14", "firing", "critical", 0.5, 0.55, "share"),
    ("billable_mix_shift", "cleo.k14", "firing", "warning", 0.5, 0.6, "share"),
    ("handoff_slippage", "studio->build", "firing", "warning", 0.3333, 0.3, "share"),
    ("handoff_slippage", "build->studio", "firing", "warning", 54.0, 48.0, "hours"),
    ("unbilled_cross_team", "studio", "firing", "warning", 12.0, 10.0, "hours"),
    ("workload_imbalance", "studio", "firing", "warning", 1.25, 1.2, "load"),
    ("capacity_variance", "build", "firing", "warning", 0.25, 0.2, "share"),
    ("capacity_variance", "build", "resolved", "warning", 0.1667, 0.2, "share"),
    ("decision_gap", ORG, "firing", "warning", 90.0, 90.0, "days"),
    ("billable_mix_shift", "build", "firing", "warning", 0.5769, 0.6, "share"),
]


@pytest.mark.parametrize("figures", FIGURES, ids=lambda f: f"{f[0]}-{f[1]}-{f[2]}-{f[3]}")
def test_the_figures_behind_the_changes(
    figures: tuple[str, str, str, str, float, float, str],
) -> None:
    pattern, subject, status, severity, observed, threshold, unit = figures
    first = next(
        a
        for a in per_day()
        if (a["pattern"], a["subject_id"], a["status"], a["severity"])
        == (pattern, subject, status, severity)
    )
    assert (first["observed"], first["threshold"]) == pytest.approx((observed, threshold))
    assert first["unit"] == unit
