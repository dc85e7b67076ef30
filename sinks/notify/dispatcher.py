"""The dispatcher: queue alerts in the outbox, deliver them per channel with retries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sinks.notify.channels import DeliveryError, Notifier, build_notifier
from sinks.notify.outbox import Outbox
from sinks.notify.routing import Routing

log = logging.getLogger(__name__)

_KEY_FIELDS = ("alert_id", "status", "severity", "audience")


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (n >= 1): initial * factor**(n-1), capped at maximum.

    `jitter` (0..1) shortens each delay by up to that fraction, drawn from `rng`; with the
    default 0 the schedule is deterministic.
    """

    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    jitter: float = 0.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the attempt-th consecutive failure."""
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        if self.jitter and rng is not None:
            base *= 1 - self.jitter * rng.random()
        return base


class Dispatcher:
    """Delivers alerts to the channels the routing names, through a durable outbox.

    `submit` only writes the outbox (one SQLite transaction, no network); one task per
    channel sends its pending rows in order, retrying with capped exponential backoff, so
    a failing channel holds up only itself. Delivery is at least once: a crash between a
    send and its bookkeeping sends that row again after the restart.
    """

    def __init__(
        self,
        routing: Routing,
        outbox_path: Path,
        *,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        backoff_factor: float = 2.0,
        jitter: float = 0.0,
        notifiers: Mapping[str, Notifier] | None = None,
        stop_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.routing = routing
        self.backoff = Backoff(backoff_initial, backoff_max, backoff_factor, jitter)
        self.outbox_path = Path(outbox_path)
        self._outbox = Outbox(self.outbox_path)
        self._counts: dict[str, dict[str, int]] = {}
        self._given_notifiers = dict(notifiers or {})
        self._notifiers: dict[str, Notifier] = {}
        self._stop_timeout = stop_timeout
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._client: httpx.AsyncClient | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {name: asyncio.Event() for name in routing.channels}
        self._stopping = asyncio.Event()
        self._delivered = dict.fromkeys(routing.channels, 0)
        self._failed = dict.fromkeys(routing.channels, 0)

    async def start(self) -> None:
        """Start one delivery task per channel; rows left pending by a previous run go first."""
        if self._tasks:
            return
        if self._outbox.closed:
            self._outbox = Outbox(self.outbox_path)
        self._stopping.clear()
        self._client = httpx.AsyncClient()
        for name, channel in self.routing.channels.items():
            notifier = self._given_notifiers.get(name) or build_notifier(channel, self._client)
            self._notifiers[name] = notifier
            self._tasks[name] = asyncio.create_task(self._run(name), name=f"notify:{name}")
        counts = self._outbox.counts()
        for name in sorted(set(counts) - set(self.routing.channels)):
            pending = counts[name]["pending"]
            if pending:
                log.warning(
                    "outbox: %d pending rows for channel %r, not in the routing", pending, name
                )

    async def submit(self, alert: Mapping[str, Any]) -> int:
        """Queue the alert for each of its channels; returns the number of new deliveries.

        A redelivered (alert_id, status, severity, updated_at) queues nothing. Raises
        ValueError for an alert without its key fields.
        """
        missing = [key for key in _KEY_FIELDS if not alert.get(key)]
        if missing:
            raise ValueError(f"alert without {', '.join(missing)}: {dict(alert)!r:.200}")
        channels = self.routing.channels_for(alert)
        if not channels:
            return 0
        added = self._outbox.add(channels, alert)
        if added:
            for name in channels:
                self._wake[name].set()
        return added

    async def stop(self) -> None:
        """Stop delivering: sends in flight get stop_timeout to finish; pending rows stay."""
        self._stopping.set()
        for event in self._wake.values():
            event.set()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self._stop_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._counts = self._outbox.counts()
        self._outbox.close()

    def stats(self) -> dict[str, dict[str, int]]:
        """Per channel: delivered and failed attempts since start, pending and rejected rows."""
        counts = self._counts if self._outbox.closed else self._outbox.counts()
        return {
            name: {
                "delivered": self._delivered[name],
                "failed": self._failed[name],
                "pending": counts.get(name, {}).get("pending", 0),
                "rejected": counts.get(name, {}).get("rejected", 0),
            }
            for name in self.routing.channels
        }

    async def _run(self, name: str) -> None:
        while not self._stopping.is_set():
            try:
                await self._deliver(name)
            except Exception:
                # The outbox itself failed (disk full, locked): keep the channel's task alive.
                log.exception("channel %s: delivery loop failed, restarting it", name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.backoff.maximum)

    async def _deliver(self, name: str) -> None:
        notifier = self._notifiers[name]
        wake = self._wake[name]
        last_refresh = -float("inf")
        while not self._stopping.is_set():
            row = self._outbox.next_pending(name)
            if row is None:
                wake.clear()
                interval = notifier.refresh_interval
                if interval is None:
                    await wake.wait()
                    continue
                if time.monotonic() - last_refresh >= interval:
                    last_refresh = time.monotonic()
                    await self._refresh(name, notifier)
                    continue
                remaining = interval - (time.monotonic() - last_refresh)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), remaining)
                continue
            try:
                await notifier.send(row.alert)
            except Exception as e:
                error = e if isinstance(e, DeliveryError) else DeliveryError(repr(e))
                if not isinstance(e, DeliveryError):
                    log.exception("channel %s: unexpected error from the notifier", name)
                self._failed[name] += 1
                if error.permanent:
                    self._outbox.rejected(row.seq, str(error))
                    log.error(
                        "channel %s refused alert %s (%s) for good, set aside: %s",
                        name,
                        row.alert.get("alert_id"),
                        row.alert.get("status"),
                        error,
                    )
                    continue
                attempts = self._outbox.failed(row.seq, str(error))
                delay = self.backoff.delay(attempts, self._rng)
                log.warning(
                    "channel %s: delivery of alert %s (%s) failed (attempt %d), retry in %.2fs: %s",
                    name,
                    row.alert.get("alert_id"),
                    row.alert.get("status"),
                    attempts,
                    delay,
                    error,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                continue
            self._outbox.delivered(row.seq)
            self._delivered[name] += 1

    async def _refresh(self, name: str, notifier: Notifier) -> None:
        firing = self._outbox.firing(name)
        if not firing:
            return
        try:
            await notifier.refresh(firing)
        except Exception as e:
            # The next refresh tries again; the outbox rows are already delivered.
            log.warning("channel %s: refresh of %d firing alerts failed: %s", name, len(firing), e)
