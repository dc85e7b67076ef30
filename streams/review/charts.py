"""Deterministic SVG charts of the review, drawn with matplotlib's object API (no pyplot).

The same chart data gives the same bytes: `svg.hashsalt` fixes the generated ids, the
metadata carries no date, and text stays text (`svg.fonttype: none`). Every id in a chart's
SVG is prefixed with the chart's key, so several charts can be inlined in one HTML page.

Each series is a group `<g id="KEY-series-N">`: a line series draws one marker (`<use>`)
per value; a bar series draws one `<g id="KEY-series-N-bar-M">` per value. Tests count them.
"""

from __future__ import annotations

import io
import re
from typing import Any

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from streams.review.data import Chart, week_label

_RC: dict[str, Any] = {
    "svg.hashsalt": "worksignals-review",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_METADATA = {"Date": None, "Creator": "worksignals review"}
_COLORS = ["#1f5f99", "#c2571a", "#2e7d4f", "#8c3d91", "#9a7d0a", "#5d6d7e", "#b03a48"]


def render_svg(chart: Chart) -> str:
    """The chart as an SVG document (text), ids prefixed with `chart.key`."""
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        figure = Figure(figsize=(7.2, 2.8), layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        position = {monday: i for i, monday in enumerate(chart.weeks)}
        plotted = chart.series
        bars = [s for s in plotted if chart.kind == "bar" and not s.reference]
        width = 0.8 / max(1, len(bars))
        for n, series in enumerate(plotted):
            gid = f"series-{n}"
            color = "#7f7f7f" if series.reference else _COLORS[n % len(_COLORS)]
            xs = [position[w] for w in series.weeks]
            if chart.kind == "bar" and not series.reference:
                offset = (bars.index(series) - (len(bars) - 1) / 2) * width
                container = axes.bar(
                    [x + offset for x in xs],
                    series.values,
                    width=width,
                    color=color,
                    label=series.name,
                )
                for m, patch in enumerate(container.patches):
                    patch.set_gid(f"{gid}-bar-{m}")
            else:
                axes.plot(
                    xs,
                    series.values,
                    marker="o",
                    markersize=3 if series.reference else 4,
                    linestyle="--" if series.reference else "-",
                    linewidth=1.0 if series.reference else 1.6,
                    color=color,
                    label=series.name,
                    gid=gid,
                )
        axes.set_xticks(range(len(chart.weeks)), [week_label(w) for w in chart.weeks])
        axes.set_xlim(-0.6, len(chart.weeks) - 0.4)
        axes.tick_params(axis="x", labelrotation=30)
        if chart.unit == "share":
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0%}"))
            axes.set_ylabel("share")
        else:
            axes.set_ylabel("hours")
        axes.set_ylim(bottom=0)
        axes.set_title(chart.title, loc="left")
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        if any(s.values for s in plotted):
            # Beside the axes, so it never hides a value.
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        else:
            axes.text(0.5, 0.5, "no data in these weeks", ha="center", transform=axes.transAxes)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata=_METADATA)
    return _prefix_ids(out.getvalue(), chart.key)


def _prefix_ids(svg: str, prefix: str) -> str:
    """Prefix every id and every reference to one with `prefix-`."""
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    return re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}-{m[1]}"', svg)


def inline_svg(svg: str) -> str:
    """The SVG element alone (no XML declaration or doctype), to embed in HTML."""
    start = svg.index("<svg")
    return svg[start:].strip()
