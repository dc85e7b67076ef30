"""The weekly review of a simulated 14-week agency with every pattern injected, on a real
worker: the ops review shows each injected ops pattern and none of the contributors; a
contributor's own review holds only their data."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from streams.publish import publish_lines, wait_until_processed
from streams.review.data import ReviewWeek
from streams.simulator import simulate
from tests.integration.conftest import WorkerFactory
from tests.integration.test_review import review

pytestmark = pytest.mark.integration

OPS_PATTERNS = {
    "billable_mix_shift",
    "unbilled_cross_team",
    "capacity_variance",
    "workload_imbalance",
    "budget_burn",
    "margin_erosion",
    "blocked_work",
    "handoff_slippage",
    "decision_gap",
}
"""Every pattern with an ops side (utilization_drift is the contributor's only)."""


def test_the_review_of_a_simulated_agency_shows_every_injected_pattern_and_nobody(
    start_worker: WorkerFactory, tmp_path: Path
) -> None:
    simulation = simulate(20, 8, 14, seed=3, inject=["all"], org_id="acme")
    settings = start_worker()
    lines = list(simulation.lines())
    result = asyncio.run(publish_lines(settings, iter(enumerate(lines, start=1))))
    asyncio.run(wait_until_processed(settings, result, timeout=300))
    contributors = sorted({c for members in simulation.teams.values() for c in members})

    # The review of the week each injected ops pattern fired in lists it, and no review
    # names a contributor.
    fired = {e.pattern: e for e in simulation.expected if e.audience == "ops"}
    assert set(fired) == OPS_PATTERNS
    weeks = {ReviewWeek.containing(e.fires_by.date()) for e in fired.values()}
    seen: set[str] = set()
    for week in sorted(weeks, key=lambda w: w.start):
        html, markdown = review(settings, tmp_path / week.label, org="acme", week=week)
        alerts = markdown.split("## Alerts")[1].split("\n## ")[0]
        for pattern, expected in fired.items():
            if ReviewWeek.containing(expected.fires_by.date()) == week:
                assert pattern in alerts and expected.subject_id in alerts, (week, pattern)
                seen.add(pattern)
        for text in (html, markdown):
            for contributor in contributors:
                assert not re.search(rf"\b{re.escape(contributor)}\b", text), contributor
    assert seen == OPS_PATTERNS

    drifting = simulation.injected["utilization_drift"]
    own_html, own_markdown = review(settings, tmp_path / "own", org="acme", contributor=drifting)
    assert "utilization_drift" in own_html
    for other in contributors:
        if other != drifting:
            assert not re.search(rf"\b{re.escape(other)}\b", own_html + own_markdown), other
