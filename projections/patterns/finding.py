"""What a detector reports about one subject, before the lifecycle decides what to emit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

Audience = Literal["contributor", "ops"]
SubjectType = Literal["contributor", "team", "project", "route", "org"]
SuggestedAction = Literal[
    "rescope", "rebalance", "escalate", "renegotiate", "self_review", "review"
]

QUIET = 0
WARNING = 1
CRITICAL = 2
SEVERITY_NAMES = {WARNING: "warning", CRITICAL: "critical"}
"""Alert severity per firing level."""


@dataclass(frozen=True, slots=True)
class Subject:
    """Whom or what an alert is about, for whom: one alert lifecycle per subject."""

    org_id: str
    pattern: str
    audience: Audience
    subject_type: SubjectType
    subject_id: str

    def key(self) -> str:
        """A stable text key (store keys, alert ids)."""
        return "|".join(
            (self.org_id, self.pattern, self.audience, self.subject_type, self.subject_id)
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """A detector's measurement of one subject.

    `level` is the firing level at the policy's thresholds; `holding` is the level at the
    thresholds moved by the hysteresis band towards normal, so `holding >= level`. A firing
    alert stays at its level while `holding` does (see `lifecycle`); a quiet one fires only
    when `level` does. A subject that cannot be measured (too little data) is QUIET.
    """

    subject: Subject
    level: int
    holding: int
    period_start: dt.date
    period_end: dt.date
    observed: float
    threshold: float
    baseline: float | None
    unit: str
    summary: str
    evidence: dict[str, Any]
    suggested_action: SuggestedAction
