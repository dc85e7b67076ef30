"""Ops-audience project patterns: budget burn, margin erosion and blocked work.

Figures come from the project's status today under its current plan (see
`projections.project_status`); thresholds are the project's (org-wide or overridden).
"""

from __future__ import annotations

from projections.patterns.common import Bar, Context, grade, pct, r
from projections.patterns.finding import CRITICAL, QUIET, WARNING, Finding

BUDGET_BURN = "budget_burn"
MARGIN_EROSION = "margin_erosion"
BLOCKED_WORK = "blocked_work"


def budget_burn(ctx: Context, project_id: str) -> Finding | None:
    """Consumed share of planned hours: warning at `warning_share`, critical at
    `critical_share`, and warning when it runs `ahead_points` or more ahead of the elapsed
    share of the project's dates. None for a project without a plan."""
    s = ctx.status(project_id)
    if s is None:
        return None
    p = ctx.policy.for_project(project_id).budget_burn
    band = ctx.policy.hysteresis.share_band
    consumed = grade(
        s.consumed_share,
        [Bar(WARNING, p.warning_share, band), Bar(CRITICAL, p.critical_share, band)],
    )
    ahead_by = s.consumed_share - s.elapsed_share
    ahead = grade(ahead_by, [Bar(WARNING, p.ahead_points / 100, band)])
    level, holding = max(consumed[0], ahead[0]), max(consumed[1], ahead[1])
    pace = s.elapsed_share + p.ahead_points / 100
    if consumed[0] == CRITICAL:
        threshold = p.critical_share
    elif consumed[0]:
        threshold = p.warning_share
    elif ahead[0]:
        threshold = pace
    else:
        threshold = min(p.warning_share, pace)
    scope_creep = s.consumed_hours >= p.scope_creep_share * s.planned_hours
    run_out = s.run_out_date.isoformat() if s.run_out_date else None
    summary = (
        f"Project {project_id} has used {pct(s.consumed_share)} of its "
        f"{s.planned_hours:g} planned hours with {pct(s.elapsed_share)} of its dates elapsed"
    )
    if scope_creep:
        summary += f", {pct(s.consumed_share)} of plan is scope creep; renegotiate the scope."
    elif level and s.consumed_hours >= s.planned_hours:
        summary += "; the planned hours are used up: rescope or re-plan it."
    elif level and run_out:
        summary += f"; at the last 2 weeks' rate the hours run out on {run_out}: rescope it."
    elif level:
        summary += "; rescope it."
    else:
        summary += "."
    return Finding(
        subject=ctx.subject(BUDGET_BURN, "ops", "project", project_id),
        level=level,
        holding=holding,
        period_start=min(s.start_date, ctx.today),
        period_end=ctx.today,
        observed=r(s.consumed_share, 4),
        threshold=r(threshold, 4),
        baseline=r(s.elapsed_share, 4),
        unit="share",
        summary=summary,
        evidence={
            "planned_hours": s.planned_hours,
            "consumed_hours": r(s.consumed_hours),
            "consumed_share": r(s.consumed_share, 4),
            "elapsed_share": r(s.elapsed_share, 4),
            "ahead_points": r(ahead_by * 100, 1),
            "burn_rate_hours_per_week": r(s.burn_rate_hours_per_week),
            "run_out_date": run_out,
            "end_date": s.end_date.isoformat(),
            "scope_creep": scope_creep,
        },
        suggested_action="renegotiate" if scope_creep else "rescope",
    )


def margin_erosion(ctx: Context, project_id: str) -> Finding | None:
    """Margin to date against the target margin: warning `warning_points` or more below
    it, critical below `critical_margin`. None for a project without a plan or that is not
    billable; QUIET while no hour is costed or nothing is earned (no margin to measure)."""
    s = ctx.status(project_id)
    if s is None or s.billing == "non_billable":
        return None
    p = ctx.policy.for_project(project_id).margin_erosion
    band = ctx.policy.hysteresis.share_band
    costed = s.consumed_hours - s.uncosted_hours
    level = holding = QUIET
    if costed > 0 and s.margin is not None:
        below = grade(s.target_margin - s.margin, [Bar(WARNING, p.warning_points / 100, band)])
        negative = grade(
            s.margin, [Bar(CRITICAL, p.critical_margin, band, above=False, strict=True)]
        )
        level, holding = max(below[0], negative[0]), max(below[1], negative[1])
    threshold = p.critical_margin if level == CRITICAL else s.target_margin - p.warning_points / 100
    if costed <= 0 or s.margin is None:
        summary = f"Project {project_id} has no costed, earning hours to measure a margin on."
    else:
        summary = (
            f"Project {project_id}'s margin to date is {pct(s.margin)} against a "
            f"{pct(s.target_margin)} target"
        )
        summary += "; renegotiate its terms or the cost of the work." if level else "."
    return Finding(
        subject=ctx.subject(MARGIN_EROSION, "ops", "project", project_id),
        level=level,
        holding=holding,
        period_start=min(s.start_date, ctx.today),
        period_end=ctx.today,
        observed=r(s.margin or 0.0, 4),
        threshold=r(threshold, 4),
        baseline=s.target_margin,
        unit="share",
        summary=summary,
        evidence={
            "billing": s.billing,
            "currency": s.currency,
            "earned_revenue": r(s.earned_revenue),
            "cost": r(s.cost),
            "margin": None if s.margin is None else r(s.margin, 4),
            "target_margin": s.target_margin,
            "costed_hours": r(costed),
            "uncosted_hours": r(s.uncosted_hours),
        },
        suggested_action="renegotiate",
    )


def blocked_work(ctx: Context, project_id: str) -> Finding:
    """The longest open block among the project's tasks: warning at `warning_hours`,
    critical at `critical_hours`. Block reasons are free text and stay out of evidence."""
    p = ctx.policy.for_project(project_id).blocked_work
    share = ctx.policy.hysteresis.hours_share
    blocks = sorted(ctx.open_blocks().get(project_id, []), key=lambda b: (b.started_at, b.task_id))
    longest = blocks[0] if blocks else None
    hours = longest.hours(ctx.now) if longest else 0.0
    level, holding = grade(
        hours,
        [
            Bar(WARNING, p.warning_hours, p.warning_hours * share),
            Bar(CRITICAL, p.critical_hours, p.critical_hours * share),
        ],
    )
    over = sum(1 for b in blocks if b.hours(ctx.now) >= p.warning_hours)
    if longest is None:
        summary = f"Project {project_id} has no blocked task."
    else:
        summary = (
            f"Task {longest.task_id} of project {project_id} has been blocked for "
            f"{hours:.0f} hours since {longest.started_at.date()} "
            f"({len(blocks)} blocked task{'s' if len(blocks) != 1 else ''} in all)"
        )
        summary += "; escalate to unblock it." if level else "."
    return Finding(
        subject=ctx.subject(BLOCKED_WORK, "ops", "project", project_id),
        level=level,
        holding=holding,
        period_start=longest.started_at.date() if longest else ctx.today,
        period_end=ctx.today,
        observed=r(hours, 1),
        threshold=p.critical_hours if level == CRITICAL else p.warning_hours,
        baseline=None,
        unit="hours",
        summary=summary,
        evidence={
            "open_blocked_tasks": len(blocks),
            "tasks_blocked_at_least_warning_hours": over,
            "longest_blocked_hours": r(hours, 1),
            "longest_blocked_task_id": longest.task_id if longest else None,
            "blocked_by_teams": sorted(
                {b.blocked_by_team_id for b in blocks if b.blocked_by_team_id}
            ),
        },
        suggested_action="escalate",
    )


def project_findings(ctx: Context, project_id: str) -> list[Finding]:
    """Budget burn and margin erosion of one project (those that apply to it)."""
    found = [budget_burn(ctx, project_id), margin_erosion(ctx, project_id)]
    return [f for f in found if f is not None]
