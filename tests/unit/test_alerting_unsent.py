"""Unsent alert changes are kept in bounded chunks until the topic has them."""

from __future__ import annotations

from typing import Any

import orjson

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
