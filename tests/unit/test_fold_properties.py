"""The whole fold and its rows, as the worker writes them, in any order and any batches.

The worker folds events in batches; after each batch it writes the rows of what the batch
touched, with a version that grows from batch to batch, to ReplacingMergeTree tables. What
an analyst reads is each table FINAL: the highest version per ORDER BY key, without the
rows marked deleted. These properties check that those final tables depend only on the set
of events: not on their order, on repeated deliveries, on how they are cut into batches,
nor on whether they are folded by the worker or in one pass (a rebuild).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from events.models import EVENT_TYPES, BaseEvent
from projections import fold
from projections.patterns.policy import Policy
from projections.store import BufferedStore
from sinks.clickhouse import COLUMNS, MIGRATIONS_DIR, MemorySink
from sinks.snapshot import PROJECTION_TABLES, Snapshots
from streams.alerting import Alerting, AlertingFold
from tests.factories import event

FIRST_LOOK = dt.timedelta(hours=24)
BASE = dt.date(2026, 3, 2)
"""A Monday; generated events fall in the weeks around it."""

Tables = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
"""Final rows per table, keyed by the table's ORDER BY columns, without `version`."""


def _order_by_keys() -> dict[str, tuple[str, ...]]:
    """Each projection table's ORDER BY columns, read from its DDL."""
    keys: dict[str, tuple[str, ...]] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        for name, order_by in re.findall(
            r"CREATE TABLE IF NOT EXISTS (\w+)\b.*?ORDER BY \(([^)]*)\)", text, flags=re.S
        ):
            keys[name] = tuple(c.strip() for c in order_by.split(","))
    return keys


KEYS = _order_by_keys()


def test_every_projection_table_has_an_order_by_key() -> None:
    assert set(PROJECTION_TABLES) <= set(KEYS)
    assert KEYS["blocked_intervals"] == ("org_id", "task_id", "started_at")


def final_tables(sink: MemorySink) -> Tables:
    """What `SELECT * FROM table FINAL` returns, per projection table, minus `version`."""
    tables: Tables = {}
    for table in PROJECTION_TABLES:
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in sink.final(table, KEYS[table], "version"):
            if row.get("is_deleted"):
                continue
            rows[tuple(row[c] for c in KEYS[table])] = {
                c: v for c, v in row.items() if c != "version"
            }
        tables[table] = rows
    return tables


def differences(got: Tables, expected: Tables) -> list[str]:
    """What differs between two sets of final tables, one line per row, for messages."""
    lines = []
    for table in PROJECTION_TABLES:
        for key in sorted(set(got[table]) | set(expected[table]), key=repr):
            a, b = got[table].get(key), expected[table].get(key)
            if a == b:
                continue
            if a is None or b is None:
                lines.append(f"{table} {key}: {'only expected' if a is None else 'unexpected'}")
            else:
                changed = {c: (a[c], b[c]) for c in a if a[c] != b[c]}
                lines.append(f"{table} {key}: got/expected {changed}")
    return lines


def assert_same(got: Tables, expected: Tables) -> None:
    assert got == expected, "\n".join(differences(got, expected))


def worker(
    events: Sequence[BaseEvent],
    cuts: Iterable[int] = (),
    refresh: bool = False,
    alerts: bool = False,
) -> Tables:
    """Fold `events` as the worker does: per batch (cut before each index in `cuts`),
    through a write buffer, then write the batch's rows with the next version. With
    `refresh`, each org is refreshed when first seen, as after a worker start. With
    `alerts`, patterns are evaluated at each event-time date as the worker does, and the
    rows read the memos the evaluations kept current."""
    backing: dict[str, Any] = {}
    alerting = Alerting(Policy()) if alerts else None
    snapshots = Snapshots(
        backing,
        FIRST_LOOK,
        alerting.project_days if alerting else None,
        alerting.weeks if alerting else None,
    )
    sink = MemorySink()
    refreshed: set[str] = set()
    bounds = [0, *sorted(set(cuts)), len(events)]
    for version, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        state = BufferedStore(backing)
        folding = AlertingFold(alerting, state)
        for e in events[start:end]:
            pending = folding.apply(e)
            if refresh and e.org_id not in refreshed:
                fold.refresh(state, e.org_id, pending)
                refreshed.add(e.org_id)
        changes = folding.finish()
        touched = folding.touched
        state.flush()
        if alerting is not None:  # as the worker: the changes go out before the rows
            Alerting.sent(backing, changes)
        rows = snapshots.rows(touched, version, days_current=alerting is not None)
        for table, written in rows.items():
            keys = [tuple(row[COLUMNS[table].index(c)] for c in KEYS[table]) for row in written]
            assert len(keys) == len(set(keys)), f"{table}: a key twice in one batch"
        sink.write(rows)
    return final_tables(sink)


def stored_order(events: Iterable[BaseEvent]) -> list[BaseEvent]:
    """The events as `worksignals rebuild` reads them from the event store: one per
    (org_id, event_id), by org_id, occurred_at and event_id."""
    unique = {(e.org_id, e.event_id): e for e in events}
    return sorted(unique.values(), key=lambda e: (e.org_id, e.occurred_at, e.event_id))


def rebuild(events: Sequence[BaseEvent]) -> Tables:
    """Fold every event into one store and one Touched, then write the rows once (what
    `worksignals rebuild` does)."""
    store: dict[str, Any] = {}
    touched = fold.Touched()
    for e in events:
        fold.apply(store, e, touched)
    sink = MemorySink()
    sink.write(Snapshots(store, FIRST_LOOK).rows(touched, 1))
    return final_tables(sink)


# --- Event generation -------------------------------------------------------------------

_OFFSETS = [dt.timedelta(0), dt.timedelta(hours=2), dt.timedelta(hours=-5)]


@st.composite
def moments(draw: st.DrawFn) -> dt.datetime:
    """An instant on a coarse grid (so that some events share their occurred_at)."""
    day = draw(st.integers(-3, 24))
    hour = draw(st.sampled_from([0, 9, 13, 18, 23]))
    return dt.datetime.combine(BASE + dt.timedelta(days=day), dt.time(hour), dt.UTC)


@st.composite
def stamps(draw: st.DrawFn, moment: dt.datetime | None = None) -> str:
    """An RFC 3339 timestamp of `moment` (or a drawn one), in some UTC offset."""
    at = moment if moment is not None else draw(moments())
    offset = draw(st.sampled_from(_OFFSETS))
    return at.astimezone(dt.timezone(offset)).isoformat()


def _day(offset: int) -> str:
    return (BASE + dt.timedelta(days=offset)).isoformat()


CONTRIBUTORS = ["ana", "ben", "cleo"]
TEAMS = ["design", "eng"]
PROJECTS = ["p1", "p2"]
TASKS = {"t1": "p1", "t2": "p2"}


@st.composite
def profiles(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    found = []
    for contributor in draw(st.lists(st.sampled_from(CONTRIBUTORS[:2]), max_size=3)):
        fields: dict[str, Any] = {
            "org_id": org,
            "occurred_at": draw(stamps()),
            "contributor_id": contributor,
            "team_id": draw(st.sampled_from(TEAMS)),
            "weekly_capacity_hours": draw(st.sampled_from([20, 32, 40])),
            "target_utilization": draw(st.sampled_from([0.6, 0.8])),
        }
        cost = draw(st.sampled_from([None, 50, 80]))
        if cost is not None:
            fields["cost_rate"] = cost
        effective = draw(st.none() | st.integers(-7, 28))
        if effective is not None:
            fields["effective_from"] = _day(effective)
        found.append(event("contributor.profiled", **fields))
    return found


@st.composite
def time_off(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    found = []
    for contributor in draw(st.lists(st.sampled_from(CONTRIBUTORS), max_size=2)):
        fields: dict[str, Any] = {
            "org_id": org,
            "occurred_at": draw(stamps()),
            "contributor_id": contributor,
            "date": _day(draw(st.integers(-3, 28))),
        }
        hours = draw(st.sampled_from([None, 2, 8]))
        if hours is not None:
            fields["hours"] = hours
        found.append(event("contributor.time_off", **fields))
    return found


@st.composite
def plans(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    found = []
    for project in draw(st.lists(st.sampled_from(PROJECTS), min_size=1, max_size=3)):
        billing = draw(st.sampled_from(["time_and_materials", "fixed_fee", "non_billable"]))
        start = draw(st.integers(-7, 7))
        fields: dict[str, Any] = {
            "org_id": org,
            "occurred_at": draw(stamps()),
            "project_id": project,
            "name": f"Project {project}",
            "billing": billing,
            # Small plans, so that fixed fees reach their cap and creep shows.
            "planned_hours": draw(st.sampled_from([3, 8, 40])),
            "start_date": _day(start),
            "end_date": _day(start + draw(st.integers(0, 40))),
            "target_margin": draw(st.sampled_from([0.2, 0.3])),
        }
        if draw(st.booleans()):
            fields["team_id"] = draw(st.sampled_from(TEAMS))
        if billing == "time_and_materials":
            fields["bill_rate"] = draw(st.sampled_from([0, 100, 150]))
        elif billing == "fixed_fee":
            fields["fixed_fee"] = draw(st.sampled_from([500, 2000]))
        found.append(event("project.planned", **fields))
    return found


@st.composite
def entries(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    """Time entries with amendments (distinct revisions per entry_id) and deletions."""
    found = []
    entry_ids = st.sampled_from(["e1", "e2", "e3", "e4", "e5"])
    for entry_id in draw(st.lists(entry_ids, min_size=1, unique=True)):
        revisions = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True))
        deleted = revisions.pop() if len(revisions) > 1 and draw(st.booleans()) else None
        for revision in revisions:
            moment = draw(moments())
            fields: dict[str, Any] = {
                "org_id": org,
                "occurred_at": draw(stamps(moment)),
                "entry_id": entry_id,
                "revision": revision,
                "contributor_id": draw(st.sampled_from(CONTRIBUTORS)),
                "project_id": draw(st.sampled_from(PROJECTS)),
                # At most 2 days after occurred_at (the contract rejects later ones).
                "work_date": (moment.date() + dt.timedelta(days=draw(st.integers(-9, 2)))),
                "minutes": draw(st.sampled_from([20, 50, 90, 240, 480])),
                "billable": draw(st.booleans()),
            }
            fields["work_date"] = fields["work_date"].isoformat()
            team = draw(st.sampled_from([None, *TEAMS]))
            if team is not None:
                fields["for_team_id"] = team
            found.append(event("time.logged", **fields))
        if deleted is not None:
            found.append(
                event(
                    "time.deleted",
                    org_id=org,
                    occurred_at=draw(stamps()),
                    entry_id=entry_id,
                    revision=deleted,
                )
            )
    return found


@st.composite
def blocks(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    found = []
    for task in draw(st.lists(st.sampled_from(sorted(TASKS)), max_size=2, unique=True)):
        for kind in draw(
            st.lists(st.sampled_from(["task.blocked", "task.unblocked"]), min_size=1, max_size=4)
        ):
            fields: dict[str, Any] = {
                "org_id": org,
                "occurred_at": draw(stamps()),
                "task_id": task,
                "project_id": TASKS[task],
            }
            if kind == "task.blocked":
                fields["reason"] = draw(st.sampled_from(["access", "review"]))
                fields["blocked_by_team_id"] = draw(st.sampled_from(TEAMS))
            found.append(event(kind, **fields))
    return found


@st.composite
def handoff_steps(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    found = []
    for handoff in draw(st.lists(st.sampled_from(["h1", "h2"]), max_size=2, unique=True)):
        route = draw(st.permutations(TEAMS))
        for _ in range(draw(st.integers(0, 2))):
            found.append(
                event(
                    "handoff.requested",
                    org_id=org,
                    occurred_at=draw(stamps()),
                    handoff_id=handoff,
                    project_id=draw(st.sampled_from(PROJECTS)),
                    task_id=draw(st.sampled_from(sorted(TASKS))),
                    from_team_id=route[0],
                    to_team_id=route[1],
                    due_at=draw(stamps()),
                )
            )
        for step in ("handoff.accepted", "handoff.completed"):
            for _ in range(draw(st.integers(0, 2))):
                found.append(
                    event(step, org_id=org, occurred_at=draw(stamps()), handoff_id=handoff)
                )
    return found


@st.composite
def decisions(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    return [
        event(
            "decision.recorded",
            org_id=org,
            occurred_at=draw(stamps()),
            decision_id=decision_id,
            kind=draw(st.sampled_from(["rescope", "rebalance", "other"])),
            alert_ids=draw(st.lists(st.sampled_from(["a1", "a2"]), max_size=2)),
            decided_by="ops lead",
        )
        for decision_id in draw(st.lists(st.sampled_from(["d1", "d2"]), max_size=2, unique=True))
    ]


@st.composite
def org_events(draw: st.DrawFn, org: str) -> list[BaseEvent]:
    """Every event type that feeds the projections, for one org."""
    found: list[BaseEvent] = []
    for strategy in (profiles, time_off, plans, entries, blocks, handoff_steps, decisions):
        found += draw(strategy(org))
    for _ in range(draw(st.integers(0, 2))):
        found.append(event("clock.ticked", org_id=org, occurred_at=draw(stamps())))
    return found


@st.composite
def event_sets(draw: st.DrawFn) -> list[BaseEvent]:
    """Events of one or two orgs (the same ids in both), interleaved."""
    orgs = draw(st.sampled_from([["acme"], ["acme", "beta"]]))
    found: list[BaseEvent] = []
    for org in orgs:
        found += draw(org_events(org))
    return draw(st.permutations(found))


@st.composite
def cut_points(draw: st.DrawFn, events: Sequence[BaseEvent]) -> list[int]:
    """Where to cut `events` into batches: anywhere, or between every two events."""
    if len(events) < 2:
        return []
    every = list(range(1, len(events)))
    return draw(st.just(every) | st.lists(st.sampled_from(every), unique=True))


@st.composite
def with_duplicates(draw: st.DrawFn, events: list[BaseEvent]) -> list[BaseEvent]:
    """`events` with some of them delivered again, anywhere (before or after the first)."""
    result = list(events)
    for again in draw(st.lists(st.sampled_from(events), max_size=8)) if events else []:
        result.insert(draw(st.integers(0, len(result))), again)
    return result


PROPERTY = settings(max_examples=60, deadline=None)


# --- Properties -------------------------------------------------------------------------


@PROPERTY
@given(data=st.data(), events=event_sets())
def test_any_order_gives_the_same_final_tables(
    data: st.DataObject, events: list[BaseEvent]
) -> None:
    expected = rebuild(events)
    order = data.draw(st.permutations(events), label="order")
    assert_same(worker(order), expected)
    # One event per batch: every intermediate clock is written and then overwritten.
    assert_same(worker(order, range(1, len(order))), worker(events, range(1, len(events))))


@PROPERTY
@given(data=st.data(), events=event_sets())
def test_repeated_events_change_nothing(data: st.DataObject, events: list[BaseEvent]) -> None:
    expected = rebuild(events)
    repeated = data.draw(with_duplicates(events), label="repeated")
    assert_same(worker(repeated), expected)
    cuts = data.draw(cut_points(repeated), label="cuts")
    assert_same(worker(repeated, cuts), expected)


@PROPERTY
@given(data=st.data(), events=event_sets())
def test_any_batches_give_the_same_final_tables_as_one(
    data: st.DataObject, events: list[BaseEvent]
) -> None:
    cuts = data.draw(cut_points(events), label="cuts")
    assert_same(worker(events, cuts), worker(events))


@PROPERTY
@given(data=st.data(), events=event_sets())
def test_a_rebuild_equals_what_the_worker_wrote(
    data: st.DataObject, events: list[BaseEvent]
) -> None:
    delivered = data.draw(with_duplicates(data.draw(st.permutations(events))), label="delivered")
    cuts = data.draw(cut_points(delivered), label="cuts")
    refresh = data.draw(st.booleans(), label="refresh")
    written = worker(delivered, cuts, refresh)
    assert_same(written, rebuild(stored_order(delivered)))
    assert_same(written, rebuild(delivered))


@PROPERTY
@given(data=st.data(), events=event_sets())
def test_evaluating_alerts_leaves_the_tables_as_they_are(
    data: st.DataObject, events: list[BaseEvent]
) -> None:
    """The rows read the project-day and week memos the alert evaluation keeps: those must
    be current, whatever the order, repeats and batches."""
    delivered = data.draw(with_duplicates(data.draw(st.permutations(events))), label="delivered")
    cuts = data.draw(cut_points(delivered), label="cuts")
    refresh = data.draw(st.booleans(), label="refresh")
    assert_same(worker(delivered, cuts, refresh, alerts=True), rebuild(delivered))


def test_the_generated_events_cover_every_type_and_table() -> None:
    """A guard on the generator: every event type that feeds a projection, every table."""
    types: set[str] = set()
    filled: set[str] = set()

    @settings(max_examples=30, deadline=None, database=None)
    @given(events=event_sets())
    def collect(events: list[BaseEvent]) -> None:
        types.update(e.type for e in events)  # type: ignore[attr-defined]
        filled.update(table for table, rows in rebuild(events).items() if rows)

    collect()
    assert types == set(EVENT_TYPES)
    assert filled == set(PROJECTION_TABLES)


# --- Regressions found by the properties ------------------------------------------------


def test_a_week_after_the_current_one_is_written_when_the_clock_enters_it() -> None:
    """Time logged on a Saturday for the next Monday: that week's trailing values must
    include the week before it, whichever entry arrives first."""
    monday = event(
        "time.logged",
        entry_id="next",
        work_date="2026-03-09",
        minutes=120,
        occurred_at="2026-03-07T18:00:00Z",
    )
    wednesday = event(
        "time.logged",
        entry_id="late",
        work_date="2026-03-04",
        minutes=60,
        occurred_at="2026-03-07T19:00:00Z",
    )
    for order in ([monday, wednesday], [wednesday, monday]):
        tables = worker(order, cuts=[1])
        assert set(tables["contributor_weekly"]) == {("acme", "ana", dt.date(2026, 3, 2))}
        assert set(tables["contributor_daily"]) == {
            ("acme", "ana", dt.date(2026, 3, 4)),
            ("acme", "ana", dt.date(2026, 3, 9)),
        }
    tick = event("clock.ticked", occurred_at="2026-03-09T08:00:00Z")
    tables = worker([monday, wednesday, tick], cuts=[1, 2])
    week = tables["contributor_weekly"][("acme", "ana", dt.date(2026, 3, 9))]
    assert (week["logged_hours"], week["trailing_logged_hours"]) == (2.0, 3.0)


def test_a_project_has_no_week_rows_where_it_never_had_time() -> None:
    """An entry moved from p1 (on a Monday) to p2 (the Sunday before), then deleted: each
    project keeps a row only for the week it had time in, whatever the order."""
    logged = [
        event("time.logged", entry_id="e1", revision=r, project_id="p1", work_date="2026-03-02")
        for r in (1, 2)
    ]
    moved = event(
        "time.logged",
        entry_id="e1",
        revision=3,
        project_id="p2",
        work_date="2026-03-01",
        occurred_at="2026-03-01T17:00:00Z",
    )
    deleted = event("time.deleted", entry_id="e1", revision=4)
    for order in ([*logged, moved, deleted], [deleted, *logged, moved]):
        weeks = rebuild(order)["project_weekly"]
        assert set(weeks) == {
            ("acme", "p1", dt.date(2026, 3, 2)),
            ("acme", "p2", dt.date(2026, 2, 23)),
        }
        assert all(row["hours"] == 0.0 for row in weeks.values())


def test_a_project_week_is_stamped_by_its_own_entries_only() -> None:
    """A project week's computed_at is the latest change of the project's own entries, so
    an amendment of another project's entry on the same contributor day leaves it as is."""
    mine = event("time.logged", entry_id="e1", project_id="p1", occurred_at="2026-03-02T09:00:00Z")
    other = event("time.logged", entry_id="e2", project_id="p2", occurred_at="2026-03-02T10:00:00Z")
    amended = event(
        "time.logged",
        entry_id="e2",
        revision=2,
        project_id="p2",
        minutes=90,
        occurred_at="2026-03-03T12:00:00Z",
    )
    events = [mine, other, amended]
    tables = worker(events, cuts=[1, 2])
    assert_same(tables, rebuild(events))
    row = tables["project_weekly"][("acme", "p1", dt.date(2026, 3, 2))]
    assert row["computed_at"] == dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    other_row = tables["project_weekly"][("acme", "p2", dt.date(2026, 3, 2))]
    assert other_row["computed_at"] == dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)
