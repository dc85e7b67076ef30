"""Scenario tests' shared machinery: run events through the worker's alerting fold.

A *run* does per batch exactly what the worker does (`streams.app._fold_partition`): a
fresh `AlertingFold` on the kept store, apply every event, `finish()`, then mark the
changes sent. The helpers here cut a list of events into batches on event-time day
boundaries, so a test can check that where the cuts fall changes nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from events.models import BaseEvent
from projections.patterns.policy import Policy
from streams.alerting import Alert, Alerting, AlertingFold


class Run:
    """One worker's state over successive batches, with every change it emitted."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self.store: dict[str, Any] = {}
        self.changes: list[Alert] = []

    def batch(self, events: Iterable[BaseEvent]) -> list[Alert]:
        """Fold one batch as the worker does; return the changes it sent."""
        folder = AlertingFold(Alerting(self.policy), self.store)
        for e in events:
            folder.apply(e)
        changes = folder.finish()
        Alerting.sent(self.store, changes)
        self.changes += changes
        return changes

    def batches(self, batches: Iterable[Sequence[BaseEvent]]) -> list[Alert]:
        """Fold several batches; return the changes they sent, in order."""
        return [a for b in batches for a in self.batch(b)]

    def daily(self, events: Sequence[BaseEvent]) -> list[Alert]:
        """Fold one batch per event-time day (events in the order given)."""
        return self.batches(by_day(events))


def by_day(events: Sequence[BaseEvent]) -> list[list[BaseEvent]]:
    """Consecutive events grouped by their occurred_at's UTC date."""
    return [
        list(group)
        for _day, group in itertools.groupby(events, key=lambda e: utc_date(e.occurred_at))
    ]


def utc_date(moment: dt.datetime) -> dt.date:
    """The UTC calendar date of an aware timestamp."""
    return moment.astimezone(dt.UTC).date()


def chronological(events: Iterable[BaseEvent]) -> list[BaseEvent]:
    """Events sorted by occurred_at (stable: ties keep their order)."""
    return sorted(events, key=lambda e: e.occurred_at)


def key(change: Alert) -> tuple[str, str, str, str]:
    """(alert_id, status, severity, event-time date of the change)."""
    return (change["alert_id"], change["status"], change["severity"], change["updated_at"][:10])


def summary(change: Alert) -> tuple[str, str, str, str, str, str, str]:
    """(pattern, audience, subject_type, subject_id, status, severity, date): what a person
    reading the alert sees of it, without the hash."""
    return (
        change["pattern"],
        change["audience"],
        change["subject_type"],
        change["subject_id"],
        change["status"],
        change["severity"],
        change["updated_at"][:10],
    )
