"""Valid events at the edges of the contract never break the fold, the patterns or the rows.

Validation at the edge stops malformed input; what it lets through must fold. A fold that
raises stops its worker's takes for good (each take reads the same state again), so every
value the contract accepts is tried here: dates back to 1970, timestamps in any UTC offset,
capacities and rates from the smallest positive float to the largest, plans of a single
minute or of billions of hours.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.models import (
    EARLIEST,
    EVENT_ADAPTER,
    EVENT_TYPES,
    MAX_FEE,
    MAX_PLANNED_HOURS,
    MAX_RATE,
    MIN_HOURS,
    BaseEvent,
)
from projections.patterns.policy import Policy
from projections.store import BufferedStore
from sinks import row_messages
from sinks.clickhouse import COLUMNS
from sinks.row_messages import decode
from sinks.snapshot import Snapshots
from streams.alerting import Alerting, AlertingFold

DATE_MIN, DATE_MAX = dt.date(1970, 1, 1), dt.date(2149, 6, 6)
"""The range of ClickHouse's Date: a row with a date outside it cannot be inserted."""

LAST_DAY = dt.date(2026, 3, 20)
"""The latest date generated: events never lie far ahead of the ingest stage's clock."""

CONTRIBUTORS = ["ana", "ben"]
TEAMS = ["design", "eng"]
PROJECTS = ["p1", "p2"]
TASKS = ["t1", "t2"]
HANDOFFS = ["h1", "h2"]

_EDGE_DAYS = [EARLIEST, dt.date(1970, 1, 5), LAST_DAY - dt.timedelta(days=9), LAST_DAY]


def days() -> st.SearchStrategy[dt.date]:
    """Dates from 1970 to LAST_DAY, often the edges."""
    return st.one_of(st.sampled_from(_EDGE_DAYS), st.dates(EARLIEST, LAST_DAY))


@st.composite
def stamps(draw: st.DrawFn) -> str:
    """An RFC 3339 timestamp in some UTC offset whose UTC date is a valid day."""
    utc = dt.datetime.combine(draw(days()), draw(st.times()), dt.UTC)
    offset = dt.timedelta(minutes=15 * draw(st.integers(-56, 56)))
    return utc.astimezone(dt.timezone(offset)).isoformat()


def positive(high: float) -> st.SearchStrategy[float]:
    """A float in [MIN_HOURS, high], often an edge."""
    return st.one_of(
        st.sampled_from([MIN_HOURS, 1.0, high]),
        st.floats(min_value=MIN_HOURS, max_value=high),
    )


def amounts(high: float) -> st.SearchStrategy[float]:
    """A rate or fee: 0 to `high`, often an edge (the smallest positive float too)."""
    return st.one_of(st.sampled_from([0.0, 5e-324, 1e-310, 1e-9, high]), st.floats(0, high))


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid event of the contract, with edge values."""
    # Every type, and time entries three times as often: most events are.
    kind = draw(st.sampled_from([*EVENT_TYPES, "time.logged", "time.logged"]))
    doc: dict[str, Any] = {"event_id": "x", "type": kind, "occurred_at": draw(stamps())}
    contributor = draw(st.sampled_from(CONTRIBUTORS))
    project = draw(st.sampled_from(PROJECTS))
    if kind == "contributor.profiled":
        doc |= {
            "contributor_id": contributor,
            "team_id": draw(st.sampled_from(TEAMS)),
            "weekly_capacity_hours": draw(positive(80.0)),
            "target_utilization": draw(positive(1.0)),
            "cost_rate": draw(st.none() | amounts(MAX_RATE)),
            "effective_from": draw(st.none() | days().map(str)),
        }
    elif kind == "contributor.time_off":
        doc |= {
            "contributor_id": contributor,
            "date": str(draw(days())),
            "hours": draw(st.none() | positive(24.0)),
        }
    elif kind == "project.planned":
        start, end = sorted([draw(days()), draw(days())])
        billing = draw(st.sampled_from(["time_and_materials", "fixed_fee", "non_billable"]))
        doc |= {
            "project_id": project,
            "billing": billing,
            "planned_hours": draw(positive(MAX_PLANNED_HOURS)),
            "start_date": str(start),
            "end_date": str(end + dt.timedelta(days=draw(st.sampled_from([0, 4000])))),
            "bill_rate": draw(amounts(MAX_RATE)),
            "fixed_fee": draw(amounts(MAX_FEE)),
            "target_margin": draw(st.sampled_from([0.0, 0.3, 0.999])),
        }
    elif kind == "time.logged":
        occurred = dt.datetime.fromisoformat(doc["occurred_at"]).astimezone(dt.UTC).date()
        work_date = max(EARLIEST, occurred - dt.timedelta(days=draw(st.sampled_from([0, 1, 40]))))
        doc |= {
            "entry_id": draw(st.sampled_from(["e1", "e2", "e3"])),
            "revision": draw(st.integers(1, 3)),
            "contributor_id": contributor,
            "project_id": project,
            "work_date": str(work_date),
            "minutes": draw(st.sampled_from([1, 60, 1440])),
            "billable": draw(st.booleans()),
            "for_team_id": draw(st.none() | st.sampled_from(TEAMS)),
        }
    elif kind == "time.deleted":
        doc |= {
            "entry_id": draw(st.sampled_from(["e1", "e2"])),
            "revision": draw(st.integers(1, 3)),
        }
    elif kind in ("task.blocked", "task.unblocked"):
        doc |= {"task_id": draw(st.sampled_from(TASKS)), "project_id": project}
        if kind == "task.blocked":
            doc["blocked_by_team_id"] = draw(st.none() | st.sampled_from(TEAMS))
    elif kind == "handoff.requested":
        doc |= {
            "handoff_id": draw(st.sampled_from(HANDOFFS)),
            "project_id": project,
            "from_team_id": "design",
            "to_team_id": "eng",
            "due_at": draw(stamps()),
        }
    elif kind in ("handoff.accepted", "handoff.completed"):
        doc["handoff_id"] = draw(st.sampled_from(HANDOFFS))
    elif kind == "decision.recorded":
        doc |= {"decision_id": "d1", "kind": "rescope", "decided_by": "lead", "alert_ids": []}
    return doc


def parsed(docs: list[dict[str, Any]]) -> list[BaseEvent]:
    """The documents as events, each with its own event_id."""
    found = []
    for n, doc in enumerate(docs):
        event: BaseEvent = EVENT_ADAPTER.validate_json(orjson.dumps({**doc, "event_id": f"e{n}"}))
        found.append(event)
    return found


def fold_as_the_worker(events: list[BaseEvent], cuts: list[int]) -> None:
    """Fold `events` in batches as the worker does (patterns, alert changes, rows), and
    check what each batch writes: alert changes and rows survive the JSON they travel in
    (the alerts topic, the rows topic of scaled-out workers) unchanged, and every date
    fits ClickHouse's Date."""
    backing: dict[str, Any] = {}
    alerting = Alerting(Policy())
    snapshots = Snapshots(backing, dt.timedelta(hours=24), alerting.project_days, alerting.weeks)
    bounds = [0, *sorted(set(cuts)), len(events)]
    for version, (start, end) in enumerate(itertools.pairwise(bounds), start=1):
        state = BufferedStore(backing)
        folding = AlertingFold(alerting, state)
        for event in events[start:end]:
            folding.apply(event)
        changes = folding.finish()
        state.flush()
        assert orjson.loads(orjson.dumps(changes)) == changes
        Alerting.sent(backing, changes)
        rows = snapshots.rows(folding.touched, version, days_current=True)
        for table, table_rows in rows.items():
            assert all(len(row) == len(COLUMNS[table]) for row in table_rows), table
            carried = [r for m in row_messages.encode({table: table_rows}) for r in decode(m)[1]]
            assert carried == [tuple(row) for row in table_rows], table
            for row in table_rows:
                for value in row:
                    if isinstance(value, dt.date):
                        assert DATE_MIN <= _date_of(value) <= DATE_MAX, (table, row)


def _date_of(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(documents(), min_size=1, max_size=25), st.lists(st.integers(0, 25), max_size=3))
def test_any_valid_events_fold_evaluate_and_write(
    docs: list[dict[str, Any]], cuts: list[int]
) -> None:
    fold_as_the_worker(parsed(docs), cuts)
