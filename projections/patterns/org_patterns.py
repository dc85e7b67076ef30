"""Ops-audience org pattern: no operating decision grounded in an alert."""

from __future__ import annotations

import datetime as dt

from projections import decisions
from projections.patterns.common import Context
from projections.patterns.finding import QUIET, WARNING, Finding

DECISION_GAP = "decision_gap"


def decision_gap(ctx: Context) -> Finding | None:
    """Warning once `days` have passed since the org's first event while no recorded
    decision names an alert; resolves when one does. No band: days and counts are exact.
    None before the org's first event."""
    first = decisions.first_event_at(ctx.store, ctx.org_id)
    if first is None:
        return None
    p = ctx.policy.decision_gap
    elapsed = (ctx.now - first) / dt.timedelta(days=1)
    grounded = decisions.grounded_count(ctx.store, ctx.org_id)
    recorded = len(ctx.store.get(decisions.decisions_key(ctx.org_id)) or {})
    level = WARNING if elapsed >= p.days and grounded == 0 else QUIET
    if level:
        summary = (
            f"{elapsed:.0f} days after the first event, no recorded decision names an alert; "
            "review the open alerts and record the decisions taken on them."
        )
    elif grounded:
        summary = f"{grounded} recorded decision(s) name an alert."
    else:
        summary = (
            f"{elapsed:.0f} days after the first event; decisions should name alerts "
            f"by day {p.days}."
        )
    return Finding(
        subject=ctx.subject(DECISION_GAP, "ops", "org", ctx.org_id),
        level=level,
        holding=level,
        period_start=first.date(),
        period_end=ctx.today,
        observed=round(elapsed, 1),
        threshold=float(p.days),
        baseline=None,
        unit="days",
        summary=summary,
        evidence={
            "days_since_first_event": round(elapsed, 1),
            "decisions_recorded": recorded,
            "decisions_naming_alerts": grounded,
        },
        suggested_action="review",
    )
