"""Unsent alert changes are kept in bounded chunks until the topic has them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from projections.fold import Touched
from projections.patterns.policy import Policy
from streams import alerting
from streams.alerting import Alerting


def change(n: int) -> dict[str, Any]:
    return {"alert_id": f"a{n}", "org_id": "acme", "summary": "x" * 800}


def test_thousands_of_changes_are_kept_in_chunks_in_order_and_forgotten_once_sent() -> None:
    store: dict[str, Any] = {}
    alerting._keep_unsent(store, "acme", [change(n) for n in range(150)])
    alerting._keep_unsent(store, "acme", [change(n) for n in range(150, 2_030)])
    kept = Alerting.unsent(store, "acme")
    assert [a["alert_id"] for a in kept] == [f"a{n}" for n in range(2_030)]
    chunks = [v for k, v in store.items() if k.startswith("alerts_unsent|acme|")]
    assert len(chunks) == 21
    assert max(len(orjson.dumps(chunk)) for chunk in chunks) < 128 * 1024
    Alerting.sent(store, kept)
    assert Alerting.unsent(store, "acme") == []
    alerting._keep_unsent(store, "acme", [change(7)])
    assert [a["alert_id"] for a in Alerting.unsent(store, "acme")] == ["a7"]


def test_orgs_keep_their_own_unsent_changes() -> None:
    store: dict[str, Any] = {}
    alerting._keep_unsent(store, "acme", [change(1)])
    alerting._keep_unsent(store, "beta", [{**change(2), "org_id": "beta"}])
    Alerting.sent(store, Alerting.unsent(store, "acme"))
    assert Alerting.unsent(store, "acme") == []
    assert [a["alert_id"] for a in Alerting.unsent(store, "beta")] == ["a2"]


def test_the_week_memo_drops_old_weeks_once_past_its_limit_and_keeps_recent_ones() -> None:
    now = dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC)
    old, recent = dt.date(2025, 1, 6), dt.date(2026, 2, 23)
    kept = alerting.MEMO_PRUNE_AT - 1
    memo: dict[Any, Any] = {(f"c{i}", recent): i for i in range(kept)}
    found = Alerting(Policy())
    found.weeks["org"] = memo
    memo[("c0", old)] = "old"
    assert len(found._weeks_memo("org", Touched(), now)) == alerting.MEMO_PRUNE_AT  # at it
    memo[("c1", old)] = "old"  # past the limit: the old weeks go, the recent ones stay
    assert found._weeks_memo("org", Touched(), now) == {(f"c{i}", recent): i for i in range(kept)}
    touched = Touched(changed_weeks={("org", "c5", recent.isoformat())})
    assert ("c5", recent) not in found._weeks_memo("org", touched, now)  # changed: dropped
