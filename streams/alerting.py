"""Pattern alerts inside the projection agent: evaluate, advance the lifecycle, send.

After a batch is folded, every org it touched is evaluated (`projections.patterns`),
and the alert state changes go to the `alerts` table and the `worksignals.alerts` topic.
The changes are first kept in the projection store as unsent, in the same write as the
alert state itself, and are removed only once the topic and table have them: a crash
in between sends them again after the restart (at least once; the same alert_id and
state), instead of losing them because the restored state already holds the new level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from typing import Any

from projections import fold, org
from projections.clock import utc_iso
from projections.patterns import lifecycle
from projections.patterns.evaluate import evaluate
from projections.patterns.policy import Policy

Alert = lifecycle.Alert


def clock_key(org_id: str) -> str:
    """Store key of the event time at which the org's patterns were last evaluated."""
    return f"alerts_clock|{org_id}"


def unsent_key(org_id: str) -> str:
    """Store key of the org's alert changes not yet on the topic and table."""
    return f"alerts_unsent|{org_id}"


class Alerting:
    """Evaluates the patterns of the orgs a batch touched, against one policy."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def changes(self, store: MutableMapping[str, Any], touched: fold.Touched) -> list[Alert]:
        """The alert changes to send for a folded batch: those left unsent by an earlier
        run, then the new ones, per org. They stay in the store until `sent`."""
        result: list[Alert] = []
        for org_id in sorted(touched.orgs()):
            now = org.now(store, org_id)
            if now is None:
                continue
            previous = store.get(clock_key(org_id))
            findings = evaluate(
                store,
                org_id,
                self.policy,
                touched,
                dt.datetime.fromisoformat(previous) if previous else None,
            )
            new = lifecycle.advance(store, findings, now)
            store[clock_key(org_id)] = utc_iso(now)
            unsent = list(store.get(unsent_key(org_id)) or [])
            if new:
                unsent += new
                store[unsent_key(org_id)] = unsent
            result += unsent
        return result

    @staticmethod
    def sent(store: MutableMapping[str, Any], alerts: list[Alert]) -> None:
        """Forget the unsent changes of the orgs `alerts` belong to (all were sent)."""
        for org_id in sorted({a["org_id"] for a in alerts}):
            if store.get(unsent_key(org_id)):
                store[unsent_key(org_id)] = []
