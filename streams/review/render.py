"""The review as a document: one list of blocks, written as self-contained HTML (charts as
inline SVG, styles inline, no external asset) and as Markdown (charts as SVG files beside it).

The ops document is built from an `OpsReview` only, which holds no contributor id and no
individual's figures; the contributor document from that contributor's `ContributorReview`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streams.review.charts import inline_svg, render_svg
from streams.review.data import (
    AlertView,
    Chart,
    ContributorReview,
    OpsReview,
    slug,
    week_label,
)

# --- the document model ------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A section title; level 1 is the report's title."""

    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text; `css` is a class for HTML (e.g. a severity badge)."""

    text: str
    css: str = ""


@dataclass(frozen=True)
class Items:
    """A bulleted list of plain text."""

    items: list[str]


@dataclass(frozen=True)
class TableBlock:
    """A table of plain text cells."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Figure:
    """A chart, inline in HTML and an SVG file in Markdown."""

    chart: Chart


Block = Heading | Para | Items | TableBlock | Figure


@dataclass(frozen=True)
class ReportFiles:
    """What a review wrote."""

    html: Path
    markdown: Path
    svgs: list[Path]


# --- formatting --------------------------------------------------------------------------


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _day(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.astimezone(dt.UTC).date().isoformat()


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _measure(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "share":
        return f"{value:.0%}"
    if unit == "hours":
        return f"{value:,.1f} h"
    if unit == "days":
        return f"{value:,.1f} days"
    return f"{value:,.2f} {unit}".strip()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _alert_blocks(alert: AlertView, new: bool, level: int) -> list[Block]:
    flags = [alert.severity, alert.status] + (["new this week"] if new else [])
    blocks: list[Block] = [
        Heading(level, f"{alert.subject} ({', '.join(flags)})", anchor=alert.alert_id),
        Para(alert.summary, css=f"summary {alert.severity}"),
        Para(
            f"Observed {_measure(alert.observed, alert.unit)} against a threshold of "
            f"{_measure(alert.threshold, alert.unit)}"
            + (
                f" (baseline {_measure(alert.baseline, alert.unit)})"
                if alert.baseline is not None
                else ""
            )
            + f", over {alert.period_start} to {alert.period_end}. "
            f"Suggested action: {alert.suggested_action}. "
            f"First fired {_day(alert.first_fired_at)}"
            + (f", resolved {_day(alert.resolved_at)}" if alert.resolved_at else "")
            + f". Alert id {alert.alert_id}.",
            css="meta",
        ),
    ]
    if alert.evidence:
        blocks.append(
            TableBlock(
                ["evidence", "value"],
                [[k.replace("_", " "), _number(v)] for k, v in sorted(alert.evidence.items())],
            )
        )
    return blocks


def _grouped_alerts(alerts: Sequence[AlertView], is_new: Any, level: int) -> list[Block]:
    blocks: list[Block] = []
    patterns = sorted({a.pattern for a in alerts})
    for pattern in patterns:
        of_pattern = [a for a in alerts if a.pattern == pattern]
        blocks.append(Heading(level, f"{pattern} ({len(of_pattern)})"))
        for alert in of_pattern:
            blocks += _alert_blocks(alert, is_new(alert), level + 1)
    return blocks


def _alerts_table(alerts: Sequence[AlertView], empty: str, last: str) -> Block:
    """A table of alerts with when they fired and resolved; `last` names the final column
    (`summary` or `status`)."""
    if not alerts:
        return Para(empty)
    return TableBlock(
        ["pattern", "subject", "severity", "first fired", "resolved", last],
        [
            [
                a.pattern,
                a.subject,
                a.severity,
                _day(a.first_fired_at),
                _day(a.resolved_at),
                a.summary if last == "summary" else a.status,
            ]
            for a in alerts
        ],
    )


def _resolved_table(alerts: Sequence[AlertView]) -> Block:
    return _alerts_table(alerts, "No alert resolved in the week.", "summary")


def _history_table(alerts: Sequence[AlertView]) -> Block:
    return _alerts_table(alerts, "No ops alert fired in the last 8 weeks.", "status")


# --- the ops document --------------------------------------------------------------------


def ops_document(review: OpsReview) -> list[Block]:
    """The ops review's blocks: header and clock, alerts, trends, decisions."""
    week = review.week
    clock = review.clock
    new = [a for a in review.alerts if review.new_in_week(a)]
    open_now = [a for a in review.alerts if a.status == "firing"]
    blocks: list[Block] = [
        Heading(1, f"Weekly pattern review: {review.org_id}, {week.label}"),
        Para(
            f"Org {review.org_id}. Week {week.label} ({week.start} to {week.end}). "
            f"Data as of {_when(review.as_of)} (the org's latest event). "
            f"Generated at {_when(review.generated_at)}."
        ),
        Para(
            "Contributor first: this report shows teams, projects, routes and the org, never "
            "an individual. Team figures of fewer than 3 contributors are not shown.",
            css="note",
        ),
        Heading(2, "The 90-day clock", anchor="clock"),
        TableBlock(
            [
                "days since the first event",
                "decisions naming alerts",
                "decisions recorded",
                "decision_gap",
            ],
            [
                [
                    f"{clock.days_since_first_event:.0f} "
                    f"(first event {_day(clock.first_event_at)})",
                    str(clock.decisions_grounded),
                    str(clock.decisions_recorded),
                    "firing" if clock.gap_firing else "not firing",
                ]
            ],
        ),
        Para(_clock_sentence(review), css="critical" if clock.gap_firing else ""),
        Heading(2, "Alerts", anchor="alerts"),
        Para(
            f"{_plural(len(open_now), 'ops alert')} open now, {len(new)} first fired in the "
            f"week, {len(review.resolved)} resolved in the week. Open alerts and those new "
            "this week, by pattern:"
        ),
    ]
    if review.alerts:
        blocks += _grouped_alerts(review.alerts, review.new_in_week, 3)
    else:
        blocks.append(Para("No ops alert is open or fired in the week."))
    blocks += [Heading(3, "Resolved in the week"), _resolved_table(review.resolved)]
    blocks += [Heading(3, "Alerts over the last 8 weeks"), _history_table(review.history)]

    blocks += [
        Heading(2, "Trends over the last 8 weeks", anchor="trends"),
        Heading(3, "Team utilization against target"),
        Para(
            "Billable over available hours of each team, total over total, against the "
            "capacity-weighted target of its members. Only teams of 3 or more contributors "
            "are shown, and only their weeks with 3 or more."
        ),
    ]
    blocks += [Figure(c) for c in review.team_charts] or [
        Para("No team of 3 or more contributors in these weeks.")
    ]
    blocks += [
        Heading(3, "Project burn-down against plan"),
        Para(
            "Hours consumed on each planned project to the end of each week (every hour, "
            "billable or not) against the current plan's hours."
        ),
    ]
    blocks += [Figure(c) for c in review.burn_charts] or [
        Para("No planned project active in these weeks.")
    ]
    blocks += [
        Heading(3, "Blocked hours"),
        Para(
            "Hours tasks were blocked in each week, summed over tasks (a block's hours fall "
            "in the weeks they span)."
        ),
        Figure(review.blocked_chart),
    ]
    if review.open_blocks:
        blocks.append(
            TableBlock(
                ["project", "open blocks", "hours blocked so far"],
                [[p, str(n), f"{h:,.1f}"] for p, n, h in review.open_blocks],
            )
        )
    else:
        blocks.append(Para("No task is blocked now."))
    blocks += [
        Heading(3, "Handoff lateness per route"),
        Para(
            "Per route and week due: the share of handoffs that fell due and were completed "
            "late or are still open past due, and their hours late."
        ),
    ]
    blocks += [Figure(c) for c in review.handoff_charts] or [
        Para("No handoff fell due in these weeks.")
    ]

    blocks += [Heading(2, "Decisions", anchor="decisions")]
    if review.decisions:
        blocks.append(
            TableBlock(
                ["date", "kind", "by", "note", "alerts answered"],
                [
                    [
                        _day(d.decided_at),
                        d.kind,
                        d.decided_by,
                        d.note,
                        "; ".join(
                            f"{a.pattern} on {a.subject_type} {a.subject_id} ({a.status})"
                            for a in d.answered
                        )
                        + (
                            f"{'; ' if d.answered else ''}{_plural(d.other_alerts, 'other alert')}"
                            if d.other_alerts
                            else ""
                        )
                        or "none named",
                    ]
                    for d in review.decisions
                ],
            )
        )
    else:
        blocks.append(Para("No decision recorded yet."))
    blocks.append(Heading(3, "Open ops alerts still unanswered"))
    if review.unanswered:
        blocks.append(
            TableBlock(
                ["pattern", "subject", "severity", "first fired", "alert id"],
                [
                    [a.pattern, a.subject, a.severity, _day(a.first_fired_at), a.alert_id]
                    for a in review.unanswered
                ],
            )
        )
        blocks.append(
            Para(
                "Record a decision on one with: worksignals decide --kind KIND "
                "--alert ALERT_ID --note TEXT --by NAME"
            )
        )
    else:
        blocks.append(Para("Every open ops alert is named by a decision."))
    return blocks


def _clock_sentence(review: OpsReview) -> str:
    clock = review.clock
    days = clock.days_since_first_event
    if clock.gap_firing:
        return (
            f"decision_gap is firing: {days:.0f} days after the first event, no recorded "
            "decision names an alert. Record the decisions taken on the open alerts."
        )
    if clock.decisions_grounded:
        return (
            f"Decisions naming an alert so far: {clock.decisions_grounded} of "
            f"{clock.decisions_recorded}. The loop from signal to decision is closed."
        )
    left = clock.gap_days - days
    if left > 0:
        return (
            f"No decision names an alert yet; decision_gap fires in {left:.0f} days "
            f"(at {clock.gap_days} days) unless one does."
        )
    return "No decision names an alert yet."


# --- the contributor document ------------------------------------------------------------


def contributor_document(review: ContributorReview) -> list[Block]:
    """The contributor's own review: their alerts and their last 8 weeks."""
    week = review.week
    blocks: list[Block] = [
        Heading(1, f"Your weekly review: {review.contributor_id}, {week.label}"),
        Para(
            f"Org {review.org_id}. Week {week.label} ({week.start} to {week.end}). "
            f"Data as of {_when(review.as_of)}. Generated at {_when(review.generated_at)}."
        ),
        Para(
            "This report is yours: it holds your own figures and alerts only. Ops leaders "
            "see team, project and route aggregates, never this page.",
            css="note",
        ),
        Heading(2, "Your alerts", anchor="alerts"),
    ]
    if review.alerts:
        blocks += _grouped_alerts(review.alerts, review.new_in_week, 3)
    else:
        blocks.append(Para("None of your alerts is open or fired in the week."))
    blocks += [Heading(3, "Resolved in the week"), _resolved_table(review.resolved)]
    blocks += [
        Heading(2, "Your last 8 weeks", anchor="trends"),
        *[Figure(c) for c in review.charts],
        TableBlock(
            [
                "week",
                "logged h",
                "billable h",
                "available h",
                "utilization",
                "target",
                "billable share",
                "unbilled cross-team h",
            ],
            [
                [
                    week_label(w.week_start),
                    f"{w.logged_hours:,.1f}",
                    f"{w.billable_hours:,.1f}",
                    f"{w.available_hours:,.1f}",
                    _measure(w.utilization, "share"),
                    _measure(w.target_utilization, "share"),
                    _measure(w.billable_share, "share"),
                    f"{w.cross_team_unbilled_hours:,.1f}",
                ]
                for w in review.weeks
            ],
        ),
    ]
    return blocks


# --- writers -----------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 60rem; color: #1d2733; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #1f5f99; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ccd; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d5d9e0; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f1f4f8; }
p.note { color: #55606e; font-style: italic; }
p.meta { color: #55606e; font-size: .9rem; }
p.summary { font-weight: 600; }
p.critical, p.summary.critical { color: #a4161a; }
p.summary.warning { color: #9a5b00; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
"""


def to_html(blocks: Sequence[Block], title: str, svgs: dict[str, str]) -> str:
    """A self-contained, well-formed HTML page (it also parses as XML)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        f"<title>{e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            anchor = f' id="{e(block.anchor)}"' if block.anchor else ""
            parts.append(f"<h{block.level}{anchor}>{e(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            css = f' class="{e(block.css)}"' if block.css else ""
            parts.append(f"<p{css}>{e(block.text)}</p>")
        elif isinstance(block, Items):
            parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, TableBlock):
            head = "".join(f"<th>{e(h)}</th>" for h in block.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        else:
            parts.append(
                f'<figure id="chart-{e(block.chart.key)}">'
                f"{inline_svg(svgs[block.chart.key])}"
                f"<figcaption>{e(block.chart.title)}</figcaption></figure>"
            )
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _md_cell(text: str) -> str:
    return _md_text(text).replace("|", "\\|").replace("\n", " ")


def _md_text(text: str) -> str:
    # Plain text: no HTML tags or emphasis from free text (notes, names); an
    # underscore inside a word (budget_burn) is no emphasis in CommonMark.
    return text.replace("<", "&lt;").replace("*", "\\*")


def to_markdown(blocks: Sequence[Block], svg_names: dict[str, str]) -> str:
    """Markdown with each chart as an image link to its SVG file (relative name)."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * block.level} {_md_text(block.text)}", ""]
        elif isinstance(block, Para):
            lines += [_md_text(block.text), ""]
        elif isinstance(block, Items):
            lines += [f"- {_md_text(i)}" for i in block.items] + [""]
        elif isinstance(block, TableBlock):
            lines.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
            lines.append("|" + "---|" * len(block.headers))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        else:
            lines += [f"![{_md_cell(block.chart.title)}]({svg_names[block.chart.key]})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _write(blocks: list[Block], title: str, out_dir: Path, stem: str) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = [b.chart for b in blocks if isinstance(b, Figure)]
    svgs = {c.key: render_svg(c) for c in charts}
    names = {c.key: f"{stem}-{c.key}.svg" for c in charts}
    written = []
    for key, svg in svgs.items():
        path = out_dir / names[key]
        path.write_text(svg, encoding="utf-8")
        written.append(path)
    html_path = out_dir / f"{stem}.html"
    html_path.write_text(to_html(blocks, title, svgs), encoding="utf-8")
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(to_markdown(blocks, names), encoding="utf-8")
    return ReportFiles(html_path, md_path, written)


def ops_stem(org_id: str, week_label_text: str) -> str:
    """`review-ORG-YYYY-Www`."""
    return f"review-{slug(org_id)}-{week_label_text}"


def contributor_stem(org_id: str, contributor_id: str, week_label_text: str) -> str:
    """`review-ORG-ID-YYYY-Www` (the id made file-name safe)."""
    return f"review-{slug(org_id)}-{slug(contributor_id)}-{week_label_text}"


def write_ops_review(review: OpsReview, out_dir: Path) -> ReportFiles:
    """Write the ops review's HTML, Markdown and chart SVGs into `out_dir`."""
    return _write(
        ops_document(review),
        f"Weekly pattern review: {review.org_id}, {review.week.label}",
        out_dir,
        ops_stem(review.org_id, review.week.label),
    )


def write_contributor_review(review: ContributorReview, out_dir: Path) -> ReportFiles:
    """Write the contributor's own review's HTML, Markdown and chart SVGs into `out_dir`."""
    return _write(
        contributor_document(review),
        f"Your weekly review: {review.contributor_id}, {review.week.label}",
        out_dir,
        contributor_stem(review.org_id, review.contributor_id, review.week.label),
    )
