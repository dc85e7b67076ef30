"""The `worksignals` command line (contract section 4)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from projections.patterns.lifecycle import ALERT_FIELDS
from projections.patterns.policy import PolicyError, load_policy
from sinks.clickhouse import QueryResult, Warehouse, WarehouseError
from sinks.notify import RoutingError, load_routing
from streams import localstack
from streams.decide import add_decide_parser
from streams.http import to_json
from streams.publish import (
    Outcome,
    PublishResult,
    WaitTimeout,
    outcome,
    publish_lines,
    read_lines,
    wait_until_processed,
)
from streams.reader import open_reader, worker_health
from streams.review.commands import add_review_parser
from streams.sample import sample_lines
from streams.settings import Settings
from streams.simulator import add_simulate_parser

console = Console()
errors = Console(stderr=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `worksignals` console command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    settings = Settings()
    try:
        code: int = args.handler(settings, args)
        return code
    except (WarehouseError, localstack.StackError, WaitTimeout) as error:
        errors.print(f"[red]error:[/red] {error}")
        return 1
    except (PolicyError, RoutingError) as error:
        errors.print(f"[red]configuration error:[/red] {error}")
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="worksignals",
        description="Operating signals from time tracking, contributor first. "
        "Configuration comes from WORKSIGNALS_* environment variables.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    verbs.add_parser(
        "up", help="start the local broker and the worker in the background"
    ).set_defaults(handler=cmd_up)
    verbs.add_parser("down", help="stop the local worker and broker").set_defaults(handler=cmd_down)
    p = verbs.add_parser(
        "status",
        help="report the broker, worker, lag and last writes; exit 1 when something is down",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(handler=cmd_status)
    verbs.add_parser("worker", help="run the worker in the foreground").set_defaults(
        handler=cmd_worker
    )
    verbs.add_parser("migrate", help="apply the ClickHouse DDL, idempotently").set_defaults(
        handler=cmd_migrate
    )

    p = verbs.add_parser("publish", help="publish JSON-lines events to the ingest topic")
    p.add_argument("file", help="a JSON-lines file, or - for standard input")
    p.add_argument(
        "--wait",
        action="store_true",
        help="return once the worker processed and stored every published event",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds --wait may take")
    p.set_defaults(handler=cmd_publish)

    p = verbs.add_parser("alerts", help="list alerts")
    p.add_argument("--audience", choices=["contributor", "ops"])
    p.add_argument("--status", choices=["firing", "resolved", "all"], default="firing")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_alerts)

    p = verbs.add_parser("query", help="run a read-only SQL query against ClickHouse")
    p.add_argument("sql")
    p.add_argument("--json", action="store_true", help="one JSON object per row")
    p.set_defaults(handler=cmd_query)

    verbs.add_parser(
        "rebuild", help="recompute every projection table from the event store"
    ).set_defaults(handler=cmd_rebuild)
    p = verbs.add_parser("sample", help="write the demo's sample events (JSON lines) to stdout")
    p.set_defaults(handler=cmd_sample)
    p = verbs.add_parser("demo", help="start the stack, publish the sample, show what landed")
    p.set_defaults(handler=cmd_demo)
    add_review_parser(verbs)
    add_decide_parser(verbs)
    add_simulate_parser(verbs)
    return parser


def check_config_files(settings: Settings) -> None:
    """Load the policy and routing files, raising PolicyError or RoutingError naming the
    file and key, so a bad file stops a command before a background worker is started."""
    load_policy(settings.policy_file)
    if settings.routing_file is not None:
        load_routing(settings.routing_file)


def cmd_up(settings: Settings, _args: argparse.Namespace) -> int:
    """Start the local stack."""
    check_config_files(settings)
    with console.status("starting the Kafka broker and the worker..."):
        started = localstack.up(settings)
    console.print(
        f"broker ready ({started.broker_seconds:.1f}s) at {settings.kafka_bootstrap}; "
        f"worker ready ({started.worker_seconds:.1f}s) at {settings.worker_url}"
    )
    console.print(f"state under {settings.state_dir}")
    return 0


def cmd_down(settings: Settings, _args: argparse.Namespace) -> int:
    """Stop the local stack."""
    worker, broker = localstack.down(settings)
    console.print(
        f"worker {'stopped' if worker else 'was not running'}; "
        f"broker {'stopped' if broker else 'was not running'}"
    )
    return 0


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print the stack's health; exit 1 when the broker or the worker is down, or when
    the worker reports a stage whose writes are failing."""
    report = localstack.status(settings)
    if args.json:
        sys.stdout.write(orjson.dumps(report, default=str).decode() + "\n")
        return 0 if report["healthy"] else 1
    worker = report["worker"]
    table = Table(title="worksignals status", show_header=False)
    table.add_row("broker", _up(report["broker"]["up"]) + f"  {settings.kafka_bootstrap}")
    table.add_row(
        "worker",
        _up(worker["up"])
        + f"  {settings.worker_url}"
        + (f"  role {worker['role']}, pid {worker.get('pid')}" if worker["up"] else ""),
    )
    table.add_row("clickhouse", settings.clickhouse)
    ingest = worker.get("ingest")
    if ingest:
        table.add_row(
            "ingested",
            f"{ingest['accepted']:,} accepted, {ingest['rejected']:,} rejected since start",
        )
    if worker["up"]:
        for stage, at in report["last_write"].items():
            table.add_row(f"last write {stage}", str(at or "none since start"))
    for stage, sink in report["sinks"].items():
        state = "[red]failing[/red]" if sink["failing"] else "[green]ok[/green]"
        table.add_row(
            f"sink {stage}",
            f"{state}  {sink['failures']:,} failure(s)"
            + (f", last: {sink['last_error']}" if sink["last_error"] else ""),
        )
    for consumer in report.get("consumers", []):
        by_partition = ", ".join(f"{p}: {n:,}" for p, n in consumer["partitions"].items())
        table.add_row(
            f"lag {consumer['stage']}",
            f"{consumer['lag']:,}  ({consumer['group']} on {consumer['topic']}; {by_partition})",
        )
    if "dead_letters" in report:
        table.add_row("dead letters", f"{report['dead_letters']:,}  ({settings.topic_dlq})")
    notifier = report.get("notifier")
    if notifier:
        for channel, figures in notifier["channels"].items():
            table.add_row(
                f"channel {channel}",
                f"{figures['delivered']:,} delivered, {figures['failed']:,} failed attempts, "
                f"{figures['pending']:,} pending, {figures['rejected']:,} rejected",
            )
    for problem in report["problems"]:
        table.add_row("[red]problem[/red]", problem)
    console.print(table)
    return 0 if report["healthy"] else 1


def _up(flag: bool) -> str:
    return "[green]up[/green]" if flag else "[red]down[/red]"


def cmd_worker(settings: Settings, _args: argparse.Namespace) -> int:
    """Run the worker in the foreground until interrupted."""
    # Imported here: loading Faust and RocksDB would slow down every other command.
    from streams.worker import run_worker

    check_config_files(settings)
    run_worker(settings)
    return 0


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """Apply pending DDL files."""
    if _worker_holds_database(settings):
        console.print(
            "the running worker holds the embedded database; it applied every "
            "migration when it started"
        )
        return 0
    warehouse = Warehouse(settings.clickhouse)
    try:
        applied = warehouse.migrate()
    finally:
        warehouse.close()
    console.print(
        f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else "")
    )
    return 0


def _worker_holds_database(settings: Settings) -> bool:
    """True when a running worker has the embedded database open (no other process may)."""
    return settings.embedded_clickhouse and worker_health(settings) is not None


def cmd_rebuild(settings: Settings, _args: argparse.Namespace) -> int:
    """Recompute the projection tables from `events`, with a progress bar."""
    from streams.gc_tuning import collect_less_often
    from streams.rebuild import rebuild

    collect_less_often()
    if _worker_holds_database(settings):
        errors.print(
            "[red]the running worker holds the embedded database[/red]: stop it first "
            "(worksignals down), then run the rebuild"
        )
        return 1
    warehouse = Warehouse(settings.clickhouse)
    try:
        warehouse.migrate()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def advance(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            result = rebuild(warehouse, dt.timedelta(hours=settings.first_look_hours), advance)
    finally:
        warehouse.close()
    console.print(f"rebuilt from {result.events:,} event(s) in {result.seconds:.1f}s")
    if result.invalid:
        errors.print(
            f"{len(result.invalid):,} stored event(s) no longer validate (accepted by an "
            "older version of the contract) and were not folded:",
            markup=False,
        )
        for line in result.invalid[:20]:
            errors.print(f"  {line}", markup=False)
    for table, count in result.rows.items():
        console.print(f"  {table}: {count:,} row(s)")
    return 0


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    """Publish a JSON-lines file with a progress bar; optionally wait and count."""
    result = _publish(settings, args.file)
    for refused in result.unpublished:
        errors.print(
            f"[red]line {refused.line} not published[/red] ({refused.size:,} bytes): "
            f"{refused.error}"
        )
    if result.unpublished_file:
        errors.print(f"refused lines kept in {result.unpublished_file}")
    console.print(f"published {result.published:,} event(s) to {result.topic}")
    if args.wait:
        with console.status("waiting for the worker to process and store them..."):
            asyncio.run(wait_until_processed(settings, result, args.timeout))
        reader = open_reader(settings)
        try:
            counts = outcome(reader, result)
        finally:
            reader.close()
        _print_outcome(counts)
    return 1 if result.unpublished else 0


def _publish(settings: Settings, file: str) -> PublishResult:
    if file == "-":
        return asyncio.run(publish_lines(settings, read_lines(sys.stdin.buffer)))
    path = Path(file)
    with open(path, "rb") as counting:
        total = sum(1 for line in counting if line.strip())
    with (
        open(path, "rb") as stream,
        Progress(
            TextColumn("publishing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=errors,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("publish", total=total)
        return asyncio.run(
            publish_lines(settings, read_lines(stream), on_sent=lambda n: bar.advance(task, n))
        )


def _print_outcome(counts: Outcome) -> None:
    console.print(
        f"accepted {counts.accepted:,} ({counts.stored:,} new, "
        f"{counts.duplicates:,} already stored), rejected {counts.rejected:,}"
    )
    for reason, count in counts.rejected_by_reason.items():
        console.print(f"  rejected {reason}: {count:,}")


def cmd_alerts(settings: Settings, args: argparse.Namespace) -> int:
    """List alerts from the alerts table."""
    where = []
    params: dict[str, Any] = {}
    if args.audience:
        where.append("audience = {audience:String}")
        params["audience"] = args.audience
    if args.status != "all":
        where.append("status = {status:String}")
        params["status"] = args.status
    sql = (
        f"SELECT {', '.join(ALERT_FIELDS)} FROM alerts FINAL"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY updated_at DESC, alert_id"
    )
    result = _read(settings, sql, params)
    if args.json:
        _print_json_rows(result)
        return 0
    if not result.rows:
        console.print("no alerts")
        return 0
    table = Table("status", "severity", "pattern", "audience", "subject", "summary")
    for row in result.rows:
        r = dict(zip(result.columns, row, strict=True))
        table.add_row(
            r["status"],
            r["severity"],
            r["pattern"],
            r["audience"],
            f"{r['subject_type']} {r['subject_id']}",
            r["summary"],
        )
    console.print(table)
    return 0


def cmd_query(settings: Settings, args: argparse.Namespace) -> int:
    """Run read-only SQL and print a table or JSON lines."""
    result = _read(settings, args.sql)
    if args.json:
        _print_json_rows(result)
        return 0
    table = Table(*result.columns)
    for row in result.rows:
        table.add_row(*(_cell(value) for value in row))
    console.print(table)
    return 0


def _read(settings: Settings, sql: str, params: dict[str, Any] | None = None) -> QueryResult:
    reader = open_reader(settings)
    try:
        return reader.query(sql, params)
    finally:
        reader.close()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)


def _print_json_rows(result: QueryResult) -> None:
    for row in result.rows:
        sys.stdout.write(to_json(dict(zip(result.columns, row, strict=True))).decode() + "\n")


def cmd_sample(_settings: Settings, _args: argparse.Namespace) -> int:
    """Write the demo sample to stdout."""
    out = sys.stdout.buffer
    for line in sample_lines():
        out.write(line + b"\n")
    return 0


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    """Simulate an agency, run it through the stack, show the alerts and write reviews."""
    from streams.demo import run_demo  # imports the simulator only for the demo

    return run_demo(settings)


def run() -> None:
    """Console-script wrapper."""
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())


if __name__ == "__main__":
    run()
