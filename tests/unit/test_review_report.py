"""The weekly review from a fixed agency folded in process into chDB, as the worker would:
sections, charts with one mark per value, Markdown beside its SVG files, contributor first."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import orjson
import pytest

from events import Accepted, Source, parse
from projections.patterns.policy import load_policy
from sinks.clickhouse import QueryResult, Warehouse
from sinks.rows import alert_row, event_rows
from sinks.snapshot import Snapshots
from streams.alerting import Alerting, AlertingFold
from streams.review.charts import render_svg
from streams.review.commands import add_review_parser, cmd_review
from streams.review.data import (
    Chart,
    ContributorReview,
    OpsReview,
    ReviewError,
    ReviewWeek,
    contributor_review,
    ops_review,
    resolve_org,
)
from streams.review.render import write_contributor_review, write_ops_review
from tests.factories import raw

ORG = "acme"
DESIGN = ("zed-c1", "yan-c2", "xia-c3")
"""A team of three: shown to ops as a team."""
SMALL = ("wil-c4", "val-c5")
"""A team of two: never shown to ops as a team."""
CONTRIBUTORS = DESIGN + SMALL
MONDAYS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=n) for n in range(13)]
"""2026-W02 to 2026-W14."""
REVIEW_WEEK = ReviewWeek(dt.date(2026, 3, 30))
GENERATED = dt.datetime(2026, 4, 7, 12, 0, tzinfo=dt.UTC)
SVG = "{http://www.w3.org/2000/svg}"


def agency() -> list[bytes]:
    """13 weeks of a small agency; its first event on 2026-01-02, its last on 2026-04-07.

    design (zed, yan, xia) logs 6 of 8 hours a day on p-web, planned at 400 hours (budget
    burn, capacity variance); zed bills only 2 of them (his own utilization drift). The small
    team (wil, val) logs unbilled hours for design on p-int. A task of p-web is blocked for
    a week, another is still blocked; three handoffs design->small come in late.
    """
    lines = [
        raw(
            "project.planned",
            event_id="plan-web",
            occurred_at="2026-01-02T09:00:00Z",
            project_id="p-web",
            name="Web relaunch",
            team_id="design",
            planned_hours=400,
            start_date="2026-01-05",
            end_date="2026-05-29",
            bill_rate=120,
        ),
        raw(
            "project.planned",
            event_id="plan-int",
            occurred_at="2026-01-02T09:00:00Z",
            project_id="p-int",
            billing="non_billable",
            planned_hours=2000,
            start_date="2026-01-05",
            end_date="2026-12-31",
        ),
    ]
    for contributor in CONTRIBUTORS:
        lines.append(
            raw(
                "contributor.profiled",
                event_id=f"profile-{contributor}",
                occurred_at="2026-01-02T10:00:00Z",
                contributor_id=contributor,
                team_id="design" if contributor in DESIGN else "small",
                cost_rate=50,
                effective_from="2026-01-05",
            )
        )
    for monday in MONDAYS:
        for day in range(5):
            work_date = monday + dt.timedelta(days=day)
            for contributor in CONTRIBUTORS:
                stamp = f"{work_date}T18:00:00Z"
                if contributor in DESIGN:
                    billable = 2 if contributor == "zed-c1" else 6
                    parts: list[tuple[str, int, bool, str | None]] = [
                        ("p-web", billable, True, None),
                        ("p-web", 6 - billable, False, None),
                    ]
                else:
                    parts = [("p-int", 3, False, "design"), ("p-int", 5, False, None)]
                for n, (project, hours, is_billable, for_team) in enumerate(parts):
                    if hours == 0:
                        continue
                    extra: dict[str, str] = {"for_team_id": for_team} if for_team else {}
                    lines.append(
                        raw(
                            "time.logged",
                            event_id=f"t-{contributor}-{work_date}-{n}",
                            occurred_at=stamp,
                            entry_id=f"e-{contributor}-{work_date}-{n}",
                            contributor_id=contributor,
                            project_id=project,
                            work_date=work_date.isoformat(),
                            minutes=hours * 60,
                            billable=is_billable,
                            **extra,
                        )
                    )
    lines += [
        raw(
            "task.blocked",
            event_id="b1",
            occurred_at="2026-03-16T09:00:00Z",
            task_id="t-1",
            project_id="p-web",
            reason="waiting on zed-c1's review",
        ),
        raw(
            "task.unblocked",
            event_id="u1",
            occurred_at="2026-03-23T09:00:00Z",
            task_id="t-1",
            project_id="p-web",
        ),
        raw(
            "task.blocked",
            event_id="b2",
            occurred_at="2026-03-31T09:00:00Z",
            task_id="t-2",
            project_id="p-web",
            blocked_by_team_id="small",
        ),
    ]
    for h, date in enumerate(("2026-03-24", "2026-03-25", "2026-03-26")):
        lines += [
            raw(
                "handoff.requested",
                event_id=f"hr{h}",
                occurred_at=f"{date}T08:00:00Z",
                handoff_id=f"h{h}",
                project_id="p-web",
                from_team_id="design",
                to_team_id="small",
                due_at=f"{date}T12:00:00Z",
            ),
            raw(
                "handoff.completed",
                event_id=f"hc{h}",
                occurred_at=f"{date}T20:00:00Z",
                handoff_id=f"h{h}",
            ),
        ]
    lines.append(raw("clock.ticked", event_id="tick", occurred_at="2026-04-07T09:00:00Z"))
    return sorted(lines, key=lambda line: orjson.loads(line)["occurred_at"])


class Agency:
    """The agency folded like the worker folds it, its rows in a chDB warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self.store: dict[str, Any] = {}
        self.alerting = Alerting(load_policy(None))
        self.snapshots = Snapshots(self.store, dt.timedelta(hours=24))
        self.offset = 0
        self.version = 0

    def add(self, lines: list[bytes]) -> None:
        """Fold the events (in order) and write every row they change, alerts included."""
        folding = AlertingFold(self.alerting, self.store)
        accepted = []
        for line in lines:
            self.offset += 1
            parsed = parse(line, Source("events", 0, self.offset))
            assert isinstance(parsed, Accepted), parsed
            accepted.append(parsed)
            folding.apply(parsed.event)
        alerts = folding.finish()
        Alerting.sent(self.store, alerts)
        self.version += 1
        rows = self.snapshots.rows(folding.touched, self.version)
        rows["events"] = event_rows(accepted, GENERATED)
        rows["alerts"] = []
        for alert in alerts:
            self.version += 1
            rows["alerts"].append(alert_row(alert, self.version))
        self.warehouse.write(rows)

    def query(self, sql: str, params: Any = None) -> QueryResult:
        return self.warehouse.query(sql, params)

    def alert_id(self, pattern: str, subject_id: str) -> str:
        [row] = self.query(
            "SELECT alert_id FROM alerts FINAL WHERE pattern = {p:String} "
            "AND subject_id = {s:String}",
            {"p": pattern, "s": subject_id},
        ).rows
        return str(row[0])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agency]:
    """The agency, then a grounded decision on its budget alert and one naming nothing."""
    warehouse = Warehouse(f"chdb://{tmp_path_factory.mktemp('review') / 'db'}")
    warehouse.migrate()
    agency_ = Agency(warehouse)
    agency_.add(agency())
    agency_.add(
        [
            raw(
                "decision.recorded",
                event_id="dec-1",
                occurred_at="2026-04-07T10:00:00Z",
                decision_id="d-rescope",
                kind="rescope",
                alert_ids=[agency_.alert_id("budget_burn", "p-web"), "unknown-alert"],
                note="Client agreed to move the search feature to phase 2.",
                decided_by="ops lead",
            ),
            raw(
                "decision.recorded",
                event_id="dec-2",
                occurred_at="2026-04-07T11:00:00Z",
                decision_id="d-other",
                kind="other",
                decided_by="ops lead",
            ),
        ]
    )
    yield agency_
    warehouse.close()


@pytest.fixture(scope="module")
def review(built: Agency) -> OpsReview:
    return ops_review(built.query, ORG, generated_at=GENERATED)


@pytest.fixture(scope="module")
def written(review: OpsReview, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_ops_review(review, tmp_path_factory.mktemp("ops"))


@pytest.fixture(scope="module")
def zed(built: Agency) -> ContributorReview:
    return contributor_review(built.query, ORG, "zed-c1", generated_at=GENERATED)


@pytest.fixture(scope="module")
def zed_written(zed: ContributorReview, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_contributor_review(zed, tmp_path_factory.mktemp("zed"))


# --- what the data layer reads ----------------------------------------------------------


def test_the_default_week_is_the_last_complete_week_before_event_time_now(
    review: OpsReview,
) -> None:
    assert review.as_of == dt.datetime(2026, 4, 7, 11, 0, tzinfo=dt.UTC)
    assert review.week == REVIEW_WEEK
    assert review.week.label == "2026-W14"
    assert [review.week.trend()[0], review.week.trend()[-1]] == [
        dt.date(2026, 2, 9),
        dt.date(2026, 3, 30),
    ]


def test_the_ninety_day_clock(review: OpsReview) -> None:
    clock = review.clock
    assert clock.first_event_at == dt.datetime(2026, 1, 2, 9, 0, tzinfo=dt.UTC)
    assert round(clock.days_since_first_event) == 95
    assert (clock.decisions_recorded, clock.decisions_grounded) == (2, 1)
    # decision_gap fired in the week (90 days after the first event), then the grounded
    # decision resolved it.
    assert not clock.gap_firing
    [gap] = [a for a in review.alerts if a.pattern == "decision_gap"]
    assert gap.status == "resolved" and review.new_in_week(gap)


def test_alerts_open_or_new_in_the_week_and_only_ops(review: OpsReview) -> None:
    patterns = {a.pattern for a in review.alerts}
    assert {"budget_burn", "capacity_variance", "blocked_work", "handoff_slippage"} <= patterns
    assert {a.audience for a in review.alerts + review.resolved} == {"ops"}
    for alert in review.alerts:
        assert alert.status == "firing" or review.week.contains(alert.first_fired_at)
    assert all(review.week.contains(a.resolved_at) for a in review.resolved)
    # The budget alert is answered, so it is not among the unanswered ones.
    budget = next(
        a for a in review.alerts if a.subject_id == "p-web" and a.pattern == "budget_burn"
    )
    assert budget.alert_id not in {a.alert_id for a in review.unanswered}
    assert {a.alert_id for a in review.unanswered} == {
        a.alert_id for a in review.alerts if a.status == "firing" and a is not budget
    }


def test_decisions_and_the_alerts_they_answer(review: OpsReview, built: Agency) -> None:
    rescope, other = review.decisions
    assert (rescope.decision_id, rescope.kind, rescope.decided_by) == (
        "d-rescope",
        "rescope",
        "ops lead",
    )
    assert [a.alert_id for a in rescope.answered] == [built.alert_id("budget_burn", "p-web")]
    assert rescope.other_alerts == 1
    assert (other.alert_ids, other.answered) == ([], [])


def test_team_trend_only_for_teams_of_three(review: OpsReview) -> None:
    [design] = review.team_charts
    assert design.key == "team-utilization-design"
    utilization, target = design.series
    assert utilization.weeks == review.week.trend()
    # Total over total: (2 + 6 + 6) billable of 24 available hours a day.
    assert utilization.values == pytest.approx([14 / 24] * 8)
    assert target.reference and target.values == pytest.approx([0.75] * 8)


def test_burn_down_is_cumulative_against_the_plan(review: OpsReview) -> None:
    charts = {c.key: c for c in review.burn_charts}
    assert set(charts) == {"burn-p-web", "burn-p-int"}
    consumed, planned = charts["burn-p-web"].series
    # 90 hours a week since 2026-01-05; the trend starts with the 6th week.
    assert consumed.values == pytest.approx([90 * n for n in range(6, 14)])
    assert planned.values == [400.0] * 8


def test_blocked_hours_per_week(review: OpsReview) -> None:
    [series] = review.blocked_chart.series
    by_week = dict(zip(series.weeks, series.values, strict=True))
    assert by_week[dt.date(2026, 3, 16)] == pytest.approx(7 * 24 - 9)
    assert by_week[dt.date(2026, 3, 23)] == pytest.approx(9)
    # Still open: from Tuesday 09:00 to the end of the week.
    assert by_week[dt.date(2026, 3, 30)] == pytest.approx(6 * 24 - 9)
    assert review.open_blocks == [("p-web", 1, pytest.approx(7 * 24 + 2, abs=0.1))]


def test_handoff_lateness_per_route(review: OpsReview) -> None:
    share, hours = review.handoff_charts
    [route] = share.series
    assert route.name == "design->small"
    assert (route.weeks, route.values) == ([dt.date(2026, 3, 23)], [1.0])
    assert hours.series[0].values == pytest.approx([24.0])


def test_a_contributor_review_reads_their_own_weeks_and_alerts(
    zed: ContributorReview,
) -> None:
    assert [w.week_start for w in zed.weeks] == zed.week.trend()
    assert all(w.utilization == pytest.approx(2 / 8) for w in zed.weeks)
    assert {(a.audience, a.subject_id) for a in zed.alerts} == {("contributor", "zed-c1")}
    assert "utilization_drift" in {a.pattern for a in zed.alerts}


def test_unknown_org_week_and_contributor(built: Agency) -> None:
    with pytest.raises(ReviewError, match="no events"):
        ops_review(built.query, "nobody", generated_at=GENERATED)
    with pytest.raises(ReviewError, match="no weeks of contributor"):
        contributor_review(built.query, ORG, "nobody", generated_at=GENERATED)
    assert resolve_org(built.query, None) == ORG
    with pytest.raises(ValueError, match="ISO week"):
        ReviewWeek.parse("2026-14")
    assert ReviewWeek.parse("2026-W14") == REVIEW_WEEK


def test_an_earlier_week(built: Agency) -> None:
    earlier = ops_review(built.query, ORG, ReviewWeek.parse("2026-W12"), generated_at=GENERATED)
    assert earlier.week.start == dt.date(2026, 3, 16)
    # The block of t-1 fired and resolved in W12 (new that week); t-2's is open now.
    blocked = sorted(
        (a.first_fired_at.date().isoformat(), a.status, earlier.new_in_week(a))
        for a in earlier.alerts
        if a.pattern == "blocked_work"
    )
    assert blocked == [("2026-03-19", "resolved", True), ("2026-04-03", "firing", False)]
    assert [a.pattern for a in earlier.resolved] == []


def test_the_review_flags() -> None:
    top = argparse.ArgumentParser(prog="worksignals")
    add_review_parser(top.add_subparsers(dest="verb", required=True))
    args = top.parse_args(["review", "--org", "acme", "--week", "2026-W14", "--out", "r"])
    assert (args.handler, args.org, args.week, args.out, args.contributor) == (
        cmd_review,
        "acme",
        REVIEW_WEEK,
        Path("r"),
        None,
    )
    assert top.parse_args(["review", "--contributor", "ana"]).out == Path(".")
    with pytest.raises(SystemExit):
        top.parse_args(["review", "--week", "2026-14"])


# --- the files --------------------------------------------------------------------------


class _Balanced(HTMLParser):
    """Checks every element is closed in order (void elements aside)."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def test_html_is_well_formed_self_contained_with_every_section(written: Any) -> None:
    text = written.html.read_text(encoding="utf-8")
    root = ET.fromstring(text.removeprefix("<!DOCTYPE html>\n"))  # also parses as XML
    checker = _Balanced()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    headings = [h.text for h in root.iter() if h.tag in ("h1", "h2", "h3")]
    assert headings[0] == "Weekly pattern review: acme, 2026-W14"
    for section in (
        "The 90-day clock",
        "Alerts",
        "Resolved in the week",
        "Trends over the last 8 weeks",
        "Team utilization against target",
        "Project burn-down against plan",
        "Blocked hours",
        "Handoff lateness per route",
        "Decisions",
        "Open ops alerts still unanswered",
    ):
        assert section in headings, section
    for pattern in ("budget_burn (2)", "capacity_variance (1)", "handoff_slippage (1)"):
        assert pattern in headings
    # Self-contained: no external reference, charts inline.
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert len(root.findall(f".//{SVG}svg")) == 6
    assert "Client agreed to move the search feature to phase 2." in text


def test_markdown_references_existing_svg_files(written: Any) -> None:
    text = written.markdown.read_text(encoding="utf-8")
    names = re.findall(r"!\[[^\]]*\]\(([^)]+\.svg)\)", text)
    assert len(names) == 6
    assert {written.markdown.parent / n for n in names} == set(written.svgs)
    for name in names:
        ET.parse(written.markdown.parent / name)  # a real SVG document
    assert text.startswith("# Weekly pattern review: acme, 2026-W14\n")
    assert "## The 90-day clock" in text and "## Decisions" in text
    assert "budget_burn" in text


def marks(svg: str, chart: Chart) -> list[int]:
    """Per series: markers drawn (line) or bars (bar) in the SVG."""
    root = ET.fromstring(svg)
    counts = []
    for n, series in enumerate(chart.series):
        gid = f"{chart.key}-series-{n}"
        if chart.kind == "bar" and not series.reference:
            counts.append(
                sum(1 for g in root.iter(f"{SVG}g") if g.get("id", "").startswith(f"{gid}-bar-"))
            )
        else:
            [group] = [g for g in root.iter(f"{SVG}g") if g.get("id") == gid]
            counts.append(len(group.findall(f".//{SVG}use")))
    return counts


def test_every_chart_plots_one_mark_per_value(review: OpsReview, written: Any) -> None:
    assert review.charts
    for chart in review.charts:
        svg = (written.html.parent / f"review-acme-2026-W14-{chart.key}.svg").read_text()
        assert marks(svg, chart) == [len(s.values) for s in chart.series], chart.key
    assert sum(len(s.values) for s in review.blocked_chart.series) == 8


def test_charts_are_deterministic(review: OpsReview, written: Any) -> None:
    for chart in review.charts:
        on_disk = (written.html.parent / f"review-acme-2026-W14-{chart.key}.svg").read_text()
        assert render_svg(chart) == on_disk
        assert "<dc:date>" not in on_disk


def _all_text(files: Any) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in [files.html, files.markdown, *files.svgs]
    )


def test_contributor_first_the_ops_review_names_no_contributor(written: Any) -> None:
    text = _all_text(written)
    for contributor in CONTRIBUTORS:
        assert contributor not in text, contributor
    # The small team's aggregates are not shown; its name only as a route's end.
    assert "team-utilization-small" not in text
    assert "Team small" not in text
    # A block's free-text reason may name people: it stays out.
    assert "waiting on" not in text


def test_the_contributor_review_holds_only_their_own(zed: Any, zed_written: Any) -> None:
    files = zed_written
    assert files.html.name == "review-acme-zed-c1-2026-W14.html"
    text = _all_text(files)
    assert "zed-c1" in text
    for other in CONTRIBUTORS[1:]:
        assert other not in text, other
    assert "design->small" not in text and "p-web" not in text
    root = ET.fromstring(files.html.read_text().removeprefix("<!DOCTYPE html>\n"))
    headings = [h.text for h in root.iter() if h.tag in ("h1", "h2", "h3")]
    assert headings[:3] == [
        "Your weekly review: zed-c1, 2026-W14",
        "Your alerts",
        "utilization_drift (1)",
    ]
    for chart in zed.charts:
        svg = (files.html.parent / f"review-acme-zed-c1-2026-W14-{chart.key}.svg").read_text()
        assert marks(svg, chart) == [len(s.values) for s in chart.series], chart.key
    assert [len(s.values) for s in zed.charts[0].series] == [8, 8]
