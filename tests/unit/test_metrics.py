"""The worker's metrics: what each stage counts, the scrape-time collectors, lag groups,
and the status verdict."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from events.parse import Reason, Rejected, Source
from streams import metrics
from streams.ingest import IngestStage, rejected_type
from streams.lag import Consumption, Lag, consumptions
from streams.localstack import problems
from streams.settings import Settings
from tests.factories import body, raw
from tests.unit.test_ingest_commit import Consumer, Producer, RecordingSink


def sample(name: str, **labels: str) -> float:
    value = metrics.REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def scrape(collector: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Samples of one collector, as Prometheus would read them."""
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# -- ingest ---------------------------------------------------------------------------------


def records(*values: bytes, partition: int = 0) -> dict[TopicPartition, list[ConsumerRecord]]:
    rows = [
        ConsumerRecord("events", partition, offset, 0, 0, None, value, None, 0, len(value), [])
        for offset, value in enumerate(values)
    ]
    return {TopicPartition("events", partition): rows}


def test_ingest_counts_consumed_accepted_by_type_and_rejected_by_reason_and_type() -> None:
    stage = IngestStage(Settings(), RecordingSink())
    consumer = Consumer()
    consumer.refuse = 0
    stage._consumer = consumer  # type: ignore[assignment]
    stage._producer = Producer()  # type: ignore[assignment]
    before = {
        "consumed": sample("worksignals_events_consumed_total"),
        "json_total": sample("worksignals_events_rejected_total", reason="invalid_json"),
        "logged": sample("worksignals_events_accepted_total", type="time.logged"),
        "missing": sample(
            "worksignals_events_rejected_by_type_total", reason="missing_field", type="time.logged"
        ),
        "json": sample(
            "worksignals_events_rejected_by_type_total", reason="invalid_json", type="unknown"
        ),
        "unknown": sample(
            "worksignals_events_rejected_by_type_total", reason="unknown_type", type="unknown"
        ),
    }
    no_minutes = body("time.logged")
    del no_minutes["minutes"]
    batch = records(
        raw("time.logged"),
        raw("time.logged"),
        orjson.dumps(no_minutes),
        b"{not json",
        orjson.dumps({**body("clock.ticked"), "type": "time.typo"}),
    )
    asyncio.run(stage.handle(batch))

    assert sample("worksignals_events_consumed_total") - before["consumed"] == 5
    assert (
        sample("worksignals_events_rejected_total", reason="invalid_json") - before["json_total"]
        == 1
    )
    assert sample("worksignals_events_accepted_total", type="time.logged") - before["logged"] == 2
    after_missing = sample(
        "worksignals_events_rejected_by_type_total", reason="missing_field", type="time.logged"
    )
    assert after_missing - before["missing"] == 1
    after_json = sample(
        "worksignals_events_rejected_by_type_total", reason="invalid_json", type="unknown"
    )
    assert after_json - before["json"] == 1
    # An unknown type is whatever a producer wrote: it must not become a label value.
    after_unknown = sample(
        "worksignals_events_rejected_by_type_total", reason="unknown_type", type="unknown"
    )
    assert after_unknown - before["unknown"] == 1
    assert (
        sample("worksignals_events_rejected_by_type_total", reason="unknown_type", type="time.typo")
        == 0
    )
    assert metrics.SINKS.as_dict()["ingest"]["failing"] is False


@pytest.mark.parametrize(
    ("raw_value", "reason", "expected"),
    [
        (b"\xff\xfe", Reason.INVALID_JSON, "unknown"),
        (b"[1, 2]", Reason.NOT_AN_OBJECT, "unknown"),
        (b'{"type": "time.logged"}', Reason.MISSING_FIELD, "time.logged"),
        (b'{"type": "task.blocked", "org_id": 3}', Reason.INVALID_FIELD, "task.blocked"),
        (b'{"type": "nonsense"}', Reason.UNKNOWN_TYPE, "unknown"),
        (b'{"type": 7}', Reason.UNKNOWN_TYPE, "unknown"),
        (b'{"type": "time.logged"}', Reason.TOO_LARGE, "unknown"),
    ],
)
def test_rejected_type_names_only_known_types(
    raw_value: bytes, reason: Reason, expected: str
) -> None:
    item = Rejected(raw_value, reason, "why", Source("events", 0, 0))
    assert rejected_type(item) == expected


# -- sinks ----------------------------------------------------------------------------------


def test_a_stage_is_failing_from_a_failed_delivery_until_one_succeeds() -> None:
    outcomes = [RuntimeError("ClickHouse refused"), None]

    async def step() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    tracked = metrics.tracked("unit-stage", step)
    with pytest.raises(RuntimeError):
        asyncio.run(tracked())
    state = metrics.SINKS.as_dict()["unit-stage"]
    assert state["failing"] is True
    assert state["last_error"] == "RuntimeError: ClickHouse refused"
    assert sample("worksignals_sink_failing", stage="unit-stage") == 1

    asyncio.run(tracked())
    state = metrics.SINKS.as_dict()["unit-stage"]
    assert (state["failing"], state["failures"]) == (False, 1)
    assert state["last_success_at"] is not None
    assert sample("worksignals_sink_failing", stage="unit-stage") == 0
    assert sample("worksignals_sink_last_success_timestamp_seconds", stage="unit-stage") > 0


# -- alerts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "first_fired_at", "updated_at", "change"),
    [
        ("firing", "2026-03-03T00:00:00Z", "2026-03-03T00:00:00Z", "fired"),
        ("firing", "2026-03-03T00:00:00Z", "2026-03-11T00:00:00Z", "severity_changed"),
        ("resolved", "2026-03-03T00:00:00Z", "2026-03-20T00:00:00Z", "resolved"),
    ],
)
def test_alert_changes_are_fired_severity_changed_or_resolved(
    status: str, first_fired_at: str, updated_at: str, change: str
) -> None:
    alert = {
        "pattern": "budget_burn",
        "audience": "ops",
        "status": status,
        "severity": "critical",
        "first_fired_at": first_fired_at,
        "updated_at": updated_at,
    }
    labels = {"pattern": "budget_burn", "audience": "ops", "change": change, "severity": "critical"}
    before = sample("worksignals_alert_changes_total", **labels)
    metrics.alert_changed(alert)
    assert sample("worksignals_alert_changes_total", **labels) - before == 1


# -- freshness ------------------------------------------------------------------------------


def test_freshness_is_the_latest_projected_event_time_per_org_against_the_clock() -> None:
    now = [dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC).timestamp()]
    freshness = metrics.ProjectionFreshness(clock=lambda: now[0])
    take = metrics.EventTimes()
    take.see("acme", dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    take.see("acme", dt.datetime(2026, 3, 10, 11, tzinfo=dt.UTC))
    take.see("acme", dt.datetime(2026, 3, 9, tzinfo=dt.UTC))  # a late event
    take.see("globex", dt.datetime(2026, 3, 10, 6, tzinfo=dt.UTC))
    freshness.applied(take)

    samples = scrape(freshness)
    eleven = dt.datetime(2026, 3, 10, 11, tzinfo=dt.UTC).timestamp()
    assert samples[("worksignals_projection_last_event_timestamp_seconds", (("org", "acme"),))] == (
        eleven
    )
    assert samples[("worksignals_projection_behind_seconds", (("org", "acme"),))] == 3600
    assert samples[("worksignals_projection_behind_seconds", (("org", "globex"),))] == 6 * 3600

    # A take of older events does not move an org back; the wall clock keeps moving.
    older = metrics.EventTimes()
    older.see("acme", dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    freshness.applied(older)
    now[0] += 60
    assert scrape(freshness)[("worksignals_projection_behind_seconds", (("org", "acme"),))] == 3660

    freshness.forget()
    assert not any(name.startswith("worksignals_projection") for name, _ in scrape(freshness))


# -- notifier -------------------------------------------------------------------------------


def test_notifier_figures_per_channel_only_while_a_notifier_runs() -> None:
    stats = metrics.NotifierStats()
    assert scrape(stats) == {}
    stats.publish(
        {
            "queued": 7,
            "unreadable": 1,
            "channels": {
                "ops-hook": {"delivered": 5, "failed": 2, "pending": 1, "rejected": 0},
                "ana-mail": {"delivered": 2, "failed": 0, "pending": 0, "rejected": 1},
            },
        }
    )
    samples = scrape(stats)
    ops = (("channel", "ops-hook"),)
    assert samples[("worksignals_notify_delivered_total", ops)] == 5
    assert samples[("worksignals_notify_failed_total", ops)] == 2
    assert samples[("worksignals_notify_pending", ops)] == 1
    assert samples[("worksignals_notify_rejected", (("channel", "ana-mail"),))] == 1
    assert samples[("worksignals_notify_queued_total", ())] == 7
    assert samples[("worksignals_notify_unreadable_total", ())] == 1


# -- lag ------------------------------------------------------------------------------------


GROUPS = {
    "ingest": ("ws-ingest", "worksignals.events"),
    "projection": ("ws", "worksignals.ingested"),
    "notify": ("ws-notify", "worksignals.alerts"),
    "sink": ("ws-sink", "worksignals.rows"),
}


@pytest.mark.parametrize(
    ("role", "notifier", "stages"),
    [
        ("all", False, ["ingest", "projection"]),
        ("all", True, ["ingest", "projection", "notify"]),
        ("stream", False, ["ingest", "projection"]),
        ("sink", True, ["sink", "notify"]),
    ],
)
def test_each_role_measures_the_groups_it_runs(
    role: str, notifier: bool, stages: list[str]
) -> None:
    found = consumptions(Settings(app_id="ws"), role, notifier)
    assert [c.stage for c in found] == stages
    for consumption in found:
        assert (consumption.group, consumption.topic) == GROUPS[consumption.stage]


def test_lag_is_reported_per_partition_and_in_total() -> None:
    lag = Lag(Consumption("ingest", "ws-ingest", "worksignals.events"), {1: 5, 0: 2})
    assert lag.as_dict() == {
        "stage": "ingest",
        "group": "ws-ingest",
        "topic": "worksignals.events",
        "lag": 7,
        "partitions": {"0": 2, "1": 5},
    }


# -- status ---------------------------------------------------------------------------------


def report(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "broker": {"up": True, "bootstrap": "127.0.0.1:19092"},
        "worker": {"up": True, "url": "http://127.0.0.1:6066"},
        "sinks": {"ingest": {"failing": False}, "projection": {"failing": False}},
    }
    base.update(changes)
    return base


def test_status_is_healthy_when_broker_and_worker_answer_and_no_stage_fails() -> None:
    assert problems(report()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"broker": {"up": False, "bootstrap": "b:1"}}, ["the broker at b:1 does not answer"]),
        ({"worker": {"up": False, "url": "http://w"}}, ["the worker at http://w does not answer"]),
        (
            {"sinks": {"projection": {"failing": True, "last_error": "KafkaError: refused"}}},
            ["the projection stage's writes are failing: KafkaError: refused"],
        ),
        ({"lag_error": "TimeoutError: "}, ["consumer lag could not be measured: TimeoutError: "]),
    ],
)
def test_status_names_what_is_down_or_failing(changes: dict[str, Any], expected: list[str]) -> None:
    assert problems(report(**changes)) == expected
