"""Ops-audience team patterns: aggregates over a team's contributors, never individuals.

A contributor belongs to a team in a week when their profile valid on the week's first
profiled day names it. A team aggregate over fewer than `ops_min_team_size` such
contributors is never shown to ops: the finding is QUIET and says only that. Summaries and
evidence hold team totals and counts, never a contributor id or one person's hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from projections.contributor_weekly import ContributorWeek
from projections.patterns.common import Bar, Context, grade, pct, r, sunday
from projections.patterns.contributors import (
    BILLABLE_MIX_SHIFT,
    UNBILLED_CROSS_TEAM,
    Mix,
    mix_windows,
)
from projections.patterns.finding import QUIET, WARNING, Finding, SuggestedAction

CAPACITY_VARIANCE = "capacity_variance"
WORKLOAD_IMBALANCE = "workload_imbalance"


def _count(weeks: Iterable[ContributorWeek]) -> int:
    return len({w.contributor_id for w in weeks})


def _hidden(
    ctx: Context,
    pattern: str,
    team_id: str,
    start: dt.date,
    end: dt.date,
    action: SuggestedAction,
) -> Finding:
    """The QUIET finding of a team too small to be shown to ops."""
    size = ctx.policy.ops_min_team_size
    return Finding(
        subject=ctx.subject(pattern, "ops", "team", team_id),
        level=QUIET,
        holding=QUIET,
        period_start=start,
        period_end=end,
        observed=0.0,
        threshold=0.0,
        baseline=None,
        unit="",
        summary=(
            f"Team {team_id} had fewer than {size} profiled contributors in the period; "
            "its figures are not shown to ops."
        ),
        evidence={"min_team_size": size},
        suggested_action=action,
    )


def billable_mix_shift(ctx: Context, team_id: str) -> Finding:
    """The team's billable share of logged hours over the recent complete weeks against
    the weeks before (both windows need the minimum team size)."""
    p = ctx.policy.for_team(team_id).billable_mix_shift
    recent_mondays, before_mondays = mix_windows(ctx, p)
    recent = [w for m in recent_mondays for w in ctx.team_weeks(team_id, m)]
    before = [w for m in before_mondays for w in ctx.team_weeks(team_id, m)]
    start, end = before_mondays[0], sunday(recent_mondays[-1])
    size = ctx.policy.ops_min_team_size
    if _count(recent) < size or _count(before) < size:
        return _hidden(ctx, BILLABLE_MIX_SHIFT, team_id, start, end, "review")
    mix = Mix.of(recent, before, p, ctx.policy.hysteresis.share_band)
    base = mix.baseline_share
    if mix.level:
        summary = (
            f"Team {team_id}'s billable share of logged hours {mix.moved()} to "
            f"{pct(mix.recent_share)} in the {p.recent_weeks} weeks to {end}, from "
            f"{pct(base or 0.0)} in the {p.baseline_weeks} weeks before; review the team's "
            "mix of work."
        )
    else:
        summary = (
            f"Team {team_id}'s billable share was {pct(mix.recent_share)} in the "
            f"{p.recent_weeks} weeks to {end}, against "
            f"{'no hours' if base is None else pct(base)} in the weeks before."
        )
    return Finding(
        subject=ctx.subject(BILLABLE_MIX_SHIFT, "ops", "team", team_id),
        level=mix.level,
        holding=mix.holding,
        period_start=start,
        period_end=end,
        observed=r(mix.recent_share, 4),
        threshold=r(mix.threshold, 4),
        baseline=None if base is None else r(base, 4),
        unit="share",
        summary=summary,
        evidence={
            **mix.evidence(),
            "recent_contributors": _count(recent),
            "baseline_contributors": _count(before),
        },
        suggested_action="review",
    )


def unbilled_cross_team(ctx: Context, team_id: str) -> Finding:
    """Non-billable hours the team's contributors logged for other teams in the last
    complete week: warning at `team_hours` or more."""
    thresholds = ctx.policy.for_team(team_id).unbilled_cross_team
    monday = ctx.complete_weeks(1)[0]
    weeks = ctx.team_weeks(team_id, monday)
    if _count(weeks) < ctx.policy.ops_min_team_size:
        return _hidden(ctx, UNBILLED_CROSS_TEAM, team_id, monday, sunday(monday), "rebalance")
    hours = sum(w.cross_team_unbilled_hours for w in weeks)
    band = thresholds.team_hours * ctx.policy.hysteresis.hours_share
    level, holding = grade(hours, [Bar(WARNING, thresholds.team_hours, band)])
    summary = (
        f"Team {team_id} logged {hours:.1f} non-billable hours for other teams in the week "
        f"of {monday}"
    )
    summary += (
        "; agree with those teams whether to bill, plan or rebalance that work." if level else "."
    )
    return Finding(
        subject=ctx.subject(UNBILLED_CROSS_TEAM, "ops", "team", team_id),
        level=level,
        holding=holding,
        period_start=monday,
        period_end=sunday(monday),
        observed=r(hours),
        threshold=thresholds.team_hours,
        baseline=None,
        unit="hours",
        summary=summary,
        evidence={
            "cross_team_unbilled_hours": r(hours),
            "cross_team_hours": r(sum(w.cross_team_hours for w in weeks)),
            "logged_hours": r(sum(w.logged_hours for w in weeks)),
            "contributors": _count(weeks),
            "contributors_with_unbilled_cross_team_hours": sum(
                1 for w in weeks if w.cross_team_unbilled_hours > 0
            ),
        },
        suggested_action="rebalance",
    )


def capacity_variance(ctx: Context, team_id: str) -> Finding:
    """The team's logged hours against its available hours in the last complete week:
    warning when they differ by `variance_share` of the available hours or more."""
    p = ctx.policy.for_team(team_id).capacity_variance
    monday = ctx.complete_weeks(1)[0]
    weeks = ctx.team_weeks(team_id, monday)
    if _count(weeks) < ctx.policy.ops_min_team_size:
        return _hidden(ctx, CAPACITY_VARIANCE, team_id, monday, sunday(monday), "rebalance")
    logged = sum(w.logged_hours for w in weeks)
    available = sum(w.available_hours for w in weeks)
    variance = (logged - available) / available if available else 0.0
    level = holding = QUIET
    if available:
        bar = Bar(WARNING, p.variance_share, ctx.policy.hysteresis.share_band)
        level, holding = grade(abs(variance), [bar])
    direction = "more" if variance > 0 else "fewer"
    summary = (
        f"Team {team_id} logged {logged:.0f} hours against {available:.0f} available in the "
        f"week of {monday}, {pct(abs(variance))} {direction} than its capacity"
    )
    summary += "; rebalance work or capacity." if level else "."
    return Finding(
        subject=ctx.subject(CAPACITY_VARIANCE, "ops", "team", team_id),
        level=level,
        holding=holding,
        period_start=monday,
        period_end=sunday(monday),
        observed=r(abs(variance), 4),
        threshold=p.variance_share,
        baseline=None,
        unit="share",
        summary=summary,
        evidence={
            "logged_hours": r(logged),
            "available_hours": r(available),
            "variance_share": r(variance, 4),
            "contributors": _count(weeks),
        },
        suggested_action="rebalance",
    )


def workload_imbalance(ctx: Context, team_id: str) -> Finding:
    """Load (logged / available hours) of the team's members in the last complete week:
    warning when the most loaded is at `max_load` or more while the least is at `min_load`
    or less, among at least `min_members` members with available hours."""
    p = ctx.policy.for_team(team_id).workload_imbalance
    monday = ctx.complete_weeks(1)[0]
    weeks = [w for w in ctx.team_weeks(team_id, monday) if w.available_hours > 0]
    if _count(weeks) < max(p.min_members, ctx.policy.ops_min_team_size):
        return _hidden(ctx, WORKLOAD_IMBALANCE, team_id, monday, sunday(monday), "rebalance")
    loads = [w.logged_hours / w.available_hours for w in weeks]
    top, bottom = max(loads), min(loads)
    band = ctx.policy.hysteresis.share_band
    high = grade(top, [Bar(WARNING, p.max_load, band)])
    low = grade(bottom, [Bar(WARNING, p.min_load, band, above=False)])
    level, holding = min(high[0], low[0]), min(high[1], low[1])
    logged = sum(w.logged_hours for w in weeks)
    available = sum(w.available_hours for w in weeks)
    over = sum(1 for x in loads if x >= p.max_load)
    under = sum(1 for x in loads if x <= p.min_load)
    if level:
        summary = (
            f"In the week of {monday}, {over} of team {team_id}'s {len(loads)} members "
            f"logged {pct(p.max_load)} of their available hours or more while {under} "
            f"logged {pct(p.min_load)} or less; rebalance work within the team."
        )
    else:
        summary = (
            f"Team {team_id}'s member loads ranged from {pct(bottom)} to {pct(top)} of "
            f"available hours in the week of {monday}."
        )
    return Finding(
        subject=ctx.subject(WORKLOAD_IMBALANCE, "ops", "team", team_id),
        level=level,
        holding=holding,
        period_start=monday,
        period_end=sunday(monday),
        observed=r(top, 4),
        threshold=p.max_load,
        baseline=r(logged / available, 4),
        unit="load",
        summary=summary,
        evidence={
            "max_load": r(top, 4),
            "min_load": r(bottom, 4),
            "min_load_threshold": p.min_load,
            "team_load": r(logged / available, 4),
            "members": len(loads),
            "members_at_or_above_max_load": over,
            "members_at_or_below_min_load": under,
        },
        suggested_action="rebalance",
    )


def team_findings(ctx: Context, team_id: str) -> list[Finding]:
    """Every ops team pattern for one team."""
    return [
        billable_mix_shift(ctx, team_id),
        unbilled_cross_team(ctx, team_id),
        capacity_variance(ctx, team_id),
        workload_imbalance(ctx, team_id),
    ]
