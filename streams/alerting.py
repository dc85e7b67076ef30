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

from events.models import BaseEvent
from projections import fold, org
from projections.clock import utc_iso
from projections.contributor_weekly import ContributorWeek, WeeksMemo
from projections.patterns import lifecycle
from projections.patterns.evaluate import evaluate
from projections.patterns.policy import Policy
from projections.projects import ProjectDays

Alert = lifecycle.Alert

MEMO_WEEKS = 16
"""Weeks back from now that the patterns read (billable_mix_shift: 2 + 8 complete weeks),
with room for policies with longer windows; older memoised weeks are dropped."""

UNSENT_CHUNK = 100
"""Alert changes per unsent chunk (a change is about 1 KB of JSON)."""

MEMO_PRUNE_AT = 20_000
"""Memoised weeks of an org past which the old ones are dropped (or twice what the last
pruning kept, when that is more: an org with more contributors than MEMO_PRUNE_AT /
MEMO_WEEKS would otherwise scan its memo at every evaluation)."""


def clock_key(org_id: str) -> str:
    """Store key of the event time at which the org's patterns were last evaluated."""
    return f"alerts_clock|{org_id}"


def unsent_key(org_id: str, chunk: int | None = None) -> str:
    """Store key of how many chunks of unsent changes the org has (`chunk` None), or of
    one chunk: a list of at most UNSENT_CHUNK alert changes not yet on the topic and
    table. Chunked so that no state value outgrows a Kafka message when a full evaluation
    changes thousands of alerts at once."""
    base = f"alerts_unsent|{org_id}"
    return base if chunk is None else f"{base}|{chunk}"


class Alerting:
    """Evaluates an org's patterns against one policy.

    The worker evaluates each org at the end of every batch and, inside a batch, whenever
    the org's event-time date is about to move on: a backlog folded in one batch still
    gets an evaluation per day, as it would have live, so its alerts fire on the day
    their threshold was crossed whatever the batch sizes."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.project_days = ProjectDays({})
        """Project days memoised across evaluations (a project's status reads every day it
        had time on); invalidated for the days and cost rates each evaluation's events
        changed."""
        self.weeks: WeeksMemo = {}
        """Per org, contributor weeks memoised across evaluations; invalidated for the weeks
        each evaluation's events touched, and pruned to the weeks patterns read."""
        self._prune_at: dict[str, int] = {}
        """Per org, the memo size at which its old weeks are dropped next."""

    def forget(self) -> None:
        """Drop memoised figures (the store's contents moved, e.g. partitions revoked)."""
        self.project_days.clear()
        self.weeks.clear()
        self._prune_at.clear()

    def _weeks_memo(
        self, org_id: str, touched: fold.Touched, now: dt.datetime
    ) -> dict[tuple[str, dt.date], ContributorWeek]:
        memo = self.weeks.setdefault(org_id, {})
        for o, contributor, monday in touched.changed_weeks:
            if o == org_id:
                memo.pop((contributor, dt.date.fromisoformat(monday)), None)
        oldest = now.date() - dt.timedelta(weeks=MEMO_WEEKS)
        if len(memo) > self._prune_at.get(org_id, MEMO_PRUNE_AT):
            for key in [k for k in memo if k[1] < oldest]:
                del memo[key]
            self._prune_at[org_id] = max(MEMO_PRUNE_AT, 2 * len(memo))
        return memo

    def changes(
        self, store: MutableMapping[str, Any], org_id: str, touched: fold.Touched
    ) -> list[Alert]:
        """Evaluate the org's patterns on what `touched` names and advance their alerts;
        return the new changes. They are also added to the org's unsent changes, which
        stay in the store until `sent`."""
        now = org.now(store, org_id)
        if now is None:
            return []
        previous = store.get(clock_key(org_id))
        self.project_days.store = store
        self.project_days.forget_days(touched.days)
        for (o, contributor_id), since in touched.costs_changed.items():
            if o == org_id:
                self.project_days.forget_costs(org_id, contributor_id, since)
        findings = evaluate(
            store,
            org_id,
            self.policy,
            touched,
            dt.datetime.fromisoformat(previous) if previous else None,
            self.project_days,
            self._weeks_memo(org_id, touched, now),
        )
        new = lifecycle.advance(store, findings, now)
        store[clock_key(org_id)] = utc_iso(now)
        if new:
            _keep_unsent(store, org_id, new)
        return new

    @staticmethod
    def unsent(store: MutableMapping[str, Any], org_id: str) -> list[Alert]:
        """The org's changes not yet on the topic and table: earlier runs' and new ones."""
        chunks = store.get(unsent_key(org_id)) or 0
        return [a for i in range(chunks) for a in store.get(unsent_key(org_id, i)) or []]

    @staticmethod
    def sent(store: MutableMapping[str, Any], alerts: list[Alert]) -> None:
        """Forget the unsent changes of the orgs `alerts` belong to (all were sent)."""
        for org_id in sorted({a["org_id"] for a in alerts}):
            chunks = store.get(unsent_key(org_id)) or 0
            for i in range(chunks):
                store[unsent_key(org_id, i)] = []
            if chunks:
                store[unsent_key(org_id)] = 0


def _keep_unsent(store: MutableMapping[str, Any], org_id: str, new: list[Alert]) -> None:
    """Append changes to the org's unsent chunks, filling the last one first."""
    chunks = store.get(unsent_key(org_id)) or 0
    last = list(store.get(unsent_key(org_id, chunks - 1)) or []) if chunks else []
    start = chunks - 1 if chunks else 0
    pending = last + new
    for n, offset in enumerate(range(0, len(pending), UNSENT_CHUNK)):
        store[unsent_key(org_id, start + n)] = pending[offset : offset + UNSENT_CHUNK]
    store[unsent_key(org_id)] = start + -(-len(pending) // UNSENT_CHUNK)


class AlertingFold:
    """Folds a batch of events with the pattern evaluations at their event-time points.

    Each org is evaluated whenever an event is about to move its event-time date on, and
    once more at `finish`. What the evaluations saw is gathered in `touched`, the rows to
    write. With `alerting` None (alerts disabled) it only folds.
    """

    def __init__(self, alerting: Alerting | None, store: MutableMapping[str, Any]) -> None:
        self.alerting = alerting
        self.store = store
        self.touched = fold.Touched()
        self._pending: dict[str, fold.Touched] = {}
        """Per org, what was folded since its last evaluation."""
        self._dates: dict[str, dt.date | None] = {}
        """Per org, the date of its event-time clock (None before its first event)."""

    def apply(self, event: BaseEvent) -> fold.Touched:
        """Fold one event; return the Touched it was recorded in (its org's pending)."""
        if self.alerting is None:
            fold.apply(self.store, event, self.touched)
            return self.touched
        o = event.org_id
        day = event.occurred_at.astimezone(dt.UTC).date()
        if o not in self._dates:
            now = org.now(self.store, o)
            self._dates[o] = now.date() if now is not None else None
        known = self._dates[o]
        if known is None or day > known:
            if o in self._pending:
                self._evaluate(o, self._pending.pop(o))
            self._dates[o] = day
        pending = self._pending.get(o)
        if pending is None:
            pending = self._pending[o] = fold.Touched()
        fold.apply(self.store, event, pending)
        return pending

    def finish(self) -> list[Alert]:
        """Evaluate what is left; return every unsent change of the orgs touched."""
        for o, pending in sorted(self._pending.items()):
            self._evaluate(o, pending)
        self._pending.clear()
        if self.alerting is None:
            return []
        return [a for o in sorted(self.touched.orgs()) for a in self.alerting.unsent(self.store, o)]

    def _evaluate(self, org_id: str, pending: fold.Touched) -> None:
        if self.alerting is not None:
            self.alerting.changes(self.store, org_id, pending)
        self.touched.update(pending)
