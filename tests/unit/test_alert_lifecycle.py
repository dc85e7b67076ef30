"""The alert lifecycle: one record per state change, hysteresis, deterministic ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from projections.patterns import lifecycle
from projections.patterns.finding import CRITICAL, QUIET, WARNING, Finding, Subject

SUBJECT = Subject("acme", "budget_burn", "ops", "project", "p1")
T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def finding(level: int, holding: int | None = None, observed: float = 0.5) -> Finding:
    return Finding(
        subject=SUBJECT,
        level=level,
        holding=level if holding is None else holding,
        period_start=dt.date(2026, 1, 5),
        period_end=dt.date(2026, 3, 1),
        observed=observed,
        threshold=0.8,
        baseline=None,
        unit="share",
        summary="Project p1 has used 85% of its planned hours.",
        evidence={"consumed_hours": 85.0},
        suggested_action="rescope",
    )


def step(store: dict[str, Any], f: Finding, hours: int = 0) -> list[dict[str, Any]]:
    return lifecycle.advance(store, [f], T0 + dt.timedelta(hours=hours))


def test_fires_once_and_stays_silent_while_unchanged() -> None:
    store: dict[str, Any] = {}
    [fired] = step(store, finding(WARNING, observed=0.85))
    assert fired["status"] == "firing"
    assert fired["severity"] == "warning"
    assert fired["first_fired_at"] == fired["updated_at"] == "2026-03-02T09:00:00.000000+00:00"
    assert fired["resolved_at"] is None
    assert set(fired) == set(lifecycle.ALERT_FIELDS)
    assert step(store, finding(WARNING, observed=0.86), hours=1) == []
    assert step(store, finding(QUIET), hours=2) != []


def test_quiet_subject_emits_nothing() -> None:
    store: dict[str, Any] = {}
    assert step(store, finding(QUIET, holding=WARNING)) == []
    assert store == {}


def test_severity_rises_on_strict_level_and_falls_only_past_the_band() -> None:
    store: dict[str, Any] = {}
    [fired] = step(store, finding(WARNING))
    [raised] = step(store, finding(CRITICAL), hours=1)
    assert (raised["status"], raised["severity"]) == ("firing", "critical")
    assert raised["alert_id"] == fired["alert_id"]
    assert raised["first_fired_at"] == fired["first_fired_at"]
    # Below the critical threshold but inside the band: stays critical.
    assert step(store, finding(WARNING, holding=CRITICAL), hours=2) == []
    [lowered] = step(store, finding(WARNING, holding=WARNING), hours=3)
    assert lowered["severity"] == "warning"


def test_holding_never_raises_a_firing_alert() -> None:
    store: dict[str, Any] = {}
    step(store, finding(WARNING))
    assert step(store, finding(WARNING, holding=CRITICAL), hours=1) == []


def test_resolves_past_the_band_and_fires_again_with_a_new_id() -> None:
    store: dict[str, Any] = {}
    [first] = step(store, finding(WARNING))
    assert step(store, finding(QUIET, holding=WARNING), hours=1) == []
    [resolved] = step(store, finding(QUIET, holding=QUIET), hours=2)
    assert resolved["status"] == "resolved"
    assert resolved["severity"] == "warning"
    assert resolved["alert_id"] == first["alert_id"]
    assert resolved["resolved_at"] == "2026-03-02T11:00:00.000000+00:00"
    [again] = step(store, finding(WARNING), hours=3)
    assert again["alert_id"] != first["alert_id"]
    assert again["first_fired_at"] == "2026-03-02T12:00:00.000000+00:00"


def test_ids_are_deterministic_and_distinct_per_subject_and_episode() -> None:
    other = Subject("acme", "budget_burn", "ops", "project", "p2")
    assert lifecycle.alert_id(SUBJECT, 1) == lifecycle.alert_id(SUBJECT, 1)
    ids = {lifecycle.alert_id(s, n) for s in (SUBJECT, other) for n in (1, 2)}
    assert len(ids) == 4
    assert all(i.startswith("budget_burn-") for i in ids)


def test_same_findings_give_the_same_records() -> None:
    sequence = [finding(WARNING), finding(CRITICAL), finding(QUIET), finding(WARNING)]

    def run() -> list[dict[str, Any]]:
        store: dict[str, Any] = {}
        return [r for n, f in enumerate(sequence) for r in step(store, f, hours=n)]

    assert run() == run()
    assert [r["status"] for r in run()] == ["firing", "firing", "resolved", "firing"]
