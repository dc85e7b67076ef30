"""Alert lifecycle: findings in, one alert record per state change out.

Per subject (org, pattern, audience, subject) the store keeps the alert's state. A quiet
subject fires when a finding's `level` reaches WARNING; a firing one moves to the level
`max(level, min(current, holding))`: it rises as soon as the strict thresholds say so,
and falls or resolves only once the observation is back past the hysteresis band, so a
value wobbling around a threshold emits nothing. An unchanged level emits nothing.

Alert ids are deterministic: a hash of the subject and its episode number (how many
times it fired before), so the same events give the same ids and a subject that
resolves and fires again gets a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from projections.clock import utc_iso
from projections.contributor_daily import Store
from projections.patterns.finding import QUIET, SEVERITY_NAMES, Finding, Subject

Alert = dict[str, Any]
"""An alert record with the contract's fields (section 2)."""

ALERT_FIELDS = (
    "alert_id",
    "org_id",
    "pattern",
    "audience",
    "subject_type",
    "subject_id",
    "status",
    "severity",
    "period_start",
    "period_end",
    "observed",
    "threshold",
    "baseline",
    "unit",
    "summary",
    "evidence",
    "suggested_action",
    "first_fired_at",
    "updated_at",
    "resolved_at",
)


def state_key(subject: Subject) -> str:
    """Store key of a subject's alert state."""
    return f"alert|{subject.key()}"


def alert_id(subject: Subject, episode: int) -> str:
    """The id of the subject's `episode`-th alert (1 for the first)."""
    digest = hashlib.sha256(f"{subject.key()}|{episode}".encode()).hexdigest()
    return f"{subject.pattern}-{digest[:16]}"


def next_level(current: int, finding: Finding) -> int:
    """The level a subject at `current` moves to on `finding` (hysteresis applied)."""
    if current == QUIET:
        return finding.level
    return max(finding.level, min(current, finding.holding))


def advance(store: Store, findings: Iterable[Finding], now: dt.datetime) -> list[Alert]:
    """Apply findings to the stored alert states; return the state changes, in order."""
    changes: list[Alert] = []
    stamp = utc_iso(now)
    for finding in findings:
        key = state_key(finding.subject)
        state: dict[str, Any] = store.get(key) or {"episode": 0, "level": QUIET}
        current = state["level"]
        level = next_level(current, finding)
        if level == current:
            continue
        if current == QUIET:
            state = {"episode": state["episode"] + 1, "level": level, "first_fired_at": stamp}
        elif level == QUIET:
            state = {**state, "level": QUIET}
        else:
            state = {**state, "level": level}
        store[key] = state
        changes.append(_record(finding, state, current, stamp))
    return changes


def _record(finding: Finding, state: dict[str, Any], previous: int, stamp: str) -> Alert:
    subject = finding.subject
    resolved = state["level"] == QUIET
    return {
        "alert_id": alert_id(subject, state["episode"]),
        "org_id": subject.org_id,
        "pattern": subject.pattern,
        "audience": subject.audience,
        "subject_type": subject.subject_type,
        "subject_id": subject.subject_id,
        "status": "resolved" if resolved else "firing",
        "severity": SEVERITY_NAMES[previous if resolved else state["level"]],
        "period_start": finding.period_start.isoformat(),
        "period_end": finding.period_end.isoformat(),
        "observed": finding.observed,
        "threshold": finding.threshold,
        "baseline": finding.baseline,
        "unit": finding.unit,
        "summary": finding.summary,
        "evidence": finding.evidence,
        "suggested_action": finding.suggested_action,
        "first_fired_at": state["first_fired_at"],
        "updated_at": stamp,
        "resolved_at": stamp if resolved else None,
    }
