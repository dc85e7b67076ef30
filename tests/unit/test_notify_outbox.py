"""The outbox: one row per state change of an alert and channel, kept across reopenings."""

from __future__ import annotations

from pathlib import Path

from sinks.notify import Outbox
from tests.notify_support import alert, resolved


def test_a_redelivered_alert_queues_nothing_even_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    outbox = Outbox(path)
    assert outbox.add(["mail", "hook"], alert()) == 2
    assert outbox.add(["mail", "hook"], alert()) == 0
    first = outbox.next_pending("mail")
    assert first is not None
    outbox.delivered(first.seq)
    outbox.close()

    reopened = Outbox(path)
    assert reopened.add(["mail", "hook"], alert()) == 0
    assert reopened.next_pending("mail") is None  # delivered stays delivered
    assert reopened.counts() == {
        "mail": {"pending": 0, "delivered": 1, "rejected": 0},
        "hook": {"pending": 1, "delivered": 0, "rejected": 0},
    }
    # a new state of the same alert is a new delivery
    assert reopened.add(["mail"], alert(severity="critical")) == 1
    assert reopened.add(["mail"], resolved(alert())) == 1
    reopened.close()


def test_a_severity_that_comes_back_is_a_new_delivery(tmp_path: Path) -> None:
    """warning -> critical -> warning: the second warning is a change of its own (later
    updated_at); the same change sent again is not."""
    outbox = Outbox(tmp_path / "o.sqlite")
    assert outbox.add(["c"], alert(updated_at="2026-11-02T09:00:00+00:00")) == 1
    assert outbox.add(["c"], alert(severity="critical", updated_at="2026-11-03T09:00:00+00:00"))
    lowered = alert(updated_at="2026-11-04T09:00:00+00:00")
    assert outbox.add(["c"], lowered) == 1
    assert outbox.add(["c"], lowered) == 0
    outbox.close()


def test_rows_go_out_per_channel_in_the_order_they_were_queued(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.add(["c"], alert(alert_id="a1"))
    outbox.add(["c"], alert(alert_id="a2"))
    outbox.add(["c"], resolved(alert(alert_id="a1")))
    order = []
    while (row := outbox.next_pending("c")) is not None:
        order.append((row.alert["alert_id"], row.alert["status"]))
        outbox.delivered(row.seq)
    assert order == [("a1", "firing"), ("a2", "firing"), ("a1", "resolved")]


def test_failed_attempts_are_counted_and_rejected_rows_are_set_aside(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.add(["c"], alert(alert_id="a1"))
    outbox.add(["c"], alert(alert_id="a2"))
    row = outbox.next_pending("c")
    assert row is not None and row.attempts == 0
    assert outbox.failed(row.seq, "boom") == 1
    assert outbox.failed(row.seq, "boom") == 2
    again = outbox.next_pending("c")
    assert again is not None and (again.seq, again.attempts) == (row.seq, 2)
    outbox.rejected(row.seq, "HTTP 400")
    following = outbox.next_pending("c")
    assert following is not None and following.alert["alert_id"] == "a2"
    assert outbox.counts()["c"] == {"pending": 1, "delivered": 0, "rejected": 1}


def test_firing_lists_the_alerts_whose_latest_delivered_state_fires(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite")
    for document in [
        alert(alert_id="a1"),
        alert(alert_id="a2"),
        alert(alert_id="a2", severity="critical"),
        resolved(alert(alert_id="a1")),
        alert(alert_id="a3"),  # still pending: not in Alertmanager yet
    ]:
        outbox.add(["am"], document)
        row = outbox.next_pending("am")
        assert row is not None
        if document["alert_id"] != "a3":
            outbox.delivered(row.seq)
    assert [(a["alert_id"], a["severity"]) for a in outbox.firing("am")] == [("a2", "critical")]
