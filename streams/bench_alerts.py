"""The alerts part of `make bench`: threshold-to-alert latency under background load.

After the backlog, a producer publishes background time entries at a set rate while,
half-way through, a new project is planned and then one entry takes it past 80% of its
planned hours (`budget_burn`). The figure is the time from sending that entry to its
alert on the alerts topic.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from streams.settings import Settings

PROBE_PLANNED_HOURS = 10
PROBE_MINUTES = 9 * 60
"""9 of 10 planned hours: past budget_burn's 80% warning."""


@dataclass(frozen=True)
class AlertLatency:
    """One probe: the seconds from the crossing event's send to its alert on the topic,
    and the background rate actually published meanwhile."""

    seconds: float
    background_events: int
    background_rate: float
    shape: str = "day"
    """The background load's shape (LOAD_SHAPES)."""


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


DAY_CONTRIBUTORS = 2_000
FIRM_CONTRIBUTORS = 20_000
FIRM_PROJECT_SIZE = 100
FIRM_LATE_EVERY = 10

LOAD_SHAPES = ("day", "firm")
"""Background loads of the probes.

- `day`: 2,000 contributors log billable half hours on the probe's work_date, all on one
  project. Over a default run each contributor-day collects about 100 entries, more than a
  working day holds, but every take touches the same few thousand days.
- `firm`: a large firm's working day. 20,000 contributors log one-hour entries on 200
  projects of 100 contributors; nine entries in ten are for the probe's work_date, one in
  ten for the same weekday a week before (a timesheet filled in late, which reopens a
  complete week's patterns). A contributor-day collects about 7 entries, and nearly every
  entry of a take is a contributor not seen since the take before, with its own rows.
"""


def background_event(
    org_id: str, start: dt.datetime, work_date: dt.date, n: int, shape: str = "day"
) -> bytes:
    """The `n`th background entry of a load shape (see LOAD_SHAPES)."""
    if shape == "firm":
        contributor = n % FIRM_CONTRIBUTORS
        late = n % FIRM_LATE_EVERY == FIRM_LATE_EVERY - 1
        day = work_date - dt.timedelta(weeks=1) if late else work_date
        project, minutes = f"bench-load-{contributor // FIRM_PROJECT_SIZE}", 60
    else:
        contributor, day, project, minutes = n % DAY_CONTRIBUTORS, work_date, "bench-load", 30
    return orjson.dumps(
        {
            "event_id": f"bench-load-{n}",
            "type": "time.logged",
            "occurred_at": _stamp(start + dt.timedelta(milliseconds=n)),
            "org_id": org_id,
            "source": "bench",
            "entry_id": f"bench-load-{n}",
            "contributor_id": f"load-{contributor}",
            "project_id": project,
            "work_date": day.isoformat(),
            "minutes": minutes,
            "billable": True,
        }
    )


def crossing_events(
    org_id: str, at: dt.datetime, work_date: dt.date, number: int
) -> tuple[str, bytes, bytes]:
    """(project_id, its plan, the entry that crosses budget_burn's threshold)."""
    project = f"bench-alert-probe-{number}"
    plan = {
        "event_id": f"{project}-plan",
        "type": "project.planned",
        "occurred_at": _stamp(at),
        "org_id": org_id,
        "project_id": project,
        "billing": "time_and_materials",
        "bill_rate": 100,
        "planned_hours": PROBE_PLANNED_HOURS,
        "start_date": (work_date - dt.timedelta(days=60)).isoformat(),
        "end_date": (work_date + dt.timedelta(days=60)).isoformat(),
    }
    entry = {
        "event_id": f"{project}-entry",
        "type": "time.logged",
        "occurred_at": _stamp(at + dt.timedelta(milliseconds=1)),
        "org_id": org_id,
        "entry_id": f"{project}-entry",
        "contributor_id": f"probe-alert-{number}",
        "project_id": project,
        "work_date": work_date.isoformat(),
        "minutes": PROBE_MINUTES,
        "billable": True,
    }
    return project, orjson.dumps(plan), orjson.dumps(entry)


async def alert_latency(
    settings: Settings,
    org_id: str,
    start: dt.datetime,
    work_date: dt.date,
    number: int,
    rate: float,
    seconds: float,
    timeout: float,
    shape: str = "day",
) -> AlertLatency:
    """Publish background entries of a load `shape` at `rate` for `seconds`, and half-way
    the probe; return how long its alert took to reach the alerts topic."""
    consumer = AIOKafkaConsumer(
        settings.topic_alerts, bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        await consumer.seek_to_end()
        base = number * 10_000_000
        background = asyncio.ensure_future(
            _background(producer, settings, org_id, start, work_date, base, rate, seconds, shape)
        )
        await asyncio.sleep(seconds / 2)
        project, plan, entry = crossing_events(
            org_id, start + dt.timedelta(seconds=seconds / 2), work_date, number
        )
        key = org_id.encode()
        await producer.send_and_wait(settings.topic_events, key=key, value=plan)
        sent = time.monotonic()
        await producer.send_and_wait(settings.topic_events, key=key, value=entry)
        found = await _alert_for(consumer, project, sent + timeout)
        count, published_for = await background
        return AlertLatency(found - sent, count, count / published_for, shape)
    finally:
        await producer.stop()
        await consumer.stop()


async def _background(
    producer: AIOKafkaProducer,
    settings: Settings,
    org_id: str,
    start: dt.datetime,
    work_date: dt.date,
    base: int,
    rate: float,
    seconds: float,
    shape: str,
) -> tuple[int, float]:
    """Send at `rate` events/s (in 50 ms slices) for `seconds`; return (sent, seconds)."""
    begin = time.monotonic()
    sent = 0
    key = org_id.encode()
    while (elapsed := time.monotonic() - begin) < seconds:
        due = int(rate * elapsed) - sent
        for n in range(sent, sent + max(due, 0)):
            value = background_event(org_id, start, work_date, base + n, shape)
            await producer.send(settings.topic_events, key=key, value=value)
        sent += max(due, 0)
        await asyncio.sleep(0.05)
    await producer.flush()
    return sent, time.monotonic() - begin


async def _alert_for(consumer: AIOKafkaConsumer, project: str, deadline: float) -> float:
    """The monotonic time at which a budget_burn alert on `project` was read."""
    while time.monotonic() < deadline:
        for records in (await consumer.getmany(timeout_ms=100)).values():
            for record in records:
                alert = orjson.loads(record.value)
                if alert["subject_id"] == project and alert["pattern"] == "budget_burn":
                    return time.monotonic()
    raise TimeoutError(f"no budget_burn alert for {project} on the alerts topic")
