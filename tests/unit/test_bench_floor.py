"""The bench's floor: it times the real steps, on the keys the real folds write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rocksdict

from events.parse import Accepted, Source, parse
from projections import fold
from streams.bench import generate
from streams.bench_floor import Floor, measure, persist_state, state_batches
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


def test_state_batches_are_what_the_folds_write() -> None:
    accepted = _accepted(3_000)
    replayed: dict[str, Any] = {}
    batches = state_batches(accepted, batch=500)
    assert len(batches) == 6
    for items in batches:
        replayed.update(items)
    folded: dict[str, Any] = {}
    touched = fold.Touched()
    for item in accepted:
        fold.apply(folded, item.event, touched)
    assert replayed == folded


def test_persist_state_writes_every_key_to_rocksdb(tmp_path: Path) -> None:
    batches = state_batches(_accepted(1_500))
    seconds = persist_state(batches, tmp_path)
    assert seconds > 0
    db = rocksdict.Rdict(str(tmp_path / "rocksdb"), options=rocksdict.Options(raw_mode=True))
    try:
        stored = set(db.keys())
    finally:
        db.close()
    assert stored == {plain_dumps(key) for items in batches for key, _ in items}


def test_measure_times_each_step_of_a_sample() -> None:
    lines = generate(2_000, 20, 5, 7).lines
    floor = measure(lines, consume_micros=2.5)
    assert floor.events == len(lines)
    assert list(floor.steps) == [
        "read (bare consumer)",
        "validate",
        "store the event",
        "persist the keyed state",
    ]
    assert floor.steps["read (bare consumer)"] == 2.5
    assert all(micros > 0 for micros in floor.steps.values())
    # Every time entry writes at least its own record.
    assert floor.state_keys_per_event > 0.9
