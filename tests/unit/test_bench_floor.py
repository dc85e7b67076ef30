"""The bench's floor: it times the real steps, on the keys the real folds write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rocksdict

from events.parse import Accepted, Source, parse
from projections import contributor_daily, fold
from sinks.rows import contributor_day_row
from streams.bench import generate
from streams.bench_floor import FIRST_LOOK, Floor, fold_batches, measure, persist_state
from streams.faust_codecs import plain_dumps


def _accepted(count: int) -> list[Accepted]:
    lines = generate(count, 20, 5, 7).lines
    parsed = [parse(raw, Source("bench", 0, n)) for n, raw in enumerate(lines)]
    assert all(isinstance(p, Accepted) for p in parsed)
    return [p for p in parsed if isinstance(p, Accepted)]


def test_the_floor_adds_its_steps_and_gives_the_rate_they_allow() -> None:
    floor = Floor(1000, {"read": 2.0, "validate": 5.0, "store": 3.0}, 1.5)
    assert floor.total == 10.0
    assert floor.max_rate == 100_000
    assert "10.00 us/event" in floor.lines()[-2]
    assert "at most 100,000 events/s" in floor.lines()[-1]
    assert Floor(0).max_rate == 0.0


def test_fold_batches_are_what_the_folds_write() -> None:
    accepted = _accepted(3_000)
    replayed: dict[str, Any] = {}
    batches = fold_batches(accepted, batch=500)
    assert len(batches) == 6
    for batch in batches:
        replayed.update(batch.writes)
    store: dict[str, Any] = {}
    touched = fold.Touched()
    for item in accepted:
        fold.apply(store, item.event, touched)
    assert replayed == store
    # The last row of each contributor day is the day as folded from every event.
    last = {
        (str(row[0]), str(row[1]), str(row[2])): row[:-1] for b in batches for row in b.day_rows
    }
    assert len(last) == sum(1 for key in store if key.startswith("day|"))
    for key, row in last.items():
        assert row == contributor_day_row(contributor_daily.day(store, key), FIRST_LOOK, 0)[:-1]


def test_persist_state_writes_every_key_to_rocksdb(tmp_path: Path) -> None:
    batches = fold_batches(_accepted(1_500))
    seconds = persist_state(batches, tmp_path)
    assert seconds > 0
    db = rocksdict.Rdict(str(tmp_path / "rocksdb"), options=rocksdict.Options(raw_mode=True))
    try:
        stored = set(db.keys())
    finally:
        db.close()
    assert stored == {plain_dumps(key) for folded in batches for key, _ in folded.writes}


def test_measure_times_each_step_of_a_sample() -> None:
    lines = generate(2_000, 20, 5, 7).lines
    floor = measure(lines, consume_micros=2.5)
    assert floor.events == len(lines)
    assert list(floor.steps) == [
        "read (bare consumer)",
        "validate",
        "store the event",
        "persist the keyed state",
        "store its day's row",
    ]
    assert floor.steps["read (bare consumer)"] == 2.5
    assert all(micros > 0 for micros in floor.steps.values())
    # Every time entry writes at least its own record.
    assert floor.state_keys_per_event > 0.9
