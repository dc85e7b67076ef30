"""Review charts: real SVG with one marker or bar per value, deterministic, ids unique per
chart so several can be inlined in one page."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from streams.review.charts import inline_svg, render_svg
from streams.review.data import Chart, ReviewWeek, Series

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = ReviewWeek(dt.date(2026, 3, 30)).trend()


def line_chart(key: str = "line", values: int = 5) -> Chart:
    shown = WEEKS[-values:] if values else []
    return Chart(
        key=key,
        title="Team design: utilization",
        kind="line",
        weeks=WEEKS,
        series=[
            Series("utilization", shown, [0.5 + n / 100 for n in range(len(shown))]),
            Series("target", WEEKS, [0.75] * 8, reference=True),
        ],
        unit="share",
    )


def bar_chart() -> Chart:
    return Chart(
        key="bars",
        title="Blocked hours",
        kind="bar",
        weeks=WEEKS,
        series=[
            Series("a", WEEKS, [float(n) for n in range(8)]),
            Series("b", WEEKS[:3], [1.0, 0.0, 2.5]),
        ],
        unit="hours",
    )


def groups(svg: str) -> dict[str, ET.Element]:
    return {g.get("id", ""): g for g in ET.fromstring(svg).iter(f"{SVG}g")}


@pytest.mark.parametrize("values", [0, 1, 5, 8])
def test_a_line_series_draws_one_marker_per_value(values: int) -> None:
    svg = render_svg(line_chart(values=values))
    found = groups(svg)
    assert len(found["line-series-0"].findall(f".//{SVG}use")) == values
    assert len(found["line-series-1"].findall(f".//{SVG}use")) == 8


def test_a_bar_series_draws_one_bar_per_value() -> None:
    svg = render_svg(bar_chart())
    ids = groups(svg)
    assert sum(1 for i in ids if re.fullmatch(r"bars-series-0-bar-\d+", i)) == 8
    assert sum(1 for i in ids if re.fullmatch(r"bars-series-1-bar-\d+", i)) == 3


def test_the_same_data_gives_the_same_bytes_without_a_date() -> None:
    first = render_svg(line_chart())
    assert render_svg(line_chart()) == first
    assert "<dc:date>" not in first
    assert "2026-W14" in first, "text stays text (svg.fonttype none)"
    assert render_svg(line_chart(values=4)) != first


def test_ids_and_references_are_prefixed_with_the_chart_key() -> None:
    one, two = render_svg(line_chart("one")), render_svg(line_chart("two"))
    ids_one = set(re.findall(r'\bid="([^"]+)"', one))
    ids_two = set(re.findall(r'\bid="([^"]+)"', two))
    assert all(i.startswith("one-") for i in ids_one)
    assert not ids_one & ids_two
    for reference in re.findall(r'(?:url\(#|xlink:href="#)([^)"]+)', one):
        assert reference in ids_one
    assert inline_svg(one).startswith("<svg") and "<?xml" not in inline_svg(one)
