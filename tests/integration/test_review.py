"""The weekly review and the decision ledger on a real worker: the 14-week agency
(tests/scenarios/agency14.py) without its grounded decision, so decision_gap fires; the ops
review shows every open ops pattern and names no contributor, a contributor's review holds
only theirs; `decide` names an alert, decision_gap resolves and the review lists it."""

from __future__ import annotations

import argparse
import asyncio
import html as markup
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.decide import cmd_decide
from streams.publish import publish_lines, wait_until_processed
from streams.review.commands import cmd_review
from streams.review.data import ReviewWeek
from streams.settings import Settings
from tests.integration.conftest import WorkerFactory, query_rows
from tests.scenarios.agency14 import CONTRIBUTORS, ORG, events

pytestmark = pytest.mark.integration


def without_grounded_decisions() -> list[bytes]:
    """The agency's events, less its decisions that name alerts."""
    return [
        orjson.dumps(e)
        for e in events()
        if not (e["type"] == "decision.recorded" and e.get("alert_ids"))
    ]


def review(settings: Settings, out: Path, **options: Any) -> tuple[str, str]:
    """Run `worksignals review`; return the HTML's text (unescaped) and the Markdown with
    its SVGs."""
    args = argparse.Namespace(
        org=options.get("org"),
        week=options.get("week"),
        out=out,
        contributor=options.get("contributor"),
    )
    assert cmd_review(settings, args) == 0
    [html] = out.glob("*.html")
    [markdown] = out.glob("*.md")
    svgs = re.findall(r"\]\(([^)]+\.svg)\)", markdown.read_text())
    assert svgs and all((out / name).is_file() for name in svgs)
    ET.fromstring(html.read_text().removeprefix("<!DOCTYPE html>\n"))
    return markup.unescape(html.read_text()), markdown.read_text() + "".join(
        (out / name).read_text() for name in svgs
    )


def test_review_and_decide_on_a_running_worker(
    start_worker: WorkerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = start_worker()
    result = asyncio.run(
        publish_lines(settings, iter(enumerate(without_grounded_decisions(), start=1)))
    )
    asyncio.run(wait_until_processed(settings, result, timeout=300))

    firing = query_rows(
        settings,
        "SELECT alert_id, pattern, subject_id FROM ops_alerts WHERE status = 'firing' "
        "ORDER BY pattern, subject_id",
    )
    assert {(a["pattern"], a["subject_id"]) for a in firing} >= {
        ("budget_burn", "comet"),
        ("billable_mix_shift", "build"),
        ("decision_gap", ORG),
    }

    # The ops review of the last complete week before 04-13: ISO 2026-W15, 04-06..04-12
    # (the scenario's own W14).
    html, markdown = review(settings, tmp_path / "ops")
    assert (tmp_path / "ops" / f"review-{ORG}-2026-W15.html").exists()
    for alert in firing:
        assert alert["alert_id"] in html and alert["pattern"] in markdown
    assert "decision_gap is firing" in html
    for text in (html, markdown):
        for contributor in CONTRIBUTORS:
            assert contributor not in text, contributor
    for team in ("studio", "build"):
        assert f"Team {team}: billable utilization against target" in html
    assert "Team data" not in html, "a team of two is never shown to ops"

    # An earlier week shows the patterns that fired in it, and names nobody either.
    earlier_html, earlier_markdown = review(
        settings, tmp_path / "w12", week=ReviewWeek.parse("2026-W12")
    )
    assert "workload_imbalance (1)" in earlier_html and "new this week" in earlier_html
    assert "blocked_work (1)" in earlier_html
    resolved = earlier_markdown.split("### Resolved in the week")[1].split("##")[0]
    assert "| unbilled_cross_team | team studio |" in resolved
    for contributor in CONTRIBUTORS:
        assert contributor not in earlier_html + earlier_markdown

    # A contributor's own review: theirs, nobody else's.
    own_html, own_markdown = review(settings, tmp_path / "fay", contributor="fay.k14")
    assert (tmp_path / "fay" / f"review-{ORG}-fay.k14-2026-W15.html").exists()
    assert "billable_mix_shift (1)" in own_html and "utilization_drift (1)" in own_html
    for other in CONTRIBUTORS:
        if other != "fay.k14":
            assert other not in own_html + own_markdown, other

    # A decision naming comet's budget alert (and one not known yet) closes the gap.
    comet = next(a["alert_id"] for a in firing if a["subject_id"] == "comet")
    capsys.readouterr()
    args = argparse.Namespace(
        kind="rescope",
        alerts=[comet, "not-fired-yet"],
        note="Comet's second phase moves to Q3.",
        decided_by="ops lead",
        org=None,
        at=None,
        wait=True,
        timeout=120.0,
    )
    assert cmd_decide(settings, args) == 0
    out, err = capsys.readouterr()
    decision_id = out.strip().splitlines()[-1]
    assert decision_id.startswith("d-")
    assert "not-fired-yet" in err and "warning" in err
    [stored] = query_rows(
        settings, "SELECT * FROM decisions FINAL WHERE kind = 'rescope' AND note != ''"
    )
    assert stored["decision_id"] == decision_id
    assert sorted(stored["alert_ids"]) == sorted([comet, "not-fired-yet"])
    assert stored["decided_at"].startswith("2026-04-13T09:00:00"), "the org's event-time now"
    [gap] = query_rows(settings, "SELECT status FROM ops_alerts WHERE pattern = 'decision_gap'")
    assert gap["status"] == "resolved"

    after_html, after_markdown = review(settings, tmp_path / "after")
    assert "Comet's second phase moves to Q3." in after_html
    assert "budget_burn on project comet (firing); 1 other alert" in after_html
    assert "decision_gap is firing" not in after_html
    assert "Decisions naming an alert so far: 1 of 3." in after_html
    for contributor in CONTRIBUTORS:
        assert contributor not in after_html + after_markdown
