"""`worksignals demo`: a simulated agency through the whole stack, on the embedded defaults.

Simulates 14 weeks of an agency with several patterns injected (and a few malformed
lines for the dead-letter path), starts the broker and the worker, publishes and waits,
then prints the firing ops alerts, how many contributor alerts went to their
contributors, the rejects, and writes the weekly review for ops and one contributor's own.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from streams import cli
from streams.review.commands import cmd_review
from streams.sample import MALFORMED
from streams.settings import Settings
from streams.simulator import simulate

DEMO_ORG = "acme"
DEMO_PATTERNS = (
    "utilization_drift",
    "unbilled_cross_team",
    "workload_imbalance",
    "budget_burn",
    "margin_erosion",
    "blocked_work",
    "handoff_slippage",
    "decision_gap",
)
"""Injected into the demo's agency; decision_gap fires because its ops lead has not yet
recorded a decision that names an alert (try `worksignals decide`)."""


def run_demo(settings: Settings) -> int:
    """The demo; returns the exit code."""
    simulation = simulate(24, 8, 14, seed=7, inject=DEMO_PATTERNS, org_id=DEMO_ORG)
    events = settings.state_dir / "demo-events.jsonl"
    events.parent.mkdir(parents=True, exist_ok=True)
    lines = [*simulation.lines(), *MALFORMED]
    events.write_bytes(b"".join(line + b"\n" for line in lines))
    people = sum(len(members) for members in simulation.teams.values())
    cli.console.print(
        f"simulated {len(simulation.events):,} events of a {people}-person agency over "
        f"{simulation.weeks} weeks (patterns injected: "
        f"{', '.join(DEMO_PATTERNS)}), plus {len(MALFORMED)} malformed lines: {events}"
    )
    cli.cmd_up(settings, argparse.Namespace())
    cli.cmd_publish(settings, argparse.Namespace(file=str(events), wait=True, timeout=600.0))
    _print_rejects(settings)
    firing = _print_alerts(settings)
    reviews = settings.state_dir / "reviews"
    review = argparse.Namespace(org=DEMO_ORG, week=None, out=reviews, contributor=None)
    code = cmd_review(settings, review)
    drifting = simulation.injected["utilization_drift"]
    code = code or cmd_review(
        settings, argparse.Namespace(org=DEMO_ORG, week=None, out=reviews, contributor=drifting)
    )
    _print_next_steps(reviews, firing)
    return code


def _print_rejects(settings: Settings) -> None:
    rejected = cli._read(
        settings,
        "SELECT reason, count() AS messages FROM rejected_events FINAL "
        "GROUP BY reason ORDER BY reason",
    )
    total = sum(int(r[1]) for r in rejected.rows)
    cli.console.print(
        f"rejected messages in rejected_events and {settings.topic_dlq}: {total} "
        f"({', '.join(f'{r[0]} {r[1]}' for r in rejected.rows)})"
    )


def _print_alerts(settings: Settings) -> list[str]:
    """Print the firing ops alerts (contributor alerts are counted, not shown: they are
    their contributor's own); return the firing ops alert ids."""
    ops = cli._read(
        settings,
        "SELECT alert_id, pattern, severity, subject_type, subject_id, summary "
        "FROM ops_alerts WHERE status = 'firing' ORDER BY pattern, subject_id",
    )
    table = Table("pattern", "severity", "subject", "summary", title="firing ops alerts")
    for _id, pattern, severity, subject_type, subject_id, summary in ops.rows:
        table.add_row(pattern, severity, f"{subject_type} {subject_id}", summary)
    cli.console.print(table)
    own = cli._read(
        settings,
        "SELECT count() FROM alerts FINAL WHERE audience = 'contributor' AND status = 'firing'",
    )
    cli.console.print(
        f"{own.rows[0][0]} contributor alerts are firing: each went to its contributor only "
        "(worksignals alerts --audience contributor lists them on this machine)"
    )
    return [str(row[0]) for row in ops.rows]


def _print_next_steps(reviews: Path, firing: list[str]) -> None:
    example = firing[0] if firing else "ALERT_ID"
    cli.console.print(
        f"\nweekly pattern review for ops and one contributor's own review: {reviews}\n"
        "The stack keeps running. Try:\n"
        "  .venv/bin/worksignals alerts --audience ops\n"
        f"  .venv/bin/worksignals decide --kind rescope --alert {example} "
        '--note "Agreed with the client" --by "ops lead" --wait\n'
        "  .venv/bin/worksignals review --out .worksignals/reviews\n"
        "  .venv/bin/worksignals status\n"
        "  .venv/bin/worksignals down",
        highlight=False,
        soft_wrap=True,
    )
