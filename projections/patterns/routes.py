"""Ops-audience route pattern: handoffs between two teams that slip.

A handoff falls due in the window when its due_at lies in the trailing `window_days` up
to now. It is late when completed after due_at, or still open past it (it cannot be on
time any more). A route fires when `late_share` or more of the handoffs that fell due
were late (with at least `min_due` of them), or when an open handoff is `overdue_hours`
or more past due.
"""

from __future__ import annotations

import datetime as dt

from projections import handoffs
from projections.patterns.common import Bar, Context, grade, pct, r
from projections.patterns.finding import WARNING, Finding

HANDOFF_SLIPPAGE = "handoff_slippage"


def handoff_slippage(ctx: Context, route: str) -> Finding:
    """The route's late share over the trailing window, and its most overdue open
    handoff."""
    p = ctx.policy.handoff_slippage
    hysteresis = ctx.policy.hysteresis
    since = ctx.now - dt.timedelta(days=p.window_days)
    found = handoffs.route_handoffs(ctx.store, ctx.org_id, route)
    due = [h for h in found if h.due_at is not None and since < h.due_at <= ctx.now]
    late = [h for h in due if h.completed_late or h.overdue(ctx.now)]
    share = len(late) / len(due) if due else 0.0
    open_overdue = [h for h in found if h.overdue(ctx.now)]
    overdue_hours = max((h.hours_late(ctx.now) for h in open_overdue), default=0.0)
    slipping = (0, 0)
    if len(due) >= p.min_due:
        slipping = grade(share, [Bar(WARNING, p.late_share, hysteresis.share_band)])
    stuck = grade(
        overdue_hours, [Bar(WARNING, p.overdue_hours, p.overdue_hours * hysteresis.hours_share)]
    )
    level, holding = max(slipping[0], stuck[0]), max(slipping[1], stuck[1])
    by_overdue = stuck[0] > slipping[0]
    summary = (
        f"On route {route}, {len(late)} of {len(due)} handoffs that fell due in the last "
        f"{p.window_days} days were late ({pct(share)})"
    )
    if open_overdue:
        summary += (
            f" and {len(open_overdue)} open handoff{'s are' if len(open_overdue) > 1 else ' is'}"
            f" past due, the oldest by {overdue_hours:.0f} hours"
        )
    if level:
        summary += "; escalate with the receiving team."
    elif len(due) < p.min_due:
        summary += f"; too few to judge the share (fewer than {p.min_due})."
    else:
        summary += "."
    return Finding(
        subject=ctx.subject(HANDOFF_SLIPPAGE, "ops", "route", route),
        level=level,
        holding=holding,
        period_start=since.date(),
        period_end=ctx.today,
        observed=r(overdue_hours, 1) if by_overdue else r(share, 4),
        threshold=p.overdue_hours if by_overdue else p.late_share,
        baseline=None,
        unit="hours" if by_overdue else "share",
        summary=summary,
        evidence={
            "window_days": p.window_days,
            "handoffs_due": len(due),
            "handoffs_late": len(late),
            "late_share": r(share, 4),
            "min_due": p.min_due,
            "open_overdue_handoffs": len(open_overdue),
            "longest_overdue_hours": r(overdue_hours, 1),
        },
        suggested_action="escalate",
    )
