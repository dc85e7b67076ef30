"""Crash recovery: kill -9 the worker at random moments while it runs, restart it each time,
and get the tables of a clean single run (the rebuild path: one fold of every accepted event)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import random
import re
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from events.models import EVENT_MODELS
from events.parse import Accepted, Source, parse
from projections import fold
from sinks.clickhouse import COLUMNS, MIGRATIONS_DIR, MemorySink, split_statements
from sinks.snapshot import PROJECTION_TABLES, Snapshots
from streams.http import to_json
from streams.localstack import LocalWorker
from streams.processes import process_alive
from streams.publish import PublishResult, WaitTimeout, publish_lines, wait_until_processed
from streams.reader import WorkerReader, worker_health
from streams.settings import Settings
from streams.topics import end_offsets
from tests.integration.conftest import WorkerFactory

pytestmark = pytest.mark.integration

EVENTS = 200_000
"""Messages published, redeliveries and a few invalid ones included."""
REDELIVERED = 3_000
KILLS = 6
WORKLOAD_SEED = 20260105
KILL_SEED = 7

ORGS = ("acme", "globex", "initech")
CONTRIBUTORS = 60
TEAMS = ("red", "green", "blue", "gold")
PROJECTS = 8
TASKS = 40
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=63)
"""Event time covered by the bulk of the workload (nine ISO weeks)."""

Row = dict[str, Any]
Table = dict[tuple[Any, ...], Row]


def order_by_keys() -> dict[str, tuple[str, ...]]:
    """Each table's ORDER BY key, from the DDL: the key FINAL keeps one row per."""
    keys = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        for statement in split_statements(path.read_text(encoding="utf-8")):
            found = re.search(
                r"CREATE TABLE IF NOT EXISTS (\w+).*ORDER BY \(([^)]*)\)", statement, re.S
            )
            if found:
                keys[found[1]] = tuple(c.strip() for c in found[2].split(","))
    return keys


KEYS = order_by_keys()


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class Workload:
    """Three orgs over nine weeks of event time: profiles (with cost rates, and changes
    effective from past dates), time off (some booked ahead), plans (with re-plans), time
    entries with amendments (moves to other days, projects and contributors), stale
    revisions and deletions, blocks and unblocks (some reported late, some repeated),
    handoffs (some late, some completed twice), decisions, clock ticks, a few invalid
    messages, and exact redeliveries of earlier messages.

    Each (entry, revision) pair occurs once: equal revisions make the outcome depend on
    arrival order (the first one wins), which would leave no single expected result.
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines: list[bytes] = []
        self.serial = 0
        self.revisions: dict[tuple[str, str], set[int]] = {}
        self.entries: dict[str, list[dict[str, Any]]] = {o: [] for o in ORGS}
        self.open_handoffs: dict[str, list[list[str]]] = {o: [] for o in ORGS}

    def build(self) -> list[bytes]:
        """Every message of the workload, in publish order."""
        rng = self.rng
        for org in ORGS:
            self.setup(org)
        actions: list[tuple[Callable[[str, dt.datetime], None], float]] = [
            (self.log, 60),
            (self.amend, 18),
            (self.block, 5),
            (self.handoff, 5),
            (self.time_off, 3),
            (self.tick, 3),
            (self.reprofile, 0.3),
            (self.replan, 0.05),
            (self.decision, 0.1),
            (self.invalid, 0.3),
        ]
        steps, weights = zip(*actions, strict=True)
        ticks_at_end = [START + SPAN + dt.timedelta(days=d) for d in (1, 8, 15, 22)]
        main = EVENTS - REDELIVERED - len(self.lines) - len(ORGS) * len(ticks_at_end)
        for i in range(main):
            at = START + SPAN * (i / main) + dt.timedelta(minutes=rng.randint(-180, 30))
            org = rng.choice(ORGS)
            rng.choices(steps, weights)[0](org, at)
            if i in (main // 3, 2 * main // 3):
                for o in ORGS:
                    self.plan(o, "p1", at, "rescoped")
                    self.reprofile(o, at)
        # The trackers go quiet; the clock ticks on past the time off booked ahead.
        for at in ticks_at_end:
            for org in ORGS:
                self.tick(org, at)
        lines = self.lines[: EVENTS - REDELIVERED]
        for _ in range(REDELIVERED):
            original = rng.randrange(len(lines))
            lines.insert(rng.randint(original + 1, len(lines)), lines[original])
        return lines

    def emit(self, event_type: str, org: str, at: dt.datetime, **fields: Any) -> None:
        self.serial += 1
        document = {
            "event_id": f"{org}-{self.serial}",
            "type": event_type,
            "occurred_at": stamp(at),
            "org_id": org,
            **fields,
        }
        self.lines.append(orjson.dumps(document))

    def setup(self, org: str) -> None:
        at = START - dt.timedelta(days=3)
        for c in range(CONTRIBUTORS):
            fields: dict[str, Any] = {
                "contributor_id": f"c{c}",
                "team_id": TEAMS[c % len(TEAMS)],
                "weekly_capacity_hours": self.rng.choice([40, 40, 32, 20]),
                "target_utilization": self.rng.choice([0.7, 0.75, 0.8]),
                "effective_from": "2025-12-29",
            }
            if c % 10:  # every tenth contributor has no cost rate: uncosted hours
                fields["cost_rate"] = self.rng.choice([40, 55, 70.5])
            self.emit("contributor.profiled", org, at, **fields)
        for p in range(PROJECTS):
            self.plan(org, f"p{p}", at, "initial")

    def plan(self, org: str, project: str, at: dt.datetime, name: str) -> None:
        rng = self.rng
        number = int(project[1:])
        billing = ("time_and_materials", "fixed_fee", "non_billable")[number % 3]
        fields: dict[str, Any] = {
            "project_id": project,
            "name": f"{project} {name}",
            "team_id": TEAMS[number % len(TEAMS)],
            "billing": billing,
            "planned_hours": rng.choice([800, 1500, 3000]),
            "start_date": "2026-01-05",
            "end_date": rng.choice(["2026-02-27", "2026-03-13", "2026-04-30"]),
            "target_margin": rng.choice([0.2, 0.3]),
        }
        if billing == "time_and_materials":
            fields["bill_rate"] = rng.choice([90, 120, 150])
        elif billing == "fixed_fee":
            fields["fixed_fee"] = rng.choice([50_000, 120_000])
        self.emit("project.planned", org, at, **fields)

    def replan(self, org: str, at: dt.datetime) -> None:
        self.plan(org, f"p{self.rng.randrange(PROJECTS)}", at, "replanned")

    def reprofile(self, org: str, at: dt.datetime) -> None:
        rng = self.rng
        fields: dict[str, Any] = {
            "contributor_id": f"c{rng.randrange(CONTRIBUTORS)}",
            "team_id": rng.choice(TEAMS),
            "weekly_capacity_hours": rng.choice([40, 32]),
            "target_utilization": rng.choice([0.7, 0.8]),
            "effective_from": (at.date() - dt.timedelta(days=rng.randint(0, 20))).isoformat(),
        }
        if rng.random() < 0.8:
            fields["cost_rate"] = rng.choice([45, 60, 80.25])
        self.emit("contributor.profiled", org, at, **fields)

    def time_off(self, org: str, at: dt.datetime) -> None:
        rng = self.rng
        fields: dict[str, Any] = {
            "contributor_id": f"c{rng.randrange(CONTRIBUTORS)}",
            "date": (at.date() + dt.timedelta(days=rng.randint(-7, 14))).isoformat(),
        }
        if rng.random() < 0.5:
            fields["hours"] = rng.choice([2, 4, 8])
        self.emit("contributor.time_off", org, at, **fields)

    def work_date(self, at: dt.datetime) -> str:
        day = at.date() + dt.timedelta(days=self.rng.choice([-9, -5, -3, -2, -1, 0, 0, 0, 1, 2]))
        return max(day, START.date()).isoformat()

    def log(self, org: str, at: dt.datetime) -> None:
        rng = self.rng
        entry = f"e{self.serial}"
        revision = rng.choice([1, 1, 1, 2])
        self.revisions[(org, entry)] = {revision}
        fields: dict[str, Any] = {
            "contributor_id": f"c{rng.randrange(CONTRIBUTORS)}",
            "project_id": f"p{rng.randrange(PROJECTS)}",
            "task_id": f"k{rng.randrange(TASKS)}",
            "work_date": self.work_date(at),
            "minutes": rng.randint(15, 240),
            "billable": rng.random() < 0.7,
        }
        if rng.random() < 0.15:
            fields["for_team_id"] = rng.choice(TEAMS)
        self.entries[org].append({"entry_id": entry, **fields})
        self.emit("time.logged", org, at, entry_id=entry, revision=revision, **fields)

    def amend(self, org: str, at: dt.datetime) -> None:
        """A new revision of a recent entry (or its deletion); sometimes a stale one."""
        rng = self.rng
        if not self.entries[org]:
            return
        entry = rng.choice(self.entries[org][-3000:])
        used = self.revisions[(org, entry["entry_id"])]
        free = [r for r in range(1, 9) if r not in used]
        if not free:
            return
        revision = rng.choice(free) if rng.random() < 0.2 else max(free)
        used.add(revision)
        if rng.random() < 0.15:
            self.emit("time.deleted", org, at, entry_id=entry["entry_id"], revision=revision)
            return
        fields = {k: v for k, v in entry.items() if k != "entry_id"}
        change = rng.random()
        if change < 0.4:
            fields["minutes"] = rng.randint(15, 240)
        elif change < 0.6:
            fields["billable"] = not fields["billable"]
        elif change < 0.75:
            fields["project_id"] = f"p{rng.randrange(PROJECTS)}"
        elif change < 0.9:
            fields["work_date"] = self.work_date(at)
        else:
            fields["contributor_id"] = f"c{rng.randrange(CONTRIBUTORS)}"
        self.emit("time.logged", org, at, entry_id=entry["entry_id"], revision=revision, **fields)

    def block(self, org: str, at: dt.datetime) -> None:
        rng = self.rng
        task = rng.randrange(TASKS)
        kind = rng.choice(["task.blocked", "task.blocked", "task.unblocked"])
        reported_late = at - dt.timedelta(hours=rng.choice([0, 0, 0, 5, 30]))
        fields: dict[str, Any] = {"task_id": f"k{task}", "project_id": f"p{task % PROJECTS}"}
        if kind == "task.blocked":
            fields["reason"] = rng.choice(["waiting on review", "environment down"])
            if rng.random() < 0.5:
                fields["blocked_by_team_id"] = rng.choice(TEAMS)
        self.emit(kind, org, reported_late, **fields)

    def handoff(self, org: str, at: dt.datetime) -> None:
        rng = self.rng
        open_ = self.open_handoffs[org]
        if not open_ or rng.random() < 0.4:
            handoff = f"h{self.serial}"
            source, target = rng.sample(TEAMS, 2)
            self.emit(
                "handoff.requested",
                org,
                at,
                handoff_id=handoff,
                project_id=f"p{rng.randrange(PROJECTS)}",
                task_id=f"k{rng.randrange(TASKS)}",
                from_team_id=source,
                to_team_id=target,
                due_at=stamp(at + dt.timedelta(hours=rng.choice([12, 24, 48, 96]))),
            )
            open_.append([handoff, "requested"])
            return
        index = rng.randrange(len(open_))
        handoff, state = open_[index]
        if state == "requested" and rng.random() < 0.7:
            self.emit("handoff.accepted", org, at, handoff_id=handoff)
            open_[index][1] = "accepted"
            return
        self.emit("handoff.completed", org, at, handoff_id=handoff)
        if rng.random() < 0.9:  # otherwise it is reported completed again later
            open_.pop(index)

    def tick(self, org: str, at: dt.datetime) -> None:
        self.emit("clock.ticked", org, at)

    def decision(self, org: str, at: dt.datetime) -> None:
        self.emit(
            "decision.recorded",
            org,
            at,
            decision_id=f"d{self.serial}",
            kind="rescope",
            alert_ids=[],
            decided_by="ops-lead",
        )

    def invalid(self, org: str, at: dt.datetime) -> None:
        if self.rng.random() < 0.5:
            self.lines.append(b'{"event_id": "cut short", "type": ')
            return
        self.emit(
            "time.logged",
            org,
            at,
            entry_id=f"future-{self.serial}",
            contributor_id="c0",
            project_id="p0",
            work_date=(at.date() + dt.timedelta(days=5)).isoformat(),
            minutes=60,
            billable=True,
        )


def accepted_events(lines: list[bytes]) -> list[Accepted]:
    parsed = (parse(line, Source("recovery", 0, i)) for i, line in enumerate(lines))
    return [p for p in parsed if isinstance(p, Accepted)]


def naive_utc(value: Any) -> Any:
    """A timestamp as the query endpoint returns DateTime64(6, 'UTC') values: naive UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def comparable(row: Row, table: str) -> Row:
    """A row as the worker's /query returns it (JSON types), maps flattened, arrays joined,
    without the columns a replay may change (version) or that FINAL consumes (is_deleted)."""
    document = orjson.loads(to_json({c: naive_utc(v) for c, v in row.items()}))
    flat: Row = {}
    for column in COLUMNS[table]:
        if column in ("version", "is_deleted"):
            continue
        value = document[column]
        if isinstance(value, dict):
            flat.update({f"{column}[{k}]": v for k, v in value.items()})
        elif isinstance(value, list):
            flat[column] = ",".join(map(str, value))
        else:
            flat[column] = value
    return flat


def keyed(rows: list[Row], table: str) -> Table:
    return {tuple(row[c] for c in KEYS[table]): row for row in rows}


def clean_run(accepted: list[Accepted], first_look: dt.timedelta) -> dict[str, Table]:
    """Every projection table after one fold of all accepted events into one store."""
    store: dict[str, Any] = {}
    touched = fold.Touched()
    for a in accepted:
        fold.apply(store, a.event, touched)
    sink = MemorySink()
    sink.write(Snapshots(store, first_look).rows(touched, 1))
    tables = {}
    for table in PROJECTION_TABLES:
        rows = sink.final(table, KEYS[table], "version")
        tables[table] = keyed(
            [comparable(r, table) for r in rows if not r.get("is_deleted")], table
        )
    return tables


def worker_tables(reader: WorkerReader) -> dict[str, Table]:
    """Every projection table read with FINAL through the worker's query endpoint."""
    tables = {}
    for table in PROJECTION_TABLES:
        columns = [c for c in COLUMNS[table] if c != "version"]
        live = " WHERE is_deleted = 0" if "is_deleted" in columns else ""
        result = reader.query(f"SELECT {', '.join(columns)} FROM {table} FINAL{live}")
        rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
        tables[table] = keyed([comparable(r, table) for r in rows], table)
    return tables


def differences(got: Table, expected: Table) -> list[str]:
    """What differs between two versions of a table, key by key."""
    found = [f"missing {k}" for k in sorted(expected.keys() - got.keys(), key=str)]
    found += [f"unexpected {k}: {got[k]}" for k in sorted(got.keys() - expected.keys(), key=str)]
    for k in sorted(expected.keys() & got.keys(), key=str):
        if got[k] != pytest.approx(expected[k]):
            columns = sorted(got[k].keys() | expected[k].keys())
            changed = {
                c: (got[k].get(c), expected[k].get(c))
                for c in columns
                if got[k].get(c) != pytest.approx(expected[k].get(c))
            }
            found.append(f"{k} (worker, clean run): {changed}")
    return found


def expected_minutes(lines: list[bytes]) -> dict[tuple[str, str, str], int]:
    """Minutes per (org, contributor, work_date) from each entry's highest revision,
    recounted here without the projection code."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        try:
            e = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if e["type"] not in ("time.logged", "time.deleted"):
            continue
        if e["type"] == "time.logged":
            logged_on = dt.datetime.fromisoformat(e["occurred_at"]).date()
            if dt.date.fromisoformat(e["work_date"]) > logged_on + dt.timedelta(days=2):
                continue  # rejected: future_work_date
        key = (e["org_id"], e["entry_id"])
        if key not in latest or e["revision"] > latest[key]["revision"]:
            latest[key] = e
    days: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in latest.values():
        if e["type"] == "time.logged":
            days[(e["org_id"], e["contributor_id"], e["work_date"])] += e["minutes"]
    return dict(days)


@dataclass
class Progress:
    """Where both stages stand, in messages of their input topics (sums over partitions)."""

    ingest_behind: int
    projection_behind: int
    projection_committed: int


async def progress(settings: Settings, published: dict[Any, int] | None = None) -> Progress:
    """Committed offsets of the ingest stage (against `published`, by default the end offsets
    of the ingest topic) and of the projection agent (against the internal topic's ends)."""
    if published is None:
        published = await end_offsets(settings, settings.topic_events)
    forwarded = await end_offsets(settings, settings.topic_ingested)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        ingest = await admin.list_consumer_group_offsets(settings.ingest_group)
        projection = await admin.list_consumer_group_offsets(settings.projection_group)
    finally:
        await admin.close()

    def committed(offsets: dict[Any, Any], tp: Any) -> int:
        return int(offsets[tp].offset) if tp in offsets else 0

    return Progress(
        sum(end - committed(ingest, tp) for tp, end in published.items()),
        sum(end - committed(projection, tp) for tp, end in forwarded.items()),
        sum(committed(projection, tp) for tp in forwarded),
    )


class Publisher(threading.Thread):
    """Publishes the lines in chunks, each one once the worker has caught up to within
    AHEAD internal messages (so the worker always has work, and a restart faces only a few
    chunks), or, once released, the rest at once."""

    CHUNK = 5_000
    AHEAD = 20

    def __init__(self, settings: Settings, lines: list[bytes]) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.lines = lines
        self.sent = 0
        self.result = PublishResult(settings.topic_events)
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.released = threading.Event()

    def run(self) -> None:
        try:
            asyncio.run(self.publish())
        except BaseException as error:
            self.error = error

    async def publish(self) -> None:
        for start in range(0, len(self.lines), self.CHUNK):
            while not self.stopping.is_set() and not self.released.is_set():
                now = await progress(self.settings)
                if now.ingest_behind == 0 and now.projection_behind <= self.AHEAD:
                    break
                await asyncio.sleep(0.2)
            if self.stopping.is_set():
                return
            chunk = self.lines[start : start + self.CHUNK]
            self.merge(await publish_lines(self.settings, enumerate(chunk, start=start + 1)))
            self.sent = start + len(chunk)

    def merge(self, sent: PublishResult) -> None:
        for partition, (low, high) in sent.ranges.items():
            old_low, old_high = self.result.ranges.get(partition, (low, high))
            self.result.ranges[partition] = (min(low, old_low), max(high, old_high))
        self.result.published += sent.published
        self.result.unpublished += sent.unpublished


@dataclass
class Kill:
    """A kill -9: lines published before it, events folded by the killed process, messages
    left unprocessed by the ingest stage and the projection agent, seconds since the start."""

    published: int
    folded: int
    ingest_behind: int
    projection_behind: int
    at: float


def folded_events(settings: Settings) -> int | None:
    """Events the running worker folded since it started, or None if it does not answer."""
    health = worker_health(settings, timeout=2.0)
    return int(health["projection"]["events"]) if health else None


def log_tail(settings: Settings, lines: int = 40) -> str:
    """The end of the worker's log, without the lines about rejected input."""
    log = LocalWorker(settings).log_file.read_text(errors="replace").splitlines()
    return "\n".join([line for line in log if "rejected" not in line][-lines:])


def assert_running(settings: Settings) -> None:
    assert LocalWorker(settings).running_pid() is not None, (
        "the worker stopped on its own:\n" + log_tail(settings)
    )


def kill_while_processing(
    settings: Settings, publisher: Publisher, target: int, committed_before: int, started: float
) -> tuple[Kill, int]:
    """Once `target` lines are published, the worker has folded events since it started,
    its projection agent has committed past `committed_before` and work is waiting, kill -9
    the worker's process group; return the kill and the projection agent's committed
    offsets."""
    deadline = time.monotonic() + 300
    folded = 0
    while True:
        assert_running(settings)
        assert publisher.error is None, publisher.error
        folded = folded_events(settings) or folded
        if folded > 0 and publisher.sent >= target:
            now = asyncio.run(progress(settings))
            busy = now.ingest_behind + now.projection_behind > 0
            if busy and now.projection_committed > committed_before:
                break
        assert time.monotonic() < deadline, f"no progress in 300 s:\n{log_tail(settings)}"
        time.sleep(0.05)
    published = asyncio.run(end_offsets(settings, settings.topic_events))
    pid = LocalWorker(settings).running_pid()
    assert pid is not None
    os.killpg(pid, signal.SIGKILL)
    at = time.monotonic() - started
    while process_alive(pid):
        time.sleep(0.05)
    left = asyncio.run(progress(settings, published))
    kill = Kill(publisher.sent, folded, left.ingest_behind, left.projection_behind, round(at, 1))
    return kill, left.projection_committed


def wait_until_done(settings: Settings, result: PublishResult, timeout: float) -> None:
    """Wait until the worker processed everything published, failing early if it stops."""
    deadline = time.monotonic() + timeout
    while True:
        assert_running(settings)
        try:
            asyncio.run(wait_until_processed(settings, result, timeout=10))
            return
        except WaitTimeout:
            assert time.monotonic() < deadline, "the worker did not catch up:\n" + log_tail(
                settings
            )


class CleanRun(threading.Thread):
    """The clean run's tables, computed alongside the worker."""

    def __init__(self, accepted: list[Accepted], first_look: dt.timedelta) -> None:
        super().__init__(daemon=True)
        self.accepted = accepted
        self.first_look = first_look
        self.tables: dict[str, Table] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.tables = clean_run(self.accepted, self.first_look)
        except BaseException as error:
            self.error = error


def test_kill_9_at_random_moments_then_restart_gives_the_clean_run_tables(
    start_worker: WorkerFactory,
) -> None:
    lines = Workload(WORKLOAD_SEED).build()
    assert len(lines) == EVENTS
    accepted = accepted_events(lines)
    assert {type(a.event) for a in accepted} == set(EVENT_MODELS)
    started = time.monotonic()
    settings = start_worker()
    reference = CleanRun(accepted, dt.timedelta(hours=settings.first_look_hours))
    reference.start()
    publisher = Publisher(settings, lines)
    publisher.start()

    # One kill at a random point of each of KILLS equal slices of the publishing (which
    # follows the worker's progress), each once the restarted worker has folded events,
    # committed some, and has more waiting.
    rng = random.Random(KILL_SEED)
    bounds = [0.05 + 0.85 * i / KILLS for i in range(KILLS + 1)]
    targets = [int(rng.uniform(low, high) * EVENTS) for low, high in itertools.pairwise(bounds)]
    kills: list[Kill] = []
    committed = 0
    try:
        for target in targets:
            kill, committed = kill_while_processing(settings, publisher, target, committed, started)
            kills.append(kill)
            if len(kills) == KILLS:
                # The trackers send the rest while the worker is down: it restarts on a
                # backlog of tens of thousands of events.
                publisher.released.set()
                publisher.join(timeout=600)
            start_worker(settings)
    finally:
        if len(kills) < KILLS:
            publisher.stopping.set()
        publisher.join(timeout=600)
    assert publisher.error is None, publisher.error
    assert publisher.result.published == EVENTS, publisher.result.unpublished[:3]
    assert len(kills) == KILLS >= 5
    assert all(k.folded > 0 and k.ingest_behind + k.projection_behind > 0 for k in kills), (
        "\n".join(map(str, kills))
    )
    published = time.monotonic() - started

    wait_until_done(settings, publisher.result, timeout=600)
    done = time.monotonic() - started
    reference.join()
    assert reference.error is None, reference.error
    print(
        f"\n{len(kills)} kills: {kills}\npublished after {published:.0f} s, worker done "
        f"after {done:.0f} s, clean run computed after {time.monotonic() - started:.0f} s"
    )
    expected = reference.tables
    reader = WorkerReader(settings)
    try:
        got = worker_tables(reader)
        minutes = reader.query(
            "SELECT org_id, contributor_id, toString(work_date), logged_minutes "
            "FROM contributor_daily FINAL WHERE logged_minutes > 0"
        ).rows
        weekly = reader.query(
            "SELECT org_id, contributor_id, toString(week_start), round(logged_hours * 60) "
            "FROM contributor_weekly FINAL WHERE logged_hours > 0"
        ).rows
        stored = reader.query("SELECT count(), uniqExact(org_id, event_id) FROM events FINAL").rows
        rejected = reader.query("SELECT count() FROM rejected_events FINAL").rows
    finally:
        reader.close()

    for table in PROJECTION_TABLES:
        assert expected[table], f"the workload leaves {table} empty"
        found = differences(got[table], expected[table])
        assert not found, f"{table}: {len(found)} rows differ, e.g.\n" + "\n".join(found[:10])

    # A second check without the projection code: minutes per contributor day and week.
    recount = expected_minutes(lines)
    assert {(r[0], r[1], r[2]): r[3] for r in minutes} == recount
    by_week: dict[tuple[str, str, str], int] = defaultdict(int)
    for (org, contributor, day), logged in recount.items():
        date = dt.date.fromisoformat(day)
        monday = date - dt.timedelta(days=date.weekday())
        by_week[(org, contributor, monday.isoformat())] += logged
    assert {(r[0], r[1], r[2]): int(r[3]) for r in weekly} == dict(by_week)
    unique = len({(a.event.org_id, a.event.event_id) for a in accepted})
    assert stored == [(unique, unique)]
    assert rejected == [(EVENTS - len(accepted),)]
