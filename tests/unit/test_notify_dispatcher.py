"""The dispatcher with in-memory notifiers: dedup, isolation of channels, retries, restarts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from sinks.notify import Backoff, DeliveryError, Dispatcher, MemoryNotifier, parse_routing
from tests.notify_support import alert, ops_alert, resolved

ROUTING = parse_routing(
    {
        "channels": {
            "ops-a": {"kind": "webhook", "url": "http://h/a"},
            "ops-b": {"kind": "webhook", "url": "http://h/b"},
            "ana": {"kind": "webhook", "url": "http://h/ana"},
        },
        "ops": {"channels": ["ops-a", "ops-b"]},
        "contributors": {"ana": {"channels": ["ana"]}},
    }
)


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(initial=1.0, maximum=10.0)
    assert [backoff.delay(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert Backoff(initial=0.5, maximum=60, factor=3).delay(3) == 4.5


def test_jitter_only_shortens_and_is_reproducible_with_a_seeded_rng() -> None:
    backoff = Backoff(initial=1.0, maximum=10.0, jitter=0.5)
    delays = [backoff.delay(n, random.Random(7)) for n in range(1, 6)]
    assert delays == [backoff.delay(n, random.Random(7)) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        assert Backoff(1.0, 10.0).delay(n) / 2 <= delay <= Backoff(1.0, 10.0).delay(n)


async def until(condition: Callable[[], bool], deadline: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not condition():
        assert loop.time() < end, "condition not met before the deadline"
        await asyncio.sleep(0.01)


def dispatcher(tmp_path: Path, notifiers: dict[str, MemoryNotifier]) -> Dispatcher:
    return Dispatcher(
        ROUTING,
        tmp_path / "outbox.sqlite",
        backoff_initial=0.01,
        backoff_max=0.05,
        notifiers=notifiers,
    )


def memory() -> dict[str, MemoryNotifier]:
    return {name: MemoryNotifier() for name in ROUTING.channels}


def test_each_state_is_sent_once_per_channel_of_its_audience(tmp_path: Path) -> None:
    notifiers = memory()

    async def scenario() -> None:
        d = dispatcher(tmp_path, notifiers)
        await d.start()
        assert await d.submit(ops_alert()) == 2
        assert await d.submit(ops_alert()) == 0  # redelivered upstream
        assert await d.submit(alert()) == 1
        assert await d.submit(alert(subject_id="carla")) == 0  # no route: nowhere
        assert await d.submit(resolved(ops_alert())) == 2
        await until(lambda: d.stats()["ops-b"]["delivered"] == 2)
        await until(lambda: d.stats()["ana"]["delivered"] == 1)
        await d.stop()
        assert d.stats()["ops-a"] == {"delivered": 2, "failed": 0, "pending": 0, "rejected": 0}

    asyncio.run(scenario())
    assert [(a["alert_id"], a["status"]) for a in notifiers["ops-a"].sent] == [
        ("a-budget-p1-1", "firing"),
        ("a-budget-p1-1", "resolved"),
    ]
    assert [a["subject_id"] for a in notifiers["ana"].sent] == ["ana"]
    assert all(a["audience"] == "ops" for a in notifiers["ops-a"].sent + notifiers["ops-b"].sent)


def test_a_failing_channel_retries_without_holding_up_the_others(tmp_path: Path) -> None:
    notifiers = memory()
    notifiers["ops-a"].fail = DeliveryError("connection refused")

    async def scenario() -> None:
        d = dispatcher(tmp_path, notifiers)
        await d.start()
        await d.submit(ops_alert())
        await until(lambda: len(notifiers["ops-b"].sent) == 1)
        await until(lambda: d.stats()["ops-a"]["failed"] >= 3)
        assert d.stats()["ops-a"]["pending"] == 1
        notifiers["ops-a"].fail = None
        await until(lambda: d.stats()["ops-a"]["delivered"] == 1)
        await d.stop()

    asyncio.run(scenario())
    assert len(notifiers["ops-a"].sent) == 1


def test_a_permanent_refusal_is_set_aside_and_the_next_alert_goes_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifiers = memory()
    notifiers["ana"].fail = DeliveryError("HTTP 400", permanent=True)

    async def scenario() -> None:
        d = dispatcher(tmp_path, notifiers)
        await d.start()
        await d.submit(alert(alert_id="bad"))
        await until(lambda: d.stats()["ana"]["rejected"] == 1)
        notifiers["ana"].fail = None
        await d.submit(alert(alert_id="good"))
        await until(lambda: d.stats()["ana"]["delivered"] == 1)
        await d.stop()

    asyncio.run(scenario())
    assert [a["alert_id"] for a in notifiers["ana"].sent] == ["good"]
    assert "refused alert bad" in caplog.text


def test_pending_rows_survive_a_restart_and_delivered_ones_are_not_resent(
    tmp_path: Path,
) -> None:
    first, second = memory(), memory()
    first["ops-a"].fail = DeliveryError("down")

    async def run_first() -> None:
        d = dispatcher(tmp_path, first)
        await d.start()
        await d.submit(ops_alert())
        await until(lambda: d.stats()["ops-b"]["delivered"] == 1)
        await until(lambda: d.stats()["ops-a"]["failed"] >= 1)
        await d.stop()
        assert d.stats()["ops-a"]["pending"] == 1

    async def run_second() -> None:
        d = dispatcher(tmp_path, second)
        assert await d.submit(ops_alert()) == 0  # redelivered after the restart
        await d.start()
        await until(lambda: d.stats()["ops-a"]["delivered"] == 1)
        await d.stop()

    asyncio.run(run_first())
    asyncio.run(run_second())
    assert len(second["ops-a"].sent) == 1
    assert second["ops-b"].sent == []


def test_submit_rejects_an_alert_without_its_key_fields(tmp_path: Path) -> None:
    async def scenario() -> None:
        d = dispatcher(tmp_path, memory())
        with pytest.raises(ValueError, match="status"):
            await d.submit({**alert(), "status": None})
        await d.stop()

    asyncio.run(scenario())


def test_a_refreshing_channel_is_reminded_of_its_firing_alerts_only(tmp_path: Path) -> None:
    notifiers = memory()
    notifiers["ops-a"] = MemoryNotifier(refresh_interval=0.02)
    refreshed = notifiers["ops-a"].refreshed

    def ids() -> list[str]:
        return [a["alert_id"] for a in refreshed[-1]] if refreshed else []

    async def scenario() -> None:
        d = dispatcher(tmp_path, notifiers)
        await d.start()
        await d.submit(ops_alert(alert_id="p1"))
        await d.submit(ops_alert(alert_id="p2", subject_id="p2"))
        await until(lambda: ids() == ["p1", "p2"])
        await d.submit(resolved(ops_alert(alert_id="p1")))
        await until(lambda: ids() == ["p2"])
        await d.stop()

    asyncio.run(scenario())
    assert [(a["alert_id"], a["status"]) for a in notifiers["ops-a"].sent] == [
        ("p1", "firing"),
        ("p2", "firing"),
        ("p1", "resolved"),
    ]
