"""The floor under the worker's rate: what its steps for every event cost alone.

Whatever else the projections compute, this worker takes each event through some steps:
read from the topic, validated (bad input must never crash a component), stored in the
`events` table (the event store that `rebuild` replays), folded into state keyed by what
the event identifies and persisted to RocksDB and its changelog topic (so a restarted or
moved worker recovers it), and its contributor day's row written. They run on the
process's one Python thread (the GIL) whatever the number of cores.

`python -m streams.bench_floor` times each step as this worker implements it, on the
bench's workload with the worker's garbage-collector thresholds, in CPU time of the
calling thread per event (Python and the native work it runs itself: pydantic-core,
orjson, RocksDB's write, chDB's insert as clickhouse-connect calls it; threads of chDB and
RocksDB are not counted):

- **validate**: `events.parse.parse` of each raw event, as the ingest stage does (the
  projection agent validates each event again: not counted);
- **store the event**: its `events` row and the insert into a fresh chDB, in batches of
  the ingest stage's largest size;
- **persist the keyed state**: the keys the real folds write per batch of 20,000 events
  (computed first, not timed), encoded as the worker encodes them, one RocksDB write batch
  and the changelog's Kafka record batches built (not sent);
- **store its day's row**: the insert of the `contributor_daily` rows of the days each
  batch changed (computed first, not timed).

Not counted either: reading the state before folding, sending the changelog, committing.
Reading the topic is measured by the bench itself (its bare aiokafka consumer, wall time)
and added when given. The projections' own work (folds, other rows, patterns) comes on top
of the total. Each step is the median of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rocksdict
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from events.parse import Accepted, Source, parse
from projections import contributor_daily, fold
from projections.store import BufferedStore
from sinks.clickhouse import Warehouse
from sinks.rows import contributor_day_row, event_rows
from streams.faust_codecs import plain_dumps
from streams.gc_tuning import GC_THRESHOLDS
from streams.settings import Settings
from streams.state_writer import RECORD_BATCH_BYTES

INSERT_ROWS: int = Settings.model_fields["ingest_batch_max"].default
"""Events per `events` insert: the ingest stage's largest batch."""
FOLD_BATCH = 20_000
"""Events folded per batch, each changed key written once per batch as in a take. A take
holds what arrived in a cadence (0.25 s: 12,500 events at 50,000 events/s); larger
batches share more keys between their events."""
FIRST_LOOK = dt.timedelta(hours=Settings.model_fields["first_look_hours"].default)
"""The default first-look window of the rows' visible_to_ops_at."""


@dataclass
class Floor:
    """Microseconds of one Python thread per event, by step."""

    events: int
    steps: dict[str, float] = field(default_factory=dict)
    state_keys_per_event: float = 0.0
    totals: list[float] = field(default_factory=list)
    """The total of each run, when the steps are medians of several."""

    @property
    def total(self) -> float:
        """The sum of the steps, in microseconds per event."""
        return sum(self.steps.values())

    @property
    def max_rate(self) -> float:
        """Events per second one Python thread reaches doing nothing but these steps."""
        return 1e6 / self.total if self.total else 0.0

    def lines(self) -> list[str]:
        """The figures, a line each."""
        found = [f"{name:<28} {micros:6.2f} us/event" for name, micros in self.steps.items()]
        spread = (
            f" (runs: {', '.join(f'{t:.2f}' for t in self.totals)})" if len(self.totals) > 1 else ""
        )
        found.append(f"{'total':<28} {self.total:6.2f} us/event{spread}")
        found.append(
            f"at most {self.max_rate:,.0f} events/s on one Python thread for these steps alone "
            f"({self.events:,} events sampled; {self.state_keys_per_event:.2f} state keys "
            "written per event)"
        )
        return found


def time_ingest(lines: Sequence[bytes], warehouse: Warehouse) -> tuple[float, float]:
    """CPU seconds of this thread to parse every line, and to build and insert the
    `events` rows, batch by batch as the ingest stage does (a batch's events are dropped
    once stored)."""
    now = dt.datetime.now(dt.UTC)
    validating = storing = 0.0
    for start in range(0, len(lines), INSERT_ROWS):
        chunk = lines[start : start + INSERT_ROWS]
        begin = time.thread_time()
        parsed = [parse(raw, Source("bench", 0, start + n)) for n, raw in enumerate(chunk)]
        validated = time.thread_time()
        accepted = [p for p in parsed if isinstance(p, Accepted)]
        warehouse.insert("events", event_rows(accepted, now))
        stored = time.thread_time()
        validating += validated - begin
        storing += stored - validated
    return validating, storing


@dataclass
class Folded:
    """What the folds of one batch write: state keys, and the rows of the contributor days
    it changed (the least any projection writes: every other table's rows come on top)."""

    writes: list[tuple[str, Any]]
    day_rows: list[tuple[object, ...]]


def fold_batches(accepted: Sequence[Accepted], batch: int = FOLD_BATCH) -> list[Folded]:
    """Fold the events with the real folds, `batch` events at a time as a take does: the
    (key, value) pairs written, in the order the worker writes them, and the day rows."""
    backing: dict[str, Any] = {}
    found = []
    for start in range(0, len(accepted), batch):
        buffer = BufferedStore(backing)
        touched = fold.Touched()
        for item in accepted[start : start + batch]:
            fold.apply(buffer, item.event, touched)
        writes = [(key, buffer.pending[key]) for key in buffer.write_order()]
        buffer.flush()
        day_rows = [
            contributor_day_row(contributor_daily.day(backing, key), FIRST_LOOK, start + 1)
            for key in sorted(touched.days)
        ]
        found.append(Folded(writes, day_rows))
    return found


def persist_state(batches: Sequence[Folded], folder: Path) -> float:
    """CPU seconds to encode the batches' keys, write them to RocksDB and build their
    changelog record batches."""
    db = rocksdict.Rdict(str(folder / "rocksdb"), options=rocksdict.Options(raw_mode=True))

    def builder() -> DefaultRecordBatchBuilder:
        return DefaultRecordBatchBuilder(
            magic=2,
            compression_type=0,
            is_transactional=False,
            producer_id=-1,
            producer_epoch=-1,
            base_sequence=-1,
            batch_size=RECORD_BATCH_BYTES,
        )

    def persist() -> None:
        for folded in batches:
            encoded = [(plain_dumps(key), plain_dumps(value)) for key, value in folded.writes]
            write_batch = rocksdict.WriteBatch(raw_mode=True)
            for key_bytes, value_bytes in encoded:
                write_batch.put(key_bytes, value_bytes)
            db.write(write_batch)
            records = builder()
            for offset, (key_bytes, value_bytes) in enumerate(encoded):
                if records.append(offset, None, key_bytes, value_bytes, []) is None:
                    records.build()
                    records = builder()
                    records.append(offset, None, key_bytes, value_bytes, [])
            records.build()

    try:
        begin = time.thread_time()
        persist()
        return time.thread_time() - begin
    finally:
        db.close()


def store_day_rows(batches: Sequence[Folded], warehouse: Warehouse) -> float:
    """CPU seconds of this thread to insert the batches' contributor day rows."""
    begin = time.thread_time()
    for folded in batches:
        warehouse.insert("contributor_daily", folded.day_rows)
    return time.thread_time() - begin


def measure(
    lines: Sequence[bytes], consume_micros: float | None = None, folder: Path | None = None
) -> Floor:
    """Time the steps on `lines` once, in `folder` (a new temporary one by default); what
    it writes there is removed afterwards."""
    if not lines:
        raise ValueError("no events to time")
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    work = Path(tempfile.mkdtemp(prefix="worksignals-floor-", dir=folder))
    warehouse: Warehouse | None = None
    try:
        warehouse = Warehouse(f"chdb://{work / 'clickhouse'}")
        warehouse.migrate()
        floor = Floor(len(lines))
        if consume_micros is not None:
            floor.steps["read (bare consumer)"] = consume_micros
        validating, storing = time_ingest(lines, warehouse)
        floor.steps["validate"] = validating / len(lines) * 1e6
        floor.steps["store the event"] = storing / len(lines) * 1e6
        parsed = (parse(raw, Source("bench", 0, n)) for n, raw in enumerate(lines))
        batches = fold_batches([p for p in parsed if isinstance(p, Accepted)])
        gc.collect()
        floor.steps["persist the keyed state"] = persist_state(batches, work) / len(lines) * 1e6
        floor.steps["store its day's row"] = store_day_rows(batches, warehouse) / len(lines) * 1e6
        floor.state_keys_per_event = sum(len(b.writes) for b in batches) / len(lines)
        return floor
    finally:
        try:
            if warehouse is not None:
                warehouse.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
            gc.set_threshold(*thresholds)


def measure_repeated(
    lines: Sequence[bytes],
    repeats: int,
    consume_micros: float | None = None,
    folder: Path | None = None,
) -> Floor:
    """`measure` `repeats` times; each step is the median of the runs."""
    runs = [measure(lines, consume_micros, folder) for _ in range(max(1, repeats))]
    return Floor(
        runs[0].events,
        {name: statistics.median(run.steps[name] for run in runs) for name in runs[0].steps},
        runs[0].state_keys_per_event,
        [run.total for run in runs],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the bench's workload and print the floor."""
    from streams.bench import BenchError, generate

    parser = argparse.ArgumentParser(
        prog="python -m streams.bench_floor", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--events", type=int, default=200_000, help="events to time")
    parser.add_argument("--contributors", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="runs; each step's median")
    parser.add_argument(
        "--consume-micros", type=float, help="microseconds per record of a bare consumer"
    )
    parser.add_argument(
        "--folder", type=Path, help="where to write the chDB and RocksDB data (removed after)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        workload = generate(args.events, args.contributors, args.projects, args.seed)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.folder is not None:
        args.folder.mkdir(parents=True, exist_ok=True)
    floor = measure_repeated(workload.lines, args.repeats, args.consume_micros, args.folder)
    if args.json:
        print(
            json.dumps(
                {
                    "events": floor.events,
                    "steps": floor.steps,
                    "state_keys_per_event": floor.state_keys_per_event,
                    "totals": floor.totals,
                }
            )
        )
    else:
        print("\n".join(floor.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
