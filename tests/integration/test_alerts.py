"""Pattern alerts end to end on the real broker and chDB: topic, table, notifier, replays,
resolution, decisions, and contributor first on every ops-bound message and row."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from streams.publish import publish_lines, wait_until_processed
from streams.settings import Settings
from tests.factories import raw
from tests.integration.conftest import WorkerFactory, query_rows
from tests.notify_support import HttpReceiver, http_receiver

pytestmark = pytest.mark.integration

CONTRIBUTORS = {"ana-q7": 2, "ben-q7": 6, "cai-q7": 6}
"""Distinctive ids (scanned for in ops output), with billable hours per workday."""
MONDAYS = [dt.date(2026, 3, 2) + dt.timedelta(weeks=n) for n in range(4)]
WEEK_5 = "2026-03-30"


def agency() -> list[bytes]:
    """Four weeks of one team: ana at a quarter of her capacity, on a project that burns
    2.8 times its planned hours; then the clock enters week 5."""
    lines = [
        raw(
            "project.planned",
            event_id="plan-1",
            occurred_at="2026-03-01T09:00:00Z",
            planned_hours=100,
            start_date="2026-03-02",
            end_date="2026-04-30",
            team_id="design",
        )
    ]
    for contributor, hours in CONTRIBUTORS.items():
        lines.append(
            raw(
                "contributor.profiled",
                event_id=f"profile-{contributor}",
                occurred_at="2026-03-01T09:00:00Z",
                contributor_id=contributor,
                team_id="design",
                cost_rate=50,
                effective_from="2026-03-02",
            )
        )
        for monday in MONDAYS:
            for day in range(5):
                work_date = (monday + dt.timedelta(days=day)).isoformat()
                lines.append(
                    raw(
                        "time.logged",
                        event_id=f"t-{contributor}-{work_date}",
                        occurred_at=f"{work_date}T18:00:00Z",
                        entry_id=f"e-{contributor}-{work_date}",
                        contributor_id=contributor,
                        work_date=work_date,
                        minutes=hours * 60,
                        billable=True,
                    )
                )
    lines.append(raw("clock.ticked", event_id="tick-week-5", occurred_at=f"{WEEK_5}T09:00:00Z"))
    return sorted(lines, key=lambda line: orjson.loads(line)["occurred_at"])


def publish(settings: Settings, lines: list[bytes]) -> None:
    result = asyncio.run(publish_lines(settings, iter(enumerate(lines, start=1))))
    asyncio.run(wait_until_processed(settings, result, timeout=120))


def topic_messages(settings: Settings) -> list[dict[str, Any]]:
    """Every message on the alerts topic so far (checking key == alert_id), in event time."""

    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(
            settings.topic_alerts,
            bootstrap_servers=settings.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            await consumer._client.force_metadata_update()
            partitions = consumer.assignment() or set()
            while not partitions:
                await asyncio.sleep(0.1)
                partitions = consumer.assignment()
            ends = await consumer.end_offsets(list(partitions))
            found = []

            async def behind() -> bool:
                return any([await consumer.position(tp) < end for tp, end in ends.items()])

            while await behind():
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        value = orjson.loads(record.value)
                        assert record.key == value["alert_id"].encode()
                        found.append(value)
            return sorted(found, key=lambda a: (a["updated_at"], a["alert_id"], a["status"]))
        finally:
            await consumer.stop()

    return asyncio.run(read())


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def routing_file(path: Path, ops: HttpReceiver, ana: HttpReceiver) -> Path:
    path.write_text(
        f"""
[channels.ops-hook]
kind = "webhook"
url = "{ops.url}/ops"
format = "json"

[channels.ana-hook]
kind = "webhook"
url = "{ana.url}/ana"
format = "json"

[ops]
channels = ["ops-hook"]

[contributors.ana-q7]
channels = ["ana-hook"]
""",
        encoding="utf-8",
    )
    return path


def assert_names_no_contributor(documents: list[Any], where: str) -> None:
    text = json.dumps(documents, default=str)
    for contributor in CONTRIBUTORS:
        assert contributor not in text, f"{where} names {contributor}"


def test_alerts_fire_resolve_and_reach_only_their_audience(
    start_worker: WorkerFactory, tmp_path: Path
) -> None:
    with http_receiver() as ops_hook, http_receiver() as ana_hook:
        routing = routing_file(tmp_path / "routing.toml", ops_hook, ana_hook)
        settings = start_worker(routing_file=routing)
        publish(settings, agency())

        fired = topic_messages(settings)
        # Evaluated once per event-time day: each change on the day its threshold was
        # crossed, though the worker folded the four weeks in a few batches.
        fields = ("pattern", "audience", "subject_id", "status", "severity")
        assert [(*(a[k] for k in fields), a["updated_at"][:10]) for a in fired] == [
            # 28 of 100 hours after two days: 25 points ahead of the elapsed share.
            ("budget_burn", "ops", "p1", "firing", "warning", "2026-03-03"),
            # The team logged 70 of 120 available hours in its first complete week.
            ("capacity_variance", "ops", "design", "firing", "warning", "2026-03-09"),
            # 112 hours, past the planned 100.
            ("budget_burn", "ops", "p1", "firing", "critical", "2026-03-11"),
            # ana: 40 of 160 available hours over her first 4 complete weeks.
            ("utilization_drift", "contributor", "ana-q7", "firing", "critical", "2026-03-30"),
        ]
        by_subject = {(a["pattern"], a["subject_id"]): a for a in fired}
        drift = by_subject[("utilization_drift", "ana-q7")]
        assert (drift["period_start"], drift["period_end"]) == ("2026-03-02", "2026-03-29")
        assert drift["observed"] == pytest.approx(0.25)
        assert drift["evidence"]["available_hours"] == pytest.approx(160)
        burn = by_subject[("budget_burn", "p1")]
        assert burn["observed"] == pytest.approx(1.12)
        assert burn["alert_id"] == fired[0]["alert_id"], "a severity change keeps the id"
        assert burn["first_fired_at"].startswith("2026-03-03")

        table = query_rows(settings, "SELECT * FROM alerts FINAL ORDER BY alert_id")
        assert {r["alert_id"] for r in table} == {a["alert_id"] for a in fired}
        for row in table:
            message = by_subject[(row["pattern"], row["subject_id"])]
            assert orjson.loads(row["evidence"]) == message["evidence"]
            assert row["summary"] == message["summary"]

        # Replaying every event changes nothing: no message, same table.
        publish(settings, agency())
        assert topic_messages(settings) == fired
        assert query_rows(
            settings, "SELECT * EXCEPT version FROM alerts FINAL ORDER BY alert_id"
        ) == [{k: v for k, v in r.items() if k != "version"} for r in table]

        # A re-plan to 1,000 hours resolves budget_burn; a decision names it.
        publish(
            settings,
            [
                raw(
                    "project.planned",
                    event_id="plan-2",
                    occurred_at=f"{WEEK_5}T10:00:00Z",
                    planned_hours=1000,
                    start_date="2026-03-02",
                    end_date="2026-04-30",
                    team_id="design",
                ),
                raw(
                    "decision.recorded",
                    event_id="decision-1",
                    occurred_at=f"{WEEK_5}T11:00:00Z",
                    decision_id="d-rescope",
                    kind="rescope",
                    alert_ids=[burn["alert_id"]],
                    note="Client agreed to a larger scope.",
                    decided_by="ops lead",
                ),
            ],
        )
        after = topic_messages(settings)
        [resolved] = [a for a in after[len(fired) :] if a["pattern"] == "budget_burn"]
        assert resolved["alert_id"] == burn["alert_id"]
        assert resolved["status"] == "resolved"
        assert resolved["resolved_at"].startswith(WEEK_5)
        [linked] = query_rows(settings, "SELECT * FROM ops_alert_decisions")
        assert (linked["alert_id"], linked["decision_id"]) == (burn["alert_id"], "d-rescope")
        assert linked["status"] == "resolved"

        # Contributor first: every ops-bound message and row.
        ops_messages = [a for a in after if a["audience"] == "ops"]
        assert ops_messages
        assert_names_no_contributor(ops_messages, "the ops messages on the alerts topic")
        assert_names_no_contributor(query_rows(settings, "SELECT * FROM ops_alerts"), "ops_alerts")
        assert_names_no_contributor(
            query_rows(settings, "SELECT * FROM ops_alert_decisions"), "ops_alert_decisions"
        )
        assert not [
            r for r in query_rows(settings, "SELECT * FROM ops_alerts") if r["audience"] != "ops"
        ]

        # Delivery: ops get every ops change and nothing else; ana gets only her own.
        expected_ops = {(a["alert_id"], a["status"]) for a in ops_messages}
        wait_for(
            lambda: {(b["alert_id"], b["status"]) for b in ops_hook.bodies()} == expected_ops,
            "the ops webhook",
        )
        assert_names_no_contributor(ops_hook.bodies(), "the ops webhook")
        wait_for(lambda: len(ana_hook.bodies()) >= 1, "ana's webhook")
        assert [(b["pattern"], b["subject_id"]) for b in ana_hook.bodies()] == [
            ("utilization_drift", "ana-q7")
        ]
