"""`worksignals review`: write the weekly pattern review (HTML and Markdown) of an org, or a
contributor's own review."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from rich.console import Console

from projections.patterns.policy import load_policy
from streams.reader import open_reader
from streams.review.data import (
    ReviewError,
    ReviewWeek,
    contributor_review,
    ops_review,
    resolve_org,
)
from streams.settings import Settings

console = Console()
errors = Console(stderr=True)


def _week(text: str) -> ReviewWeek:
    try:
        return ReviewWeek.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def add_review_parser(verbs: Any) -> None:
    """Register `review` on the CLI's subparsers (`verbs`), handler `cmd_review`."""
    p = verbs.add_parser(
        "review",
        help="write the weekly pattern review (HTML and Markdown) for ops, or a "
        "contributor's own review",
        description="Write the weekly pattern review of an org: open and new ops alerts, "
        "8 weeks of team, project, block and handoff trends, and the decisions recorded. "
        "With --contributor, that contributor's own review instead.",
    )
    p.add_argument("--org", help="the org (default: the only org with events)")
    p.add_argument(
        "--week",
        type=_week,
        help="ISO week YYYY-Www (default: the last complete week before the org's latest event)",
    )
    p.add_argument("--out", type=Path, default=Path("."), help="folder to write into (default: .)")
    p.add_argument("--contributor", metavar="ID", help="write this contributor's own review")
    p.set_defaults(handler=cmd_review)


def cmd_review(settings: Settings, args: argparse.Namespace) -> int:
    """Read the review's data (through the running worker or ClickHouse) and write it."""
    # Imported here: matplotlib would slow down every other command of the CLI.
    from streams.review.render import ReportFiles, write_contributor_review, write_ops_review

    generated_at = dt.datetime.now(dt.UTC)  # wall clock at the edge: when it was written
    reader = open_reader(settings)
    try:
        try:
            org_id = resolve_org(reader.query, args.org)
            files: ReportFiles
            if args.contributor:
                files = write_contributor_review(
                    contributor_review(
                        reader.query,
                        org_id,
                        args.contributor,
                        args.week,
                        generated_at=generated_at,
                    ),
                    args.out,
                )
            else:
                gap_days = load_policy(settings.policy_file).decision_gap.days
                files = write_ops_review(
                    ops_review(
                        reader.query,
                        org_id,
                        args.week,
                        generated_at=generated_at,
                        gap_days=gap_days,
                    ),
                    args.out,
                )
        except ReviewError as error:
            errors.print(f"[red]error:[/red] {error}")
            return 1
    finally:
        reader.close()
    console.print(f"wrote {files.html}", highlight=False, soft_wrap=True)
    console.print(
        f"wrote {files.markdown} and {len(files.svgs)} chart(s)", highlight=False, soft_wrap=True
    )
    return 0
