"""The 14-week agency (tests/scenarios/agency14.py) through a real worker: the alerts topic
carries exactly the hand-derived changes, the `alerts` table holds each alert's last state,
and no ops-facing row names a contributor."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conftest import WorkerFactory
from tests.integration.conftest import query_rows as query
from tests.integration.test_alerts import publish, topic_messages
from tests.scenarios import summary
from tests.scenarios.agency14 import CONTRIBUTORS, EXPECTED, ORG, Change, lines

pytestmark = pytest.mark.integration


def last_states(changes: list[Change]) -> list[Change]:
    """Each alert's last change: a subject's firing after a resolution (or first) starts a
    new alert (episode); the table keeps one row per alert."""
    episodes: dict[tuple[str, ...], list[Change]] = {}
    for change in sorted(changes, key=lambda c: c[6]):
        subject = change[:4]
        found = episodes.setdefault(subject, [])
        if change[4] == "firing" and (not found or found[-1][4] == "resolved"):
            found.append(change)
        else:
            found[-1] = change
    return sorted(c for found in episodes.values() for c in found)


def row_summary(row: dict[str, Any]) -> Change:
    return (
        row["pattern"],
        row["audience"],
        row["subject_type"],
        row["subject_id"],
        row["status"],
        row["severity"],
        str(row["updated_at"])[:10],
    )


def test_agency14_alerts_end_to_end(start_worker: WorkerFactory) -> None:
    settings = start_worker()
    publish(settings, lines())

    messages = topic_messages(settings)
    assert {m["org_id"] for m in messages} == {ORG}
    got = sorted(summary(m) for m in messages)
    assert got == sorted(EXPECTED), (
        f"missing: {[c for c in sorted(EXPECTED) if c not in got]}\n"
        f"unexpected: {[c for c in got if c not in EXPECTED]}"
    )

    table = query(settings, "SELECT * FROM alerts FINAL WHERE org_id = 'agency14'")
    assert sorted(row_summary(r) for r in table) == last_states(EXPECTED)
    last = {m["alert_id"]: m for m in messages}  # in event time: the last change wins
    assert {r["alert_id"] for r in table} == set(last)
    for row in table:
        assert json.loads(row["evidence"]) == last[row["alert_id"]]["evidence"]

    ops_rows = query(settings, "SELECT * FROM ops_alerts")
    assert ops_rows and {r["audience"] for r in ops_rows} == {"ops"}
    assert len(ops_rows) == len([c for c in last_states(EXPECTED) if c[1] == "ops"])
    text = json.dumps(ops_rows, default=str)
    for contributor in CONTRIBUTORS:
        assert contributor not in text, f"ops_alerts names {contributor}"
    assert "data" not in {r["subject_id"] for r in ops_rows if r["subject_type"] == "team"}
