"""Project status: hand-computed figures for each billing model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from events.models import LATEST
from projections.patterns.policy import Policy
from projections.project_status import (
    ProjectDay,
    elapsed_share,
    margin_of,
    run_out_date,
    status,
)
from projections.reference import Plan
from sinks.clickhouse import COLUMNS
from sinks.snapshot import Snapshots
from streams.alerting import Alerting, AlertingFold
from tests.factories import event

D = dt.date.fromisoformat


def plan(billing: str, **fields: object) -> Plan:
    values: dict[str, object] = dict(
        project_id="p1",
        name=None,
        team_id="design",
        billing=billing,
        planned_hours=100.0,
        start_date=D("2026-03-02"),
        end_date=D("2026-03-31"),
        bill_rate=None,
        fixed_fee=None,
        target_margin=0.3,
        currency="EUR",
        valid_from=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    values.update(fields)
    return Plan(**values)  # type: ignore[arg-type]


# 60 hours before the burn window, 20 inside it (2026-03-03..2026-03-16).
DAYS = [
    ProjectDay(D("2026-03-02"), 60.0, 50.0, 3000.0),
    ProjectDay(D("2026-03-10"), 12.0, 12.0, 600.0),
    ProjectDay(D("2026-03-15"), 8.0, 0.0, 300.0, uncosted_hours=2.0),
]
TODAY = D("2026-03-16")


def test_time_and_materials() -> None:
    s = status("acme", plan("time_and_materials", bill_rate=100.0), DAYS, TODAY)
    assert (s.consumed_hours, s.billable_hours, s.consumed_share) == (80.0, 62.0, 0.8)
    assert s.elapsed_share == 0.5  # 15 of 30 days
    assert s.burn_rate_hours_per_week == 10.0  # 20 hours over the last two weeks
    assert s.run_out_date == D("2026-03-30")  # 20 hours left at 10 a week
    assert (s.earned_revenue, s.cost, s.uncosted_hours) == (6200.0, 3900.0, 2.0)
    assert s.margin == pytest.approx(2300 / 6200)
    assert not s.scope_creep and s.currency == "EUR"


def test_fixed_fee_earns_in_proportion_to_hours_and_caps_at_the_fee() -> None:
    s = status("acme", plan("fixed_fee", fixed_fee=20000.0), DAYS, TODAY)
    assert s.earned_revenue == 16000.0  # 80 of 100 hours
    assert s.margin == pytest.approx((16000 - 3900) / 16000)
    over = status("acme", plan("fixed_fee", fixed_fee=20000.0, planned_hours=40.0), DAYS, TODAY)
    assert over.earned_revenue == 20000.0
    assert over.scope_creep  # 80 hours is 200% of 40
    assert over.run_out_date == TODAY


def test_non_billable_has_no_revenue_and_no_margin() -> None:
    s = status("acme", plan("non_billable"), DAYS, TODAY)
    assert (s.earned_revenue, s.margin, s.cost) == (0.0, None, 3900.0)


def test_elapsed_share_and_run_out_edges() -> None:
    assert elapsed_share(D("2026-03-02"), D("2026-03-31"), D("2026-03-01")) == 0.0
    assert elapsed_share(D("2026-03-02"), D("2026-03-31"), D("2026-03-02")) == pytest.approx(1 / 30)
    assert elapsed_share(D("2026-03-02"), D("2026-03-31"), D("2026-05-01")) == 1.0
    assert run_out_date(10.0, 0.0, TODAY) is None
    assert run_out_date(1.0, 70.0, TODAY) == D("2026-03-17")


def test_run_out_date_past_the_last_storable_date_is_none() -> None:
    fortnightly_minute = 1 / 60 / 2  # hours a week
    # 10,000 hours at one minute a fortnight: 23,000 years away.
    assert run_out_date(10_000.0, fortnightly_minute, TODAY) is None
    assert run_out_date(1e308, fortnightly_minute, TODAY) is None  # an infinite quotient
    to_latest = (LATEST - TODAY).days
    assert run_out_date(to_latest / 7.0, 1.0, TODAY) == LATEST
    assert run_out_date((to_latest + 1) / 7.0, 1.0, TODAY) is None


def test_a_large_plan_burning_slowly_folds_evaluates_and_writes_its_status() -> None:
    events = [
        event("project.planned", project_id="big", planned_hours=10_000, end_date="2027-12-31"),
        event("time.logged", project_id="big", minutes=1, work_date="2026-03-02"),
        event("clock.ticked", occurred_at="2026-03-10T09:00:00Z"),
    ]
    store: dict[str, Any] = {}
    alerting = Alerting(Policy())
    folding = AlertingFold(alerting, store)
    for e in events:
        folding.apply(e)
    folding.finish()
    rows = Snapshots(store, dt.timedelta(hours=24)).rows(folding.touched, 1)
    columns = COLUMNS["project_status"]
    found = [dict(zip(columns, r, strict=True)) for r in rows["project_status"]]
    (big,) = [r for r in found if r["project_id"] == "big"]
    assert big["run_out_date"] is None
    assert big["consumed_hours"] == pytest.approx(1 / 60)


def test_a_margin_that_overflows_is_none() -> None:
    assert margin_of(100.0, 25.0) == 0.75
    assert margin_of(0.0, 25.0) is None
    assert margin_of(1e-310, 25.0) is None  # -2.5e311: past the largest float
    tiny = status("acme", plan("time_and_materials", bill_rate=1e-310), DAYS, TODAY)
    assert tiny.earned_revenue > 0 and tiny.margin is None
