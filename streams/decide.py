"""`worksignals decide`: record an operating decision as a `decision.recorded` event.

The decision goes to the ingest topic like any tracker's event (keyed by its org), so the
pipeline stores it in `decisions`, links it to the alerts it names (`ops_alert_decisions`)
and resolves `decision_gap` once a decision names an alert.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import typing
import uuid
from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import ValidationError
from rich.console import Console

from events.models import EVENT_ADAPTER, DecisionKind, DecisionRecorded
from sinks.clickhouse import WarehouseError
from streams.publish import outcome, publish_lines, wait_until_processed
from streams.reader import Reader, open_reader
from streams.settings import Settings

errors = Console(stderr=True)

KINDS: tuple[str, ...] = typing.get_args(DecisionKind)
"""The contract's decision kinds."""


class DecisionError(ValueError):
    """The decision does not make a valid contract event."""


def decision_event(
    *,
    org_id: str,
    kind: str,
    alert_ids: Sequence[str],
    decided_by: str,
    occurred_at: dt.datetime,
    note: str | None = None,
    decision_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A `decision.recorded` event document, validated against the contract; fresh ids
    unless given. Raises DecisionError naming what is wrong."""
    if occurred_at.tzinfo is None:
        raise DecisionError("the decision time needs a UTC offset, e.g. 2026-04-06T09:00:00Z")
    document: dict[str, Any] = {
        "event_id": event_id or f"decision-{uuid.uuid4().hex}",
        "type": "decision.recorded",
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "org_id": org_id,
        "schema_version": 1,
        "source": "worksignals-decide",
        "decision_id": decision_id or f"d-{uuid.uuid4().hex[:16]}",
        "kind": kind,
        # Named once each, in the order given.
        "alert_ids": list(dict.fromkeys(alert_ids)),
        "decided_by": decided_by,
    }
    if note:
        document["note"] = note
    try:
        # As the pipeline will read it: from the JSON bytes.
        parsed = EVENT_ADAPTER.validate_json(orjson.dumps(document))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'event'}: {e['msg']}"
            for e in error.errors()
        )
        raise DecisionError(problems) from error
    assert isinstance(parsed, DecisionRecorded)
    return document


def _timestamp(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 timestamp: {text!r}") from error
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no UTC offset (the contract rejects naive timestamps)"
        )
    return moment


def add_decide_parser(verbs: Any) -> None:
    """Register `decide` on the CLI's subparsers (`verbs`), handler `cmd_decide`."""
    p = verbs.add_parser(
        "decide",
        help="record an operating decision (decision.recorded) naming the alerts it answers",
        description="Publish a decision.recorded event to the ingest topic and print its "
        "decision id. Alert ids not found in the alerts table only give a warning.",
    )
    p.add_argument("--kind", required=True, choices=KINDS, help="the kind of decision")
    p.add_argument(
        "--alert",
        dest="alerts",
        action="append",
        default=[],
        metavar="ID",
        help="an alert the decision answers (repeat for several)",
    )
    p.add_argument("--note", default=None, help="what was decided and why (up to 2000 chars)")
    p.add_argument("--by", required=True, dest="decided_by", help="who decided")
    p.add_argument("--org", default=None, help="the org (default: the only org with events)")
    p.add_argument(
        "--at",
        type=_timestamp,
        default=None,
        help="when it was decided, with offset (default: the org's event-time now, "
        "else the wall clock)",
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="return once the worker processed and stored the decision",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds --wait may take")
    p.set_defaults(handler=cmd_decide)


def _org_and_time(
    reader: Reader, org_id: str | None, at: dt.datetime | None
) -> tuple[str, dt.datetime | None]:
    """The org (given, or the only one with events, else `default`) and the decision's
    time (given, else the org's latest event time; None when the org has no events)."""
    if org_id is None:
        orgs = [r[0] for r in reader.query("SELECT DISTINCT org_id FROM events LIMIT 2").rows]
        if len(orgs) > 1:
            raise DecisionError("events of several orgs are stored: choose one with --org")
        org_id = str(orgs[0]) if orgs else "default"
    if at is None:
        [(count, micros)] = reader.query(
            "SELECT count(), toUnixTimestamp64Micro(max(occurred_at)) FROM events "
            "WHERE org_id = {org:String}",
            {"org": org_id},
        ).rows
        if int(count):
            at = dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC)
    return org_id, at


def unknown_alerts(reader: Reader, org_id: str, alert_ids: Sequence[str]) -> list[str]:
    """The ids among `alert_ids` that the org's alerts table does not hold."""
    if not alert_ids:
        return []
    found = {
        str(r[0])
        for r in reader.query(
            "SELECT DISTINCT alert_id FROM alerts WHERE org_id = {org:String} "
            "AND has({ids:Array(String)}, alert_id)",
            {"org": org_id, "ids": list(alert_ids)},
        ).rows
    }
    return [a for a in dict.fromkeys(alert_ids) if a not in found]


def cmd_decide(settings: Settings, args: argparse.Namespace) -> int:
    """Validate and publish the decision; print its id on stdout (warnings on stderr)."""
    org_id: str | None = args.org
    at: dt.datetime | None = args.at
    missing: list[str] = []
    try:
        reader = open_reader(settings)
        try:
            org_id, at = _org_and_time(reader, org_id, at)
            missing = unknown_alerts(reader, org_id, args.alerts)
        finally:
            reader.close()
    except WarehouseError as error:
        # Nothing to read (no database yet): the decision can still be recorded.
        errors.print(f"[yellow]warning:[/yellow] cannot read ClickHouse ({error})")
    except DecisionError as error:
        errors.print(f"[red]error:[/red] {error}")
        return 2
    try:
        document = decision_event(
            org_id=org_id or "default",
            kind=args.kind,
            alert_ids=args.alerts,
            decided_by=args.decided_by,
            occurred_at=at or dt.datetime.now(dt.UTC),
            note=args.note,
        )
    except DecisionError as error:
        errors.print(f"[red]error:[/red] {error}")
        return 2
    for alert_id in missing:
        errors.print(
            f"[yellow]warning:[/yellow] no alert {alert_id} in org {document['org_id']} "
            "(published anyway: the decision may precede it)"
        )
    result = asyncio.run(publish_lines(settings, iter([(1, orjson.dumps(document))])))
    if result.unpublished:
        errors.print(f"[red]not published:[/red] {result.unpublished[0].error}")
        return 1
    if args.wait:
        asyncio.run(wait_until_processed(settings, result, args.timeout))
        after = open_reader(settings)
        try:
            counts = outcome(after, result)
        finally:
            after.close()
        if counts.rejected:
            errors.print(f"[red]rejected by the pipeline:[/red] {counts.rejected_by_reason}")
            return 1
    errors.print(
        f"recorded decision {document['decision_id']} ({document['kind']}, "
        f"{len(document['alert_ids'])} alert(s)) for org {document['org_id']} "
        f"at {document['occurred_at']}",
        highlight=False,
        soft_wrap=True,
    )
    sys.stdout.write(f"{document['decision_id']}\n")
    return 0
