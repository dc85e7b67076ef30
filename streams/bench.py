"""Throughput benchmark: a realistic workload through one worker, from topic to ClickHouse rows.

`python -m streams.bench` (or `make bench`) generates a deterministic workload of an agency's
events, starts its own Kafka broker on free loopback ports with a fresh state folder under
`<state_dir>/bench/<run-id>`, pre-fills a new events topic, starts one worker, and measures:

- end-to-end events/s: from the worker's start until every event is stored and projected
  and the rows are flushed (as `streams.publish.wait_until_processed` defines it), also
  without the worker's start-up;
- the time one more event takes to show up as a `contributor_daily` row once the backlog
  is done, read through the worker's /query endpoint;
- the worker's peak resident memory (VmHWM);
- the rate of a bare aiokafka consumer on the same topic, for scale;
- the floor: what the worker's steps for every event (read, validate, store the event,
  persist its keyed state, store its day's row) cost alone on one Python thread, on a
  sample of the same shape, once everything else is stopped (`streams/bench_floor.py`);
- row counts of the projection tables, as a sanity check.

Everything it starts is stopped at the end, also on errors, Ctrl-C and SIGTERM. The bulky
data (broker log segments, chDB, RocksDB) is removed afterwards unless `--keep-data`; the
logs stay. On a shared machine, the run stops early, printing the figures so far, when the
worker's RSS passes `--rss-limit-mb` or the machine has less than 1 GB available.

Exit code 0 when the run completed (whether or not the targets were met), 1 when something
failed, the run stopped early or a sanity check did not hold, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from sinks.clickhouse import WarehouseError
from sinks.snapshot import PROJECTION_TABLES
from streams.bench_alerts import LOAD_SHAPES, AlertLatency, alert_latency
from streams.bench_floor import Floor
from streams.local_kafka import BrokerError, LocalKafka
from streams.localstack import LocalWorker, StackError
from streams.processes import free_port
from streams.publish import PublishResult, WaitTimeout, publish_lines, wait_until_processed
from streams.reader import WorkerReader, worker_health
from streams.settings import Settings, names_apart
from streams.topics import ensure_topics

TARGET_EVENTS_PER_SECOND = 50_000
"""Spec target: end-to-end events/s with one worker on 2 cores."""
TARGET_PEAK_RSS_BYTES = 1024**3
"""Spec target: the worker's peak RSS stays below 1 GB."""

ORG_ID = "bench"
FIRST_DAY = dt.date(2025, 1, 6)
"""A Monday: the first work day of the generated history."""

ROW_TABLES = (*PROJECTION_TABLES, "events")
LOW_MEMORY_BYTES = 1024**3
"""The run stops when the machine has less memory available than this."""
LATENCY_PROBES = 3

LIGHT_ALERT_LOAD = 1000.0
"""Background events/s of the first alert probe: a load one worker keeps up with, so its
latency is the pipeline's own; the next ones (--alert-probes of them) run at --alert-load
(the spec's 5,000), and the target is checked on their median: one probe varies by
seconds from run to run, with where in the worker's cycle the crossing event lands."""

TARGET_ALERTS_SHARE = 0.8
"""With alerts, the end-to-end rate stays within 20% of the projections-only rate."""

TARGET_ALERT_SECONDS = 2.0
"""From an event crossing a threshold to its alert on the topic, at 5,000 events/s."""
"""Extra events published one by one after the backlog, each for a new contributor-day."""

# Per contributor and work day (besides 2-4 time entries).
AMEND_RATE = 0.05
DELETE_RATE = 0.01
TIME_OFF_RATE = 0.015
BLOCK_RATE = 0.003
HANDOFF_RATE = 0.002
REPROFILE_SHARE = 0.03
"""Contributors who get a second profile (a raise, sometimes another team) mid-history."""
REPLAN_SHARE = 0.10
"""Projects re-planned (rescoped) mid-history."""
EVENTS_PER_CONTRIBUTOR_WORKDAY = (1 - TIME_OFF_RATE) * 3 * (1 + AMEND_RATE + DELETE_RATE) + (
    TIME_OFF_RATE + 2 * BLOCK_RATE + 2.75 * HANDOFF_RATE
)
"""Expected events of one contributor's work day, to size the history."""

BLOCK_REASONS = (
    "waiting for client credentials",
    "waiting for design review",
    "environment down",
    "unclear requirements",
    "waiting for another team's API",
)


class BenchError(RuntimeError):
    """The benchmark could not complete a step."""


# --- workload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Project:
    id: str
    team: str
    billing: str
    tasks: int


@dataclass(frozen=True)
class _Contributor:
    id: str
    team: str
    units: tuple[int, int]
    """Range of a work day's length in quarter hours."""
    projects: tuple[_Project, ...]


@dataclass
class Workload:
    """Generated events (JSON lines without line endings) and what they describe."""

    lines: list[bytes]
    contributors: int
    projects: int
    teams: int
    first_day: dt.date
    last_day: dt.date
    last_occurred_at: dt.datetime
    project_ids: list[str]
    by_type: Counter[str]
    seconds: float

    def contributor_days(self) -> int:
        """Distinct (contributor, work_date) named by a time.logged event: the exact row
        count `contributor_daily` must reach (a day an entry left keeps a zero row)."""
        days = set()
        for line in self.lines:
            event = orjson.loads(line)
            if event["type"] == "time.logged":
                days.add((event["contributor_id"], event["work_date"]))
        return len(days)

    @property
    def size_bytes(self) -> int:
        """Bytes of all event values."""
        return sum(len(line) for line in self.lines)


class _Full(Exception):
    """The workload reached its event count."""


def _stamp(day_iso: str, minute: int) -> str:
    return f"{day_iso}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def generate(events: int, contributors: int, projects: int, seed: int) -> Workload:
    """A deterministic workload of exactly `events` events for one org.

    Profiles of every contributor (about 20 teams, cost rates, some part-time), plans of
    every project (every billing model), then work days in order: each contributor logs
    2-4 entries across a few of their projects (some for other teams), about 5% of entries
    are amended later (higher revision, sometimes moved a day) and 1% deleted; some time
    off, blocked and unblocked tasks, handoffs between teams, a weekly decision, a few
    re-profiles and re-plans, and a clock tick at the end of every day, weekends included.
    """
    begin = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not a secret
    team_count = max(1, min(20, contributors // 5))
    teams = [f"team-{i:02d}" for i in range(1, team_count + 1)]
    setup = contributors + projects
    per_week = 5 * contributors * EVENTS_PER_CONTRIBUTOR_WORKDAY + 7
    weeks = max(1, -(-max(0, events - setup) // int(per_week)))
    horizon = FIRST_DAY + dt.timedelta(weeks=weeks)
    if horizon > dt.datetime.now(dt.UTC).date():
        raise BenchError(
            f"{events:,} events over {contributors:,} contributors run to {horizon}, past "
            "today: the worker rejects events dated ahead of its clock (future_occurred_at). "
            "Use more contributors or fewer events."
        )

    plan: list[_Project] = []
    plans: list[dict[str, Any]] = []
    models = ("time_and_materials",) * 5 + ("fixed_fee",) * 3 + ("non_billable",) * 2
    for i in range(projects):
        billing = models[i % len(models)]
        project = _Project(f"p{i + 1:04d}", teams[i % team_count], billing, rng.randint(8, 40))
        plan.append(project)
        start = FIRST_DAY - dt.timedelta(weeks=rng.randint(0, 8))
        end = max(
            start + dt.timedelta(weeks=4),
            horizon + dt.timedelta(weeks=rng.randint(-8, 12)),
        )
        body: dict[str, Any] = {
            "project_id": project.id,
            "name": f"Project {i + 1}",
            "team_id": project.team,
            "billing": billing,
            # Roughly what its share of the org's hours comes to, give or take 40%.
            "planned_hours": round(
                35 * contributors / projects * weeks * rng.uniform(0.6, 1.4) + 40, 1
            ),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "target_margin": rng.choice((0.2, 0.25, 0.3, 0.35)),
        }
        if billing == "time_and_materials":
            body["bill_rate"] = float(rng.choice((95, 110, 125, 140, 160, 180)))
        elif billing == "fixed_fee":
            body["fixed_fee"] = float(round(body["planned_hours"] * rng.uniform(90, 150), -2))
        plans.append(body)

    by_team: dict[str, list[_Project]] = {}
    for project in plan:
        by_team.setdefault(project.team, []).append(project)
    people: list[_Contributor] = []
    profiles: list[dict[str, Any]] = []
    for i in range(contributors):
        team = teams[i % team_count]
        own = by_team.get(team) or plan
        mine = rng.sample(own, min(len(own), rng.randint(2, 4)))
        others = [p for p in plan if p.team != team]
        if others and rng.random() < 0.3:
            mine.append(rng.choice(others))
        capacity = rng.choice((40, 40, 40, 40, 40, 40, 32, 24))
        units = (24, 36) if capacity == 40 else (capacity * 3 // 5, capacity * 4 // 5 + 4)
        person = _Contributor(f"c{i + 1:05d}", team, units, tuple(mine))
        people.append(person)
        profiles.append(
            {
                "contributor_id": person.id,
                "team_id": team,
                "weekly_capacity_hours": float(capacity),
                "target_utilization": rng.choice((0.6, 0.7, 0.75, 0.8, 0.85)),
                "cost_rate": float(rng.randint(35, 110)),
                "effective_from": FIRST_DAY.isoformat(),
            }
        )

    lines: list[bytes] = []
    counts: Counter[str] = Counter()
    append = lines.append
    # orjson (3.12+) returns bytes that keep a buffer of at least 4 KiB; a copy keeps only
    # the JSON, or a million lines would take 4 GB instead of 300 MB.
    dumps = orjson.dumps
    random_ = rng.random
    randint = rng.randint

    def emit(kind: str, at: str, fields: dict[str, Any]) -> None:
        """Append one event (raise _Full when the workload is complete)."""
        body = {
            "event_id": f"bench-{len(lines) + 1}",
            "type": kind,
            "occurred_at": at,
            "org_id": ORG_ID,
            "source": "bench",
            **fields,
        }
        append(memoryview(dumps(body)).tobytes())
        # Original entries take the hot path below; time entries here are amendments.
        counts["time.logged (amendment)" if kind == "time.logged" else kind] += 1
        if len(lines) >= events:
            raise _Full

    # Events due on a later day: day index -> [(minute of day, type, fields)].
    pending: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}

    def later(day: int, minute: int, kind: str, fields: dict[str, Any]) -> None:
        day += minute // 1440
        pending.setdefault(day, []).append((minute % 1440, kind, fields))

    mid = weeks * 7 // 2
    for person, profile in zip(people, profiles, strict=True):
        if rng.random() < REPROFILE_SHARE:
            changed = {**profile, "cost_rate": round(profile["cost_rate"] * 1.1, 2)}
            if team_count > 1 and rng.random() < 0.3:
                changed["team_id"] = rng.choice([t for t in teams if t != person.team])
            day = rng.randint(1, max(1, weeks * 7 - 1))
            changed["effective_from"] = (FIRST_DAY + dt.timedelta(days=day)).isoformat()
            later(day, 8 * 60, "contributor.profiled", changed)
    for body in plans:
        if rng.random() < REPLAN_SHARE:
            replan = {**body, "planned_hours": round(body["planned_hours"] * 1.3, 1)}
            later(mid, 10 * 60, "project.planned", replan)

    blocked: set[str] = set()
    entry = 0
    handoff = 0
    last_at = _stamp((FIRST_DAY - dt.timedelta(days=1)).isoformat(), 12 * 60)
    day = 0
    try:
        for body in profiles:
            emit("contributor.profiled", last_at, body)
        for body in plans:
            emit("project.planned", last_at, body)
        while True:
            date = FIRST_DAY + dt.timedelta(days=day)
            iso = date.isoformat()
            due = sorted(pending.pop(day, []), key=lambda item: item[0])
            evening = [item for item in due if item[0] >= 17 * 60]
            for minute, kind, fields in due:
                if minute >= 17 * 60:
                    break
                emit(kind, _stamp(iso, minute), fields)
            if date.weekday() < 5:
                for person in people:
                    if random_() < TIME_OFF_RATE:
                        off = {"contributor_id": person.id, "date": iso}
                        emit("contributor.time_off", _stamp(iso, 8 * 60), off)
                        continue
                    # The hot path: random() arithmetic instead of randint/choice/sample.
                    at = _stamp(iso, 17 * 60 + int(random_() * 180))
                    low, high = person.units
                    length = low + int(random_() * (high - low + 1))
                    # 2-4 entries (a repeated cut makes one entry fewer).
                    cuts = sorted(
                        {1 + int(random_() * (length - 1)) for _ in range(1 + int(random_() * 3))}
                    )
                    options = person.projects
                    for first, last in zip([0, *cuts], [*cuts, length], strict=True):
                        entry += 1
                        project = options[int(random_() * len(options))]
                        body = {
                            "event_id": f"bench-{len(lines) + 1}",
                            "type": "time.logged",
                            "occurred_at": at,
                            "org_id": ORG_ID,
                            "source": "bench",
                            "entry_id": f"e{entry}",
                            "revision": 1,
                            "contributor_id": person.id,
                            "project_id": project.id,
                            "work_date": iso,
                            "minutes": 15 * (last - first),
                            "billable": project.billing != "non_billable" and random_() < 0.93,
                        }
                        if random_() < 0.7:
                            body["task_id"] = f"{project.id}-t{1 + int(random_() * project.tasks)}"
                        if project.team != person.team:
                            body["for_team_id"] = project.team
                        elif team_count > 1 and random_() < 0.02:
                            body["for_team_id"] = teams[int(random_() * team_count)]
                            body["billable"] = False
                        append(memoryview(dumps(body)).tobytes())
                        counts["time.logged"] += 1
                        if len(lines) >= events:
                            raise _Full
                        chance = random_()
                        if chance < AMEND_RATE:
                            delay = rng.choice((0, 0, 1, 1, 2, 3, 7))
                            minute = randint(20 * 60, 22 * 60) if delay == 0 else randint(480, 960)
                            amended = {
                                k: v for k, v in body.items() if k not in ("event_id", "type")
                            }
                            amended["revision"] = 2
                            amended["minutes"] = max(15, body["minutes"] + 15 * randint(-4, 4))
                            if random_() < 0.2:
                                moved = date - dt.timedelta(days=1)
                                amended["work_date"] = moved.isoformat()
                            del amended["occurred_at"], amended["org_id"], amended["source"]
                            later(day + delay, minute, "time.logged", amended)
                        elif chance < AMEND_RATE + DELETE_RATE:
                            deleted = {"entry_id": f"e{entry}", "revision": 2}
                            delay = randint(0, 3)
                            minute = randint(20 * 60, 22 * 60) if delay == 0 else randint(480, 1000)
                            later(day + delay, minute, "time.deleted", deleted)
                    if random_() < BLOCK_RATE:
                        project = rng.choice(person.projects)
                        task = f"{project.id}-t{randint(1, project.tasks)}"
                        if task not in blocked:
                            blocked.add(task)
                            minute = randint(9 * 60, 16 * 60)
                            fields = {
                                "task_id": task,
                                "project_id": project.id,
                                "reason": rng.choice(BLOCK_REASONS),
                            }
                            if team_count > 1 and random_() < 0.5:
                                fields["blocked_by_team_id"] = teams[randint(0, team_count - 1)]
                            emit("task.blocked", _stamp(iso, minute), fields)
                            # Mostly hours to two days, some for a week or two.
                            hold = rng.choice((randint(60, 2880),) * 6 + (randint(2880, 20160),))
                            later(
                                day,
                                minute + hold,
                                "task.unblocked",
                                {"task_id": task, "project_id": project.id},
                            )
                    if team_count > 1 and random_() < HANDOFF_RATE:
                        handoff += 1
                        project = rng.choice(person.projects)
                        minute = randint(9 * 60, 16 * 60)
                        due_minute = minute + 1440 * randint(1, 5)
                        due_date = date + dt.timedelta(days=due_minute // 1440)
                        fields = {
                            "handoff_id": f"h{handoff}",
                            "project_id": project.id,
                            "task_id": f"{project.id}-t{randint(1, project.tasks)}",
                            "from_team_id": person.team,
                            "to_team_id": rng.choice([t for t in teams if t != person.team]),
                            "due_at": _stamp(due_date.isoformat(), due_minute % 1440),
                        }
                        emit("handoff.requested", _stamp(iso, minute), fields)
                        if random_() < 0.9:
                            accepted = minute + randint(30, 1440)
                            later(day, accepted, "handoff.accepted", {"handoff_id": f"h{handoff}"})
                            if random_() < 0.85:
                                done = accepted + randint(240, 1440 * 7)
                                later(day, done, "handoff.completed", {"handoff_id": f"h{handoff}"})
            # Plus what today's entries, blocks and handoffs scheduled for later today.
            evening += pending.pop(day, [])
            for minute, kind, fields in sorted(evening, key=lambda item: item[0]):
                emit(kind, _stamp(iso, minute), fields)
            if date.weekday() == 4:  # the weekly pattern review ends in a decision
                fields = {
                    "decision_id": f"d{day}",
                    "kind": rng.choice(["rescope", "rebalance", "escalate", "other"]),
                    "alert_ids": [],
                    "note": "weekly pattern review",
                    "decided_by": "ops-lead",
                }
                emit("decision.recorded", _stamp(iso, 17 * 60), fields)
            last_at = _stamp(iso, 23 * 60 + 30)
            emit("clock.ticked", last_at, {})
            day += 1
    except _Full:
        pass
    last_day = FIRST_DAY + dt.timedelta(days=max(0, day))
    return Workload(
        lines=lines,
        contributors=contributors,
        projects=projects,
        teams=team_count,
        first_day=FIRST_DAY,
        last_day=last_day,
        last_occurred_at=dt.datetime.combine(last_day, dt.time(23, 45), tzinfo=dt.UTC),
        project_ids=[p.id for p in plan],
        by_type=counts,
        seconds=time.perf_counter() - begin,
    )


def probe_event(workload: Workload, number: int) -> tuple[str, bytes]:
    """A time entry for a contributor-day nobody logged: (contributor_id, JSON)."""
    contributor = f"probe-{number}"
    at = workload.last_occurred_at + dt.timedelta(minutes=number)
    body = {
        "event_id": f"bench-probe-{number}",
        "type": "time.logged",
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "org_id": ORG_ID,
        "source": "bench",
        "entry_id": f"probe-{number}",
        "revision": 1,
        "contributor_id": contributor,
        "project_id": workload.project_ids[0],
        "work_date": workload.last_day.isoformat(),
        "minutes": 60,
        "billable": True,
    }
    return contributor, orjson.dumps(body)


# --- measuring --------------------------------------------------------------------------


def bench_settings(base: Settings, run_id: str) -> Settings:
    """Settings of an isolated run: own state folder, broker ports, topics, app id, chDB,
    and one worker doing everything (role `all`)."""
    state_dir = base.state_dir / "bench" / run_id
    name = f"bench-{run_id}"
    return Settings(
        state_dir=state_dir,
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        kafka_controller_port=free_port(),
        kafka_home=base.kafka_dir,
        clickhouse_url=f"chdb://{state_dir / 'clickhouse'}",
        web_host="127.0.0.1",
        web_port=free_port(),
        **names_apart(name),
        role="all",
        partitions=base.partitions,
    )


def _proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes (empty when it is gone)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return values


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _mem_available() -> int:
    """The machine's available memory in bytes (MemAvailable), or a large number if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ValueError, IndexError):
        pass
    return 1 << 62


@dataclass(frozen=True)
class Progress:
    """What the worker reported on /health at some point of the run."""

    elapsed: float
    consumed: int
    projected: int


class WorkerWatch(threading.Thread):
    """Samples the worker's memory and progress while it works, prints progress, and says
    when the run must stop because the worker's memory passed the limit or the machine runs
    out of memory (the machine may be shared)."""

    def __init__(
        self, pid: int, settings: Settings, expected: int, begin: float, rss_limit: int
    ) -> None:
        super().__init__(name="worker-watch", daemon=True)
        self.pid = pid
        self.settings = settings
        self.expected = expected
        self.begin = begin
        self.rss_limit = rss_limit
        self.peak_rss = 0
        self.ingest_done_after: float | None = None
        self.last: Progress | None = None
        self.stop_reason: str | None = None
        self._stop_event = threading.Event()

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join(timeout=10)

    def run(self) -> None:
        """Every 0.5 s: memory; every 2 s: /health; every 15 s or so: a progress line."""
        tick = 0
        next_line = 15.0
        while not self._stop_event.wait(0.5):
            tick += 1
            rss = _proc_status(self.pid).get("VmRSS", 0)
            self.peak_rss = max(self.peak_rss, rss)
            if self.stop_reason is None:
                if rss > self.rss_limit:
                    self.stop_reason = (
                        f"the worker's RSS ({rss / 2**20:,.0f} MB) passed the limit of "
                        f"{self.rss_limit / 2**20:,.0f} MB (--rss-limit-mb)"
                    )
                elif _mem_available() < LOW_MEMORY_BYTES:
                    self.stop_reason = (
                        f"the machine has less than {LOW_MEMORY_BYTES / 2**20:,.0f} MB "
                        f"available (worker RSS {rss / 2**20:,.0f} MB)"
                    )
            if tick % 4:
                continue
            health = worker_health(self.settings, timeout=5.0)
            if health is None:
                continue
            elapsed = time.monotonic() - self.begin
            self.last = Progress(
                elapsed,
                int(health.get("ingest", {}).get("consumed", 0)),
                int(health.get("projection", {}).get("events", 0)),
            )
            if self.ingest_done_after is None and self.last.consumed >= self.expected:
                self.ingest_done_after = elapsed
            if elapsed >= next_line:
                next_line = elapsed + 15.0
                _say(
                    f"  {elapsed:6.0f}s  ingested {self.last.consumed:>10,}  projected "
                    f"{self.last.projected:>10,}  of {self.expected:,}  RSS {rss / 2**20:,.0f} MiB"
                )


@dataclass(frozen=True)
class BareConsume:
    """A bare aiokafka consumer's pass over the topic."""

    records: int
    seconds: float
    """From the consumer's start (group join included) until the last record."""
    from_first_seconds: float
    """From the first fetched batch until the last record."""


async def bare_consume(settings: Settings, expected: int, timeout: float) -> BareConsume:
    """Read the events topic with a new group and a getmany loop, doing nothing with it."""
    consumer = AIOKafkaConsumer(
        settings.topic_events,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"{settings.app_id}-bare",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    try:
        begin = time.monotonic()
        first: float | None = None
        records = 0
        while records < expected:
            if time.monotonic() - begin > timeout:
                raise BenchError(f"the bare consumer read {records:,} of {expected:,} in time")
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if batches and first is None:
                first = time.monotonic()
            records += sum(len(batch) for batch in batches.values())
        end = time.monotonic()
    finally:
        await consumer.stop()
    return BareConsume(records, end - begin, end - (first or begin))


async def latency_probe(
    settings: Settings, reader: WorkerReader, contributor: str, value: bytes, timeout: float
) -> tuple[float, float]:
    """Publish one event and poll /query until its contributor_daily row is visible.

    Returns (seconds until the broker acknowledged it, seconds until the row was visible),
    both from just before the send.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    sql = (
        "SELECT count() FROM contributor_daily FINAL "
        "WHERE org_id = {org:String} AND contributor_id = {contributor:String}"
    )
    params = {"org": ORG_ID, "contributor": contributor}
    try:
        begin = time.monotonic()
        await producer.send_and_wait(settings.topic_events, value=value)
        acked = time.monotonic() - begin
        while True:
            rows = await asyncio.to_thread(reader.query, sql, params)
            if int(rows.rows[0][0]) > 0:
                return acked, time.monotonic() - begin
            if time.monotonic() - begin > timeout:
                raise BenchError(f"the row of {contributor} did not appear in {timeout:.0f}s")
            await asyncio.sleep(0.02)
    finally:
        await producer.stop()


@dataclass
class Report:
    """Every figure of a run."""

    run_id: str
    settings: Settings
    workload: Workload
    load_before: tuple[float, float, float]
    broker_seconds: float = 0.0
    publish_seconds: float = 0.0
    published: int = 0
    bare: BareConsume | None = None
    worker_start_seconds: float = 0.0
    processed_seconds: float = 0.0
    ingest_done_after: float | None = None
    worker_cpu_seconds: float = 0.0
    latencies: list[tuple[float, float]] = field(default_factory=list)
    peak_rss_sampled: int = 0
    vm_hwm: int = 0
    rss_end: int = 0
    health: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    rejected_rows: int = 0
    log_problems: list[str] = field(default_factory=list)
    log_problem_count: int = 0
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    stopped_early: str | None = None
    """Why the run stopped before the worker finished (memory guard), if it did."""
    stopped_after: float = 0.0
    progress_at_stop: Progress | None = None
    checks: list[tuple[str, bool]] = field(default_factory=list)
    projections_only_seconds: float = 0.0
    """The same backlog through a worker with alerts off (0: not measured)."""
    alert_latencies: list[AlertLatency] = field(default_factory=list)
    alert_probe_error: str | None = None
    floor: Floor | None = None
    """What the worker's steps for every event cost alone (streams/bench_floor.py)."""
    floor_error: str | None = None

    @property
    def projections_only_rate(self) -> float:
        """Events per second of the projections-only pass."""
        s = self.projections_only_seconds
        return self.published / s if s else 0.0

    @property
    def end_to_end_rate(self) -> float:
        """Events per second from the worker's start until everything was processed."""
        return self.published / self.processed_seconds if self.processed_seconds else 0.0

    @property
    def steady_rate(self) -> float:
        """Events per second from the worker answering /health until everything was processed."""
        busy = self.processed_seconds - self.worker_start_seconds
        return self.published / busy if busy > 0 else 0.0

    @property
    def peak_rss(self) -> int:
        """The larger of the kernel's high-water mark and the sampled peak."""
        return max(self.vm_hwm, self.peak_rss_sampled)

    @property
    def sane(self) -> bool:
        """True when the run completed and every sanity check held."""
        return self.stopped_early is None and all(ok for _, ok in self.checks)


def _say(text: str) -> None:
    print(text, flush=True)


def run(args: argparse.Namespace) -> Report:
    """Generate, start the broker, publish, measure the worker, stop everything."""
    _say(
        f"generating {args.events:,} events ({args.contributors:,} contributors, "
        f"{args.projects:,} projects, seed {args.seed})..."
    )
    workload = generate(args.events, args.contributors, args.projects, args.seed)
    _say(
        f"generated {len(workload.lines):,} events ({workload.size_bytes / 2**20:,.0f} MB) in "
        f"{workload.seconds:.1f}s: work days {workload.first_day} to {workload.last_day}"
    )
    base = Settings()
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    settings = bench_settings(base, run_id)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    report = Report(run_id, settings, workload, os.getloadavg())
    kafka = LocalKafka(settings)
    worker = LocalWorker(settings)
    watch: WorkerWatch | None = None
    try:
        _say(f"state under {settings.state_dir}")
        _say(f"starting a Kafka broker at {settings.kafka_bootstrap}...")
        report.broker_seconds = kafka.start()
        asyncio.run(ensure_topics(settings))

        _say(f"publishing to {settings.topic_events} ({settings.partitions} partitions)...")
        published, report.publish_seconds = _publish(settings, workload.lines)
        report.published = published.published
        _say(
            f"published {published.published:,} events in {report.publish_seconds:.1f}s "
            f"({published.published / report.publish_seconds:,.0f} events/s)"
        )

        _say("reading the topic with a bare aiokafka consumer...")
        report.bare = asyncio.run(bare_consume(settings, published.published, args.timeout))
        _say(
            f"bare consumer: {report.bare.records:,} records in {report.bare.seconds:.1f}s "
            f"({report.bare.records / report.bare.seconds:,.0f} records/s)"
        )

        if args.compare_alerts:
            report.projections_only_seconds = _projections_only(settings, published, args)
            _say(
                f"projections only (alerts off): {report.projections_only_rate:,.0f} events/s "
                f"({report.projections_only_seconds:.1f}s)"
            )

        _say(f"starting the worker with alerts (log: {worker.log_file})...")
        begin = time.monotonic()
        report.worker_start_seconds = worker.start()
        pid = worker.running_pid()
        if pid is None:
            raise BenchError(f"the worker is not running; see {worker.log_file}")
        cpu_before = _cpu_seconds(pid)
        watch = WorkerWatch(pid, settings, published.published, begin, args.rss_limit_mb * 2**20)
        watch.start()
        _say(f"worker ready after {report.worker_start_seconds:.1f}s; waiting for the backlog...")
        try:
            asyncio.run(_wait_for_worker(settings, published, args.timeout, worker, watch))
        except StoppedEarly as stopped:
            report.stopped_early = str(stopped)
            _say(f"stopping early: {stopped}")
            watch.stop()
            report.progress_at_stop = _progress(settings, begin) or watch.last
        report.worker_cpu_seconds = _cpu_seconds(pid) - cpu_before
        report.ingest_done_after = watch.ingest_done_after
        if report.stopped_early is None:
            report.processed_seconds = time.monotonic() - begin
            _say(
                f"processed {published.published:,} events in {report.processed_seconds:.1f}s "
                f"({report.end_to_end_rate:,.0f} events/s)"
            )
        else:
            report.stopped_after = time.monotonic() - begin

        if report.stopped_early is None:
            _after_backlog(report)
            _alert_probes(report, args)
        watch.stop()
        report.peak_rss_sampled = watch.peak_rss
        status = _proc_status(pid)
        report.vm_hwm = status.get("VmHWM", 0)
        report.rss_end = status.get("VmRSS", 0)
    finally:
        with _signals_ignored():
            if watch is not None:
                watch.stop()
            _say("stopping the worker and the broker...")
            # A worker stopped for its memory gets less time to finish before SIGKILL.
            worker.stop(timeout=60.0 if report.stopped_early is None else 10.0)
            kafka.stop()
            if not args.keep_data:
                for folder in ("kafka-node/data", "clickhouse", "faust"):
                    shutil.rmtree(settings.state_dir / folder, ignore_errors=True)
    if args.floor_events:
        _floor(report, args)
    report.log_problem_count, report.log_problems = _log_problems(worker.log_file)
    report.load_after = os.getloadavg()
    if report.stopped_early is None:
        _check(report)
    return report


def _floor(report: Report, args: argparse.Namespace) -> None:
    """Time the steps every event goes through (streams/bench_floor.py) once the worker
    and the broker are stopped, in a process of its own (it opens a chDB of its own) on a
    sample of the workload's shape; a failure is reported, not raised."""
    sample = min(args.floor_events, args.events)
    _say(f"timing the steps every event goes through on {sample:,} events...")
    folder = report.settings.state_dir / "floor"
    command = [
        sys.executable, "-m", "streams.bench_floor", "--json",
        "--events", str(sample), "--contributors", str(args.contributors),
        "--projects", str(args.projects), "--seed", str(args.seed), "--folder", str(folder),
    ]  # fmt: skip
    bare = report.bare
    if bare is not None and bare.records:
        command += ["--consume-micros", str(bare.from_first_seconds / bare.records * 1e6)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)  # noqa: S603 - our own module
        if done.returncode != 0:
            raise BenchError((done.stderr.strip().splitlines() or ["no output"])[-1])
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        report.floor = Floor(
            figures["events"], figures["steps"], figures["state_keys_per_event"], figures["totals"]
        )
    except (BenchError, subprocess.SubprocessError, ValueError, KeyError, IndexError) as error:
        report.floor_error = f"{type(error).__name__}: {error}"
        _say(f"floor: failed: {report.floor_error}")
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for line in report.floor.lines():
        _say(f"floor: {line}")


def _after_backlog(report: Report) -> None:
    """Latency probes, the worker's counters and the tables' row counts."""
    settings = report.settings
    reader = WorkerReader(settings)
    try:
        for number in range(1, LATENCY_PROBES + 1):
            contributor, value = probe_event(report.workload, number)
            report.latencies.append(
                asyncio.run(latency_probe(settings, reader, contributor, value, 120.0))
            )
        _say(
            "last-row latency: "
            + ", ".join(f"{seen:.2f}s" for _, seen in report.latencies)
            + f" ({LATENCY_PROBES} events, one at a time)"
        )
        report.health = worker_health(settings, timeout=30.0) or {}
        for table in ROW_TABLES:
            rows = reader.query(f"SELECT count() FROM {table} FINAL").rows
            report.row_counts[table] = int(rows[0][0])
        report.rejected_rows = int(
            reader.query("SELECT count() FROM rejected_events FINAL").rows[0][0]
        )
    finally:
        reader.close()


def _projections_only(settings: Settings, published: PublishResult, args: Any) -> float:
    """Seconds a worker with alerts off takes for the same backlog, from its start: its own
    app id, internal topics, chDB and state, reading the same events topic."""
    name = f"{settings.app_id}-noalerts"
    quiet = Settings(
        **{
            **settings.model_dump(),
            "state_dir": settings.state_dir / "noalerts",
            "clickhouse_url": f"chdb://{settings.state_dir / 'noalerts' / 'clickhouse'}",
            "web_port": free_port(),
            "app_id": name,
            "topic_dlq": f"{name}.events.dlq",
            "topic_ingested": f"{name}.ingested",
            "topic_alerts": f"{name}.alerts",
            "topic_rows": f"{name}.rows",
            "alerts_enabled": False,
        }
    )
    quiet.state_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(ensure_topics(quiet))
    worker = LocalWorker(quiet)
    _say(f"starting a worker with alerts off (log: {worker.log_file})...")
    begin = time.monotonic()
    try:
        worker.start()
        asyncio.run(wait_until_processed(quiet, published, timeout=args.timeout))
        return time.monotonic() - begin
    finally:
        with _signals_ignored():
            worker.stop(timeout=60.0)
            shutil.rmtree(quiet.state_dir / "clickhouse", ignore_errors=True)
            shutil.rmtree(quiet.state_dir / "faust", ignore_errors=True)


def _alert_probes(report: Report, args: Any) -> None:
    """Threshold-to-alert latency under background load (streams/bench_alerts.py)."""
    w = report.workload
    loads = [min(LIGHT_ALERT_LOAD, args.alert_load)] + [args.alert_load] * args.alert_probes
    for number, load in enumerate(loads, start=1):
        start = w.last_occurred_at + dt.timedelta(hours=number)
        try:
            found = asyncio.run(
                alert_latency(
                    report.settings,
                    ORG_ID,
                    start,
                    w.last_day,
                    number,
                    load,
                    args.alert_load_seconds,
                    timeout=300.0,
                    shape=args.alert_load_shape,
                )
            )
        except TimeoutError as error:
            report.alert_probe_error = str(error)
            _say(f"alert probe {number}: {error}")
            return
        report.alert_latencies.append(found)
        _say(
            f"alert probe {number}: alert on the topic {found.seconds:.2f}s after the event "
            f"(background {found.background_rate:,.0f} events/s)"
        )


def _progress(settings: Settings, begin: float) -> Progress | None:
    """The worker's progress right now, if it answers within a few seconds."""
    health = worker_health(settings, timeout=5.0)
    if health is None:
        return None
    return Progress(
        time.monotonic() - begin,
        int(health.get("ingest", {}).get("consumed", 0)),
        int(health.get("projection", {}).get("events", 0)),
    )


class StoppedEarly(BenchError):
    """The run was stopped before the worker finished, to protect the machine."""


async def _wait_for_worker(
    settings: Settings,
    result: PublishResult,
    timeout: float,
    worker: LocalWorker,
    watch: WorkerWatch,
) -> None:
    """`wait_until_processed`, but give up at once when the worker process exits or the
    watch says to stop."""
    waiting = asyncio.ensure_future(wait_until_processed(settings, result, timeout=timeout))
    while not waiting.done():
        await asyncio.wait({waiting}, timeout=0.5)
        if waiting.done():
            break
        problem: BenchError | None = None
        if worker.running_pid() is None:
            problem = BenchError(f"the worker exited while processing; see {worker.log_file}")
        elif watch.stop_reason is not None:
            problem = StoppedEarly(watch.stop_reason)
        if problem is not None:
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
            raise problem
    waiting.result()


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM while stopping what the run started, so that a second
    interrupt cannot leave a process behind."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _publish(settings: Settings, lines: list[bytes]) -> tuple[PublishResult, float]:
    total = len(lines)
    step = max(total // 10, 1)
    sent = 0
    begin = time.monotonic()

    def progress(count: int) -> None:
        nonlocal sent
        before, sent = sent, sent + count
        if before // step != sent // step and sent < total:
            rate = sent / (time.monotonic() - begin)
            _say(f"  {sent:>10,} of {total:,} ({rate:,.0f} events/s)")

    result = asyncio.run(publish_lines(settings, enumerate(lines, start=1), on_sent=progress))
    seconds = time.monotonic() - begin
    if result.unpublished:
        first = result.unpublished[0]
        raise BenchError(
            f"{len(result.unpublished):,} events were not published; "
            f"line {first.line}: {first.error}"
        )
    return result, seconds


def _log_problems(log_file: Path) -> tuple[int, list[str]]:
    """How many WARNING/ERROR/CRITICAL lines the worker logged, and each kind of line
    (numbers aside) with its count and its last occurrence."""
    try:
        text = log_file.read_text(errors="replace")
    except FileNotFoundError:
        return 0, []
    kinds: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        if any(f" {level} " in line for level in ("WARNING", "ERROR", "CRITICAL")):
            message = line.split(" ", 2)[-1]  # without the timestamp
        elif line.startswith("Traceback"):
            message = line
        else:
            continue
        kind = re.sub(r"\d+(\.\d+)?", "#", message)
        count, _ = kinds.get(kind, (0, ""))
        kinds[kind] = (count + 1, message)
    total = sum(count for count, _ in kinds.values())
    return total, [f"{count:>6,}x  {last}" for count, last in kinds.values()]


def _check(report: Report) -> None:
    expected = report.published + len(report.latencies)
    accepted = int(report.health.get("ingest", {}).get("accepted", -1))
    events = report.row_counts.get("events", -1)
    report.checks.append(
        (
            f"events rows ({events:,}) == accepted ({accepted:,}) == sent ({expected:,})",
            events == accepted == expected,
        )
    )
    report.checks.append(
        (f"rejected_events rows == 0 ({report.rejected_rows:,})", report.rejected_rows == 0)
    )
    days = report.workload.contributor_days() + len(report.latencies)
    found = report.row_counts.get("contributor_daily", -1)
    report.checks.append(
        (f"contributor_daily rows ({found:,}) == contributor-days named ({days:,})", found == days)
    )
    empty = [t for t, n in report.row_counts.items() if n <= 0]
    report.checks.append(
        (
            "every projection table has rows" + (f" (empty: {', '.join(empty)})" if empty else ""),
            not empty and len(report.row_counts) == len(ROW_TABLES),
        )
    )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def print_report(report: Report) -> None:
    """The figures of a run, and the spec's targets."""
    w = report.workload
    s = report.settings
    rows: list[tuple[str, str]] = [
        ("run", f"{report.run_id} (logs under {s.state_dir})"),
        ("events", f"{report.published:,} ({w.size_bytes / 2**20:,.0f} MB of JSON)"),
        (
            "event types",
            ", ".join(f"{k} {v:,}" for k, v in sorted(w.by_type.items(), key=lambda kv: -kv[1])),
        ),
        ("contributors / teams", f"{w.contributors:,} / {w.teams}"),
        ("projects", f"{w.projects:,}"),
        ("work days", f"{w.first_day} to {w.last_day}"),
        ("generation", f"{w.seconds:.1f}s ({len(w.lines) / max(w.seconds, 1e-9):,.0f} events/s)"),
        ("partitions", str(s.partitions)),
        ("broker start", f"{report.broker_seconds:.1f}s"),
        (
            "publish",
            f"{report.publish_seconds:.1f}s "
            f"({report.published / max(report.publish_seconds, 1e-9):,.0f} events/s)",
        ),
    ]
    if report.bare is not None:
        b = report.bare
        rows.append(
            (
                "bare aiokafka consume",
                f"{b.records / b.seconds:,.0f} records/s incl. group join ({b.seconds:.1f}s); "
                f"{b.records / max(b.from_first_seconds, 1e-9):,.0f}/s from the first batch",
            )
        )
    rows.append(("worker start", f"{report.worker_start_seconds:.1f}s until /health answered"))
    at_stop = report.progress_at_stop
    if report.stopped_early is not None:
        rows.append(("end-to-end", f"not measured: stopped after {report.stopped_after:.0f}s"))
        if at_stop is not None:
            rows.append(
                (
                    "progress at stop",
                    f"{at_stop.elapsed:.0f}s after the worker's start: projected "
                    f"{at_stop.projected:,} of {report.published:,} "
                    f"({at_stop.projected / at_stop.elapsed:,.0f} events/s), ingested "
                    f"{at_stop.consumed:,}"
                    + (
                        f" ({at_stop.consumed / at_stop.elapsed:,.0f} events/s)"
                        if report.ingest_done_after is None
                        else ""
                    ),
                )
            )
    else:
        rows += [
            (
                "end-to-end",
                f"{report.end_to_end_rate:,.0f} events/s ({report.processed_seconds:.1f}s from "
                f"worker start until stored, projected and flushed)",
            ),
            (
                "end-to-end w/o start-up",
                f"{report.steady_rate:,.0f} events/s "
                f"({report.processed_seconds - report.worker_start_seconds:.1f}s)",
            ),
        ]
    wall = report.processed_seconds or report.stopped_after
    if report.ingest_done_after is not None:
        rows.append(
            (
                "ingest stage done",
                f"{report.ingest_done_after:.0f}s after the worker's start "
                f"({report.published / report.ingest_done_after:,.0f} events/s; +/- 2s)"
                + (
                    f"; the projection stage finished {wall - report.ingest_done_after:.0f}s later"
                    if report.processed_seconds
                    else ""
                ),
            )
        )
    if wall:
        rows.append(
            (
                "worker CPU",
                f"{report.worker_cpu_seconds:.0f}s over {wall:.0f}s "
                f"({report.worker_cpu_seconds / wall:.2f} cores on average)",
            )
        )
    if report.latencies:
        seen = [v for _, v in report.latencies]
        rows.append(
            (
                "last-row latency",
                f"{statistics.median(seen):.2f}s median of {len(seen)} "
                f"({', '.join(f'{v:.2f}' for v in seen)}s; broker ack "
                f"{statistics.median(a for a, _ in report.latencies) * 1000:.0f} ms)",
            )
        )
    if report.projections_only_seconds:
        rows.append(
            (
                "projections only",
                f"{report.projections_only_rate:,.0f} events/s with alerts off "
                f"({report.projections_only_seconds:.1f}s); with alerts "
                f"{report.end_to_end_rate / report.projections_only_rate:.0%} of it",
            )
        )
    for n, probe in enumerate(report.alert_latencies, start=1):
        rows.append(
            (
                f"alert latency {n}",
                f"{probe.seconds:.2f}s from the crossing event to its alert on the topic "
                f"(background '{probe.shape}' load, {probe.background_events:,} events at "
                f"{probe.background_rate:,.0f}/s)",
            )
        )
    if report.alert_probe_error:
        rows.append(("alert latency", f"failed: {report.alert_probe_error}"))
    if report.floor is not None:
        rows += [
            (f"floor: {name}", f"{micros:.2f} us/event")
            for name, micros in report.floor.steps.items()
        ]
        rows.append(
            (
                "floor",
                f"{report.floor.total:.2f} us/event: at most {report.floor.max_rate:,.0f} "
                "events/s for these steps alone, before the folds, the other rows and the "
                "patterns (one Python thread)",
            )
        )
    elif report.floor_error:
        rows.append(("floor", f"failed: {report.floor_error}"))
    rows += [
        (
            "worker peak RSS",
            f"{report.peak_rss / 2**20:,.0f} MiB (VmHWM {report.vm_hwm / 2**20:,.0f} MiB, "
            f"sampled max {report.peak_rss_sampled / 2**20:,.0f} MiB, "
            f"at the end {report.rss_end / 2**20:,.0f} MiB)",
        ),
    ]
    for table in ROW_TABLES:
        if table in report.row_counts:
            rows.append((f"rows {table}", f"{report.row_counts[table]:,}"))
    if report.row_counts:
        rows.append(("rows rejected_events", f"{report.rejected_rows:,}"))
    rows.append(
        (
            "worker log",
            f"{report.log_problem_count:,} warning/error lines"
            + (f" ({len(report.log_problems)} kinds, below)" if report.log_problems else ""),
        )
    )
    rows.append(
        (
            "load average",
            f"{report.load_before[0]:.2f} before, {report.load_after[0]:.2f} after "
            f"(1 min; {os.cpu_count()} CPUs)",
        )
    )
    width = max(len(name) for name, _ in rows)
    _say("\n== worksignals bench " + "=" * 60)
    for name, value in rows:
        _say(f"{name:<{width}}  {value}")

    if report.stopped_early is None:
        e2e, e2e_ok = (
            f"{report.end_to_end_rate:,.0f}",
            report.end_to_end_rate >= TARGET_EVENTS_PER_SECOND,
        )
    else:
        so_far = at_stop.projected / at_stop.elapsed if at_stop else 0.0
        e2e, e2e_ok = f"not reached (projected {so_far:,.0f}/s until the stop)", False
    rss_ok = 0 < report.peak_rss < TARGET_PEAK_RSS_BYTES
    _say("\ntargets (spec)")
    _say(
        f"  end-to-end >= {TARGET_EVENTS_PER_SECOND:,} events/s, one worker on 2 cores: "
        f"{e2e}  {_met(e2e_ok)}"
    )
    _say(
        f"  worker peak RSS < 1 GiB: {report.peak_rss / 2**20:,.0f} MiB "
        f"({report.peak_rss / 1e6:,.0f} MB)  {_met(rss_ok)}"
    )
    if report.projections_only_seconds and report.processed_seconds:
        share = report.end_to_end_rate / report.projections_only_rate
        _say(
            f"  with alerts >= {TARGET_ALERTS_SHARE:.0%} of the projections-only rate: "
            f"{share:.0%}  {_met(share >= TARGET_ALERTS_SHARE)}"
        )
    spec_load = [p for p in report.alert_latencies if p.background_rate >= 5000 * 0.95]
    if spec_load:
        seconds = statistics.median(p.seconds for p in spec_load)
        each = ", ".join(f"{p.seconds:.2f}" for p in spec_load)
        slowest = min(p.background_rate for p in spec_load)
        _say(
            f"  alert on the topic < {TARGET_ALERT_SECONDS:.0f}s after the crossing event at "
            f"5,000 events/s background: median {seconds:.2f}s of {len(spec_load)} probes "
            f"({each}s) at {slowest:,.0f}/s or more  {_met(seconds < TARGET_ALERT_SECONDS)}"
        )
    _say("\nsanity checks")
    if report.stopped_early is not None:
        _say(f"  skipped: the run stopped early: {report.stopped_early}")
    for text, ok in report.checks:
        _say(f"  {'ok    ' if ok else 'FAILED'}  {text}")
    if report.log_problems:
        _say(f"\nworker log warnings/errors ({report.settings.state_dir / 'logs' / 'worker.log'}):")
        for line in report.log_problems[:10]:
            _say(f"  {line[:300]}")
        if len(report.log_problems) > 10:
            _say(f"  ... and {len(report.log_problems) - 10} more kinds")
    _say(
        "\nNote: one measurement on a shared machine; other processes (see the load average) "
        "make the figures noisy. Compare runs on an idle machine."
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m streams.bench",
        description="Measure one worker from a pre-filled topic to ClickHouse rows, on its own "
        "broker, topics and state folder; everything started is stopped at the end.",
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events to publish")
    parser.add_argument("--contributors", type=int, default=1000, help="contributors")
    parser.add_argument("--projects", type=int, default=200, help="projects")
    parser.add_argument("--seed", type=int, default=7, help="seed of the workload")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds the worker (and the bare consumer) may take for the backlog",
    )
    parser.add_argument(
        "--rss-limit-mb",
        type=int,
        default=8192,
        help="stop the run when the worker's RSS passes this many MB (it also stops when the "
        "machine has less than 1 GB available); the figures so far are printed",
    )
    parser.add_argument(
        "--no-compare-alerts",
        dest="compare_alerts",
        action="store_false",
        help="skip the projections-only pass (alerts off) that the alerts' cost is measured "
        "against",
    )
    parser.add_argument(
        "--alert-load",
        type=float,
        default=5000.0,
        help="background events/s while measuring threshold-to-alert latency",
    )
    parser.add_argument(
        "--alert-load-shape",
        choices=LOAD_SHAPES,
        default="day",
        help="the background load's shape (streams/bench_alerts.py, LOAD_SHAPES): 'day', "
        "2,000 contributors on one day and project; 'firm', 20,000 contributors on 200 "
        "projects, one entry in ten for the week before",
    )
    parser.add_argument(
        "--alert-probes",
        type=int,
        default=3,
        help="alert probes at --alert-load (after one at 1,000 events/s); the target is "
        "checked on their median",
    )
    parser.add_argument(
        "--alert-load-seconds",
        type=float,
        default=10.0,
        help="seconds of background load per alert probe (the probe is sent half-way)",
    )
    parser.add_argument(
        "--floor-events",
        type=int,
        default=200_000,
        help="events of the workload's shape on which to time the steps every event goes "
        "through (streams/bench_floor.py); 0 skips it",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep the broker's data, chDB and RocksDB under the run's state folder",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit code."""
    args = _parser().parse_args(argv)
    for name in ("events", "contributors", "projects"):
        if getattr(args, name) < 1:
            _parser().error(f"--{name} must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="bench: %(levelname)s %(name)s: %(message)s")
    # SIGTERM stops the run like Ctrl-C, so the cleanup in `run` happens.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        report = run(args)
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130
    except (
        BenchError,
        BrokerError,
        StackError,
        WaitTimeout,
        WarehouseError,
        KafkaError,
        OSError,
    ) as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print_report(report)
    return 0 if report.sane else 1


if __name__ == "__main__":
    sys.exit(main())
