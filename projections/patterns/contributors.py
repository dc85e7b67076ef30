"""Contributor-audience patterns: one finding per contributor, for that contributor only.

The thresholds are those of the contributor's team on the last day of the last complete
week (the end of every window here); weeks are complete ISO weeks before now's week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from projections import reference
from projections.contributor_weekly import ContributorWeek
from projections.patterns.common import Bar, Context, Evidence, grade, pct, r, sunday
from projections.patterns.finding import CRITICAL, QUIET, WARNING, Finding
from projections.patterns.policy import BillableMixShift, TeamThresholds

UTILIZATION_DRIFT = "utilization_drift"
BILLABLE_MIX_SHIFT = "billable_mix_shift"
UNBILLED_CROSS_TEAM = "unbilled_cross_team"


def thresholds(ctx: Context, contributor_id: str) -> TeamThresholds:
    """The contributor's thresholds: their team's at the end of the last complete week."""
    end = sunday(ctx.complete_weeks(1)[0])
    profile = reference.profile_at(ctx.store, ctx.org_id, contributor_id, end)
    return ctx.policy.for_team(profile.team_id if profile else None)


def utilization_drift(ctx: Context, contributor_id: str) -> Finding:
    """Billable / available hours over the trailing complete weeks against the target:
    warning at `warning_points` below it, critical at `critical_points`, and warning at or
    above `over_share`. Not measurable (QUIET) without available hours or a target, or
    before the contributor has a profile for the whole window (a new joiner's first weeks
    would otherwise be judged on one of them)."""
    p = thresholds(ctx, contributor_id).utilization_drift
    band = ctx.policy.hysteresis.share_band
    mondays = ctx.complete_weeks(p.weeks)
    weeks = ctx.weeks(contributor_id, mondays)
    available = sum(w.available_hours for w in weeks)
    billable = sum(w.billable_hours for w in weeks)
    targets = [w.target_utilization for w in weeks if w.target_utilization is not None]
    target = targets[-1] if targets else None
    utilization = billable / available if available else 0.0
    end = sunday(mondays[-1])
    whole_window = reference.profile_at(ctx.store, ctx.org_id, contributor_id, mondays[0])
    level = holding = QUIET
    if available and target is not None and whole_window is not None:
        gap = target - utilization
        low = grade(
            gap,
            [
                Bar(WARNING, p.warning_points / 100, band),
                Bar(CRITICAL, p.critical_points / 100, band),
            ],
        )
        high = grade(utilization, [Bar(WARNING, p.over_share, band)])
        level, holding = max(low[0], high[0]), max(low[1], high[1])
    over = target is not None and utilization > target
    if over:
        threshold = p.over_share
    else:
        points = p.critical_points if level == CRITICAL else p.warning_points
        threshold = (target or 0.0) - points / 100
    span = f"the {p.weeks} weeks to {end}"
    if whole_window is None:
        summary = f"Not enough history yet to measure your utilization over {span}."
    elif target is None or not available:
        summary = f"No available hours or target to measure your utilization over {span}."
    elif level and over:
        summary = (
            f"Your billable utilization over {span} was {pct(utilization)}, at or above "
            f"{pct(p.over_share)} of your available hours; review whether this load is "
            "sustainable."
        )
    elif level:
        summary = (
            f"Your billable utilization over {span} was {pct(utilization)}, "
            f"{(target - utilization) * 100:.0f} points below your {pct(target)} target; "
            "review where your non-billable hours went."
        )
    else:
        summary = (
            f"Your billable utilization over {span} was {pct(utilization)} against your "
            f"{pct(target)} target."
        )
    return Finding(
        subject=ctx.subject(UTILIZATION_DRIFT, "contributor", "contributor", contributor_id),
        level=level,
        holding=holding,
        period_start=mondays[0],
        period_end=end,
        observed=r(utilization, 4),
        threshold=r(threshold, 4),
        baseline=target,
        unit="share",
        summary=summary,
        evidence={
            "weeks": p.weeks,
            "billable_hours": r(billable),
            "available_hours": r(available),
            "logged_hours": r(sum(w.logged_hours for w in weeks)),
            "utilization": r(utilization, 4),
            "target_utilization": target,
        },
        suggested_action="self_review",
    )


@dataclass(frozen=True, slots=True)
class Mix:
    """Billable share of logged hours in a recent window against the window before it."""

    level: int
    holding: int
    recent_logged: float
    recent_billable: float
    baseline_logged: float
    baseline_billable: float
    threshold: float
    """The recent share at which the shift fires, on the side the share moved to."""

    @property
    def measurable(self) -> bool:
        """Both windows have hours (and the recent one enough of them: see `of`)."""
        return self.recent_logged > 0 and self.baseline_logged > 0

    @property
    def recent_share(self) -> float:
        """Billable share of the recent window's logged hours."""
        return self.recent_billable / self.recent_logged if self.recent_logged else 0.0

    @property
    def baseline_share(self) -> float | None:
        """Billable share of the baseline window's logged hours."""
        return self.baseline_billable / self.baseline_logged if self.baseline_logged else None

    @classmethod
    def of(
        cls,
        recent: Sequence[ContributorWeek],
        baseline: Sequence[ContributorWeek],
        p: BillableMixShift,
        band: float,
    ) -> Mix:
        """The shift between two sets of weeks; QUIET below the minimum recent hours."""
        mix = cls(
            QUIET,
            QUIET,
            sum(w.logged_hours for w in recent),
            sum(w.billable_hours for w in recent),
            sum(w.logged_hours for w in baseline),
            sum(w.billable_hours for w in baseline),
            0.0,
        )
        base = mix.baseline_share
        if base is None:
            return mix
        shift = mix.recent_share - base
        step = p.warning_points / 100
        threshold = base - step if shift < 0 else base + step
        level = holding = QUIET
        if mix.recent_logged >= p.min_recent_logged_hours and mix.recent_logged > 0:
            level, holding = grade(abs(shift), [Bar(WARNING, step, band)])
        return cls(
            level,
            holding,
            mix.recent_logged,
            mix.recent_billable,
            mix.baseline_logged,
            mix.baseline_billable,
            threshold,
        )

    def evidence(self) -> Evidence:
        """The figures behind the shift."""
        base = self.baseline_share
        return {
            "recent_logged_hours": r(self.recent_logged),
            "recent_billable_hours": r(self.recent_billable),
            "recent_billable_share": r(self.recent_share, 4),
            "baseline_logged_hours": r(self.baseline_logged),
            "baseline_billable_hours": r(self.baseline_billable),
            "baseline_billable_share": None if base is None else r(base, 4),
            "shift_points": None if base is None else r((self.recent_share - base) * 100, 1),
        }

    def moved(self) -> str:
        """'rose' or 'fell'."""
        return "rose" if self.recent_share > (self.baseline_share or 0.0) else "fell"


def mix_windows(ctx: Context, p: BillableMixShift) -> tuple[list[dt.date], list[dt.date]]:
    """Mondays of the recent window and of the baseline window just before it."""
    return (
        ctx.complete_weeks(p.recent_weeks),
        ctx.complete_weeks(p.baseline_weeks, skip=p.recent_weeks),
    )


def billable_mix_shift(ctx: Context, contributor_id: str) -> Finding:
    """The contributor's billable share over the recent complete weeks against the weeks
    before: warning when it moved `warning_points` or more either way, given at least
    `min_recent_logged_hours` logged in the recent window."""
    p = thresholds(ctx, contributor_id).billable_mix_shift
    recent, before = mix_windows(ctx, p)
    mix = Mix.of(
        ctx.weeks(contributor_id, recent),
        ctx.weeks(contributor_id, before),
        p,
        ctx.policy.hysteresis.share_band,
    )
    end = sunday(recent[-1])
    base = mix.baseline_share
    if mix.level:
        summary = (
            f"Your billable share of logged hours {mix.moved()} to {pct(mix.recent_share)} "
            f"in the {p.recent_weeks} weeks to {end}, from {pct(base or 0.0)} in the "
            f"{p.baseline_weeks} weeks before; review what changed in your mix of work."
        )
    elif not mix.measurable or mix.recent_logged < p.min_recent_logged_hours:
        summary = (
            f"Too few logged hours to compare your billable share in the {p.recent_weeks} "
            f"weeks to {end} with the weeks before."
        )
    else:
        summary = (
            f"Your billable share was {pct(mix.recent_share)} in the {p.recent_weeks} weeks "
            f"to {end}, against {pct(base or 0.0)} in the {p.baseline_weeks} weeks before."
        )
    return Finding(
        subject=ctx.subject(BILLABLE_MIX_SHIFT, "contributor", "contributor", contributor_id),
        level=mix.level,
        holding=mix.holding,
        period_start=before[0],
        period_end=end,
        observed=r(mix.recent_share, 4),
        threshold=r(mix.threshold, 4),
        baseline=None if base is None else r(base, 4),
        unit="share",
        summary=summary,
        evidence=mix.evidence(),
        suggested_action="self_review",
    )


def unbilled_cross_team(ctx: Context, contributor_id: str) -> Finding:
    """Non-billable hours the contributor logged for other teams in the last complete
    week: warning at `contributor_hours` or more."""
    p = thresholds(ctx, contributor_id).unbilled_cross_team
    monday = ctx.complete_weeks(1)[0]
    w = ctx.week(contributor_id, monday)
    hours = w.cross_team_unbilled_hours
    level, holding = grade(
        hours,
        [
            Bar(
                WARNING,
                p.contributor_hours,
                p.contributor_hours * ctx.policy.hysteresis.hours_share,
            )
        ],
    )
    if level:
        summary = (
            f"You logged {hours:.1f} non-billable hours for other teams in the week of "
            f"{monday}; review whether that work should be billed or planned with that team."
        )
    else:
        summary = (
            f"You logged {hours:.1f} non-billable hours for other teams in the week of {monday}."
        )
    return Finding(
        subject=ctx.subject(UNBILLED_CROSS_TEAM, "contributor", "contributor", contributor_id),
        level=level,
        holding=holding,
        period_start=monday,
        period_end=sunday(monday),
        observed=r(hours),
        threshold=p.contributor_hours,
        baseline=None,
        unit="hours",
        summary=summary,
        evidence={
            "cross_team_unbilled_hours": r(hours),
            "cross_team_hours": r(w.cross_team_hours),
            "logged_hours": r(w.logged_hours),
        },
        suggested_action="self_review",
    )


def contributor_findings(ctx: Context, contributor_id: str) -> list[Finding]:
    """Every contributor-audience pattern for one contributor."""
    return [
        utilization_drift(ctx, contributor_id),
        billable_mix_shift(ctx, contributor_id),
        unbilled_cross_team(ctx, contributor_id),
    ]
