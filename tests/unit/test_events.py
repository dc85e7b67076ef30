"""The event contract: every type parses, and every kind of bad input gets its reason code."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import orjson
import pytest

from events import EVENT_TYPES, Accepted, Reason, Rejected, Source, parse, parse_many
from events.models import TimeLogged
from events.schema import render, schemas
from tests.factories import body, raw

SOURCE = Source("worksignals.events", 3, 42)
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_every_type_is_accepted_with_its_defaults(kind: str) -> None:
    parsed = parse(raw(kind), SOURCE)
    assert isinstance(parsed, Accepted), parsed
    assert parsed.event.type == kind  # type: ignore[attr-defined]
    assert parsed.event.org_id == "acme"
    assert parsed.source == SOURCE


def test_common_defaults_and_unknown_fields() -> None:
    document = body("clock.ticked", extra_field={"kept": True})
    del document["org_id"]
    parsed = parse(orjson.dumps(document), SOURCE)
    assert isinstance(parsed, Accepted)
    assert parsed.event.org_id == "default"
    assert parsed.event.schema_version == 1
    assert b"extra_field" in parsed.raw  # the event store keeps the original bytes


def test_profile_and_time_off_defaults() -> None:
    profile = parse(raw("contributor.profiled", occurred_at="2026-03-04T23:30:00-02:00"), SOURCE)
    assert isinstance(profile, Accepted)
    event = profile.event
    assert event.weekly_capacity_hours == 40  # type: ignore[attr-defined]
    assert event.target_utilization == 0.75  # type: ignore[attr-defined]
    # effective_from defaults to the (UTC) date of occurred_at: 2026-03-05T01:30Z
    assert event.valid_from == dt.date(2026, 3, 5)  # type: ignore[attr-defined]
    off = parse(raw("contributor.time_off"), SOURCE)
    assert isinstance(off, Accepted) and off.event.hours is None  # type: ignore[attr-defined]


def test_time_logged_fields() -> None:
    parsed = parse(raw("time.logged", minutes=1440, for_team_id="eng", revision=3), SOURCE)
    assert isinstance(parsed, Accepted)
    event = parsed.event
    assert isinstance(event, TimeLogged)
    assert (event.minutes, event.revision, event.for_team_id) == (1440, 3, "eng")


HOSTILE: list[tuple[str, bytes, Reason]] = [
    ("truncated json", b'{"event_id": "x", "type": ', Reason.INVALID_JSON),
    ("empty", b"", Reason.INVALID_JSON),
    ("whitespace", b"   ", Reason.INVALID_JSON),
    ("invalid utf-8", b'{"event_id": "\xff\xfe", "type": "clock.ticked"}', Reason.INVALID_JSON),
    ("lone surrogate", b'{"event_id": "\\ud800"}', Reason.INVALID_JSON),
    ("array", b"[1, 2, 3]", Reason.NOT_AN_OBJECT),
    ("string", b'"time.logged"', Reason.NOT_AN_OBJECT),
    ("number", b"42", Reason.NOT_AN_OBJECT),
    ("null", b"null", Reason.NOT_AN_OBJECT),
    ("unknown type", raw("clock.ticked", type="time.teleported"), Reason.UNKNOWN_TYPE),
    ("type not a string", raw("clock.ticked", type=7), Reason.UNKNOWN_TYPE),
    (
        "missing type",
        orjson.dumps({"event_id": "x", "occurred_at": "2026-03-02T10:00:00Z"}),
        Reason.MISSING_FIELD,
    ),
    (
        "missing entry_id",
        orjson.dumps({k: v for k, v in body("time.logged").items() if k != "entry_id"}),
        Reason.MISSING_FIELD,
    ),
    (
        "missing event_id",
        orjson.dumps({k: v for k, v in body("clock.ticked").items() if k != "event_id"}),
        Reason.MISSING_FIELD,
    ),
    ("t&m without bill_rate", raw("project.planned", bill_rate=None), Reason.MISSING_FIELD),
    (
        "fixed fee without fee",
        raw("project.planned", billing="fixed_fee", bill_rate=None),
        Reason.MISSING_FIELD,
    ),
    ("minutes as string", raw("time.logged", minutes="60"), Reason.INVALID_FIELD),
    ("minutes zero", raw("time.logged", minutes=0), Reason.INVALID_FIELD),
    ("minutes 5000", raw("time.logged", minutes=5000), Reason.INVALID_FIELD),
    ("minutes float", raw("time.logged", minutes=60.5), Reason.INVALID_FIELD),
    ("billable as string", raw("time.logged", billable="yes"), Reason.INVALID_FIELD),
    ("revision zero", raw("time.logged", revision=0), Reason.INVALID_FIELD),
    ("empty id", raw("time.logged", entry_id=""), Reason.INVALID_FIELD),
    ("id too long", raw("time.logged", entry_id="x" * 129), Reason.INVALID_FIELD),
    ("org with space", raw("clock.ticked", org_id="acme corp"), Reason.INVALID_FIELD),
    ("org too long", raw("clock.ticked", org_id="a" * 65), Reason.INVALID_FIELD),
    ("bad date", raw("time.logged", work_date="2026-02-30"), Reason.INVALID_FIELD),
    ("timestamp as number", raw("clock.ticked", occurred_at=1767225600), Reason.INVALID_FIELD),
    (
        "timestamp out of range",
        raw("clock.ticked", occurred_at="0001-01-01T00:00:00Z"),
        Reason.INVALID_FIELD,
    ),
    (
        "capacity over 80",
        raw("contributor.profiled", weekly_capacity_hours=81),
        Reason.INVALID_FIELD,
    ),
    ("target over 1", raw("contributor.profiled", target_utilization=1.5), Reason.INVALID_FIELD),
    ("end before start", raw("project.planned", end_date="2026-02-01"), Reason.INVALID_FIELD),
    ("unknown billing", raw("project.planned", billing="barter"), Reason.INVALID_FIELD),
    ("unknown decision kind", raw("decision.recorded", kind="vibes"), Reason.INVALID_FIELD),
    ("note too long", raw("decision.recorded", note="n" * 2001), Reason.INVALID_FIELD),
    ("schema_version as string", raw("clock.ticked", schema_version="1"), Reason.INVALID_FIELD),
    (
        "naive occurred_at",
        raw("clock.ticked", occurred_at="2026-03-02T10:00:00"),
        Reason.NAIVE_TIMESTAMP,
    ),
    (
        "naive due_at",
        raw("handoff.requested", due_at="2026-03-05T12:00:00"),
        Reason.NAIVE_TIMESTAMP,
    ),
    ("schema_version 2", raw("time.logged", schema_version=2), Reason.UNSUPPORTED_SCHEMA_VERSION),
    (
        "schema_version 2, v2 type",
        raw("clock.ticked", schema_version=2, type="time.v2"),
        Reason.UNSUPPORTED_SCHEMA_VERSION,
    ),
    ("work_date 3 days ahead", raw("time.logged", work_date="2026-03-05"), Reason.FUTURE_WORK_DATE),
]


@pytest.mark.parametrize(("name", "message", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_bad_input_is_rejected_with_its_reason(name: str, message: bytes, reason: Reason) -> None:
    parsed = parse(message, SOURCE)
    assert isinstance(parsed, Rejected), f"{name} was accepted"
    assert parsed.reason is reason, parsed.message
    assert parsed.raw == message
    assert parsed.source == SOURCE
    assert parsed.message


def test_work_date_two_days_ahead_is_accepted() -> None:
    assert isinstance(parse(raw("time.logged", work_date="2026-03-04"), SOURCE), Accepted)


READ_AT = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
"""When the ingest stage reads the messages below (the factories' events are of 2026-03-02)."""


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_an_event_dated_after_the_latest_accepted_is_rejected(kind: str) -> None:
    latest = READ_AT + dt.timedelta(hours=24)
    message = raw(kind, occurred_at="2149-06-01T00:00:00Z", work_date="2149-06-01")
    parsed = parse(message, SOURCE, latest=latest)
    assert isinstance(parsed, Rejected)
    assert parsed.reason is Reason.FUTURE_OCCURRED_AT
    assert parsed.raw == message and parsed.source == SOURCE and parsed.org_id == "acme"
    assert "2149-06-01" in parsed.message and latest.isoformat() in parsed.message
    assert kind in parsed.message


def test_occurred_at_up_to_the_latest_accepted_is_accepted() -> None:
    latest = READ_AT + dt.timedelta(hours=24)
    at_latest = raw("time.logged", occurred_at="2026-03-03T12:00:00Z", work_date="2026-03-03")
    assert isinstance(parse(at_latest, SOURCE, latest=latest), Accepted)
    # The same instant with another offset is the same instant.
    offset = raw("clock.ticked", occurred_at="2026-03-03T14:00:00+02:00")
    assert isinstance(parse(offset, SOURCE, latest=latest), Accepted)
    later = raw("clock.ticked", occurred_at="2026-03-03T12:00:00.001Z")
    assert isinstance(parse(later, SOURCE, latest=latest), Rejected)
    # Without a latest (the event store's rebuild), nothing is too late.
    assert isinstance(
        parse(raw("clock.ticked", occurred_at="2149-06-01T00:00:00Z"), SOURCE), Accepted
    )


def test_other_problems_are_named_before_a_future_occurred_at() -> None:
    latest = READ_AT
    message = raw("time.logged", occurred_at="2149-06-01T00:00:00Z", minutes=0)
    parsed = parse(message, SOURCE, latest=latest)
    assert isinstance(parsed, Rejected) and parsed.reason is Reason.INVALID_FIELD


def test_parse_many_rejects_future_events_in_order() -> None:
    messages = [
        (raw("clock.ticked", event_id="a"), Source("t", 0, 1)),
        (raw("clock.ticked", event_id="b", occurred_at="2030-01-01T00:00:00Z"), Source("t", 0, 2)),
        (raw("clock.ticked", event_id="c"), Source("t", 0, 3)),
    ]
    accepted, rejected = parse_many(messages, latest=READ_AT + dt.timedelta(hours=24))
    assert [a.source.offset for a in accepted] == [1, 3]
    assert [(r.source.offset, r.reason) for r in rejected] == [(2, Reason.FUTURE_OCCURRED_AT)]


def test_dates_and_utc_dates_of_timestamps_start_on_the_first_monday_of_1970() -> None:
    # The week of 1970-01-01 starts on 1969-12-29, which ClickHouse's Date cannot hold.
    assert isinstance(parse(raw("contributor.time_off", date="1970-01-05"), SOURCE), Accepted)
    early = parse(raw("contributor.time_off", date="1970-01-04"), SOURCE)
    assert isinstance(early, Rejected) and early.reason is Reason.INVALID_FIELD
    assert "1970-01-05" in early.message
    # 02:00 at +03:00 on the 5th is the 4th in UTC; 23:00 at -01:00 on the 4th is the 5th.
    before = parse(raw("clock.ticked", occurred_at="1970-01-05T02:00:00+03:00"), SOURCE)
    assert isinstance(before, Rejected) and before.reason is Reason.INVALID_FIELD
    after = parse(raw("clock.ticked", occurred_at="1970-01-04T23:00:00-01:00"), SOURCE)
    assert isinstance(after, Accepted)


@pytest.mark.parametrize("stamp", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_outside_the_utc_range_is_rejected_not_raised(stamp: str) -> None:
    for message in (raw("clock.ticked", occurred_at=stamp), raw("handoff.requested", due_at=stamp)):
        parsed = parse(message, SOURCE)
        assert isinstance(parsed, Rejected) and parsed.reason is Reason.INVALID_FIELD


def test_too_large_is_rejected_before_parsing() -> None:
    message = raw("decision.recorded", note="n" * 1500) + b" " * 2000
    parsed = parse(message, SOURCE, max_bytes=1024)
    assert isinstance(parsed, Rejected) and parsed.reason is Reason.TOO_LARGE
    assert str(len(message)) in parsed.message


def test_rejection_messages_name_the_problem() -> None:
    missing = parse(
        orjson.dumps({k: v for k, v in body("time.logged").items() if k != "minutes"}), SOURCE
    )
    assert isinstance(missing, Rejected) and "minutes" in missing.message
    unknown = parse(raw("clock.ticked", type="nope"), SOURCE)
    assert isinstance(unknown, Rejected) and "'nope'" in unknown.message
    org = parse(raw("clock.ticked", org_id="bad org", minutes=0), SOURCE)
    assert isinstance(org, Rejected) and org.org_id == "bad org"


def test_parse_many_keeps_order_and_splits() -> None:
    messages = [
        (raw("clock.ticked"), Source("t", 0, i)) if i % 3 else (b"[]", Source("t", 0, i))
        for i in range(9)
    ]
    accepted, rejected = parse_many(messages)
    assert [a.source.offset for a in accepted] == [1, 2, 4, 5, 7, 8]
    assert [r.source.offset for r in rejected] == [0, 3, 6]


def test_checked_in_schemas_match_the_models() -> None:
    for name, schema in schemas().items():
        path = DOCS / "schemas" / f"{name}.json"
        assert path.exists(), f"missing {path}; run python -m events.schema docs/schemas"
        assert path.read_text() == render(schema), f"{path} is stale"
    assert len(list((DOCS / "schemas").glob("*.json"))) == len(EVENT_TYPES)


def test_schemas_describe_required_fields() -> None:
    logged = json.loads((DOCS / "schemas" / "time.logged.json").read_text())
    assert {"event_id", "type", "occurred_at", "entry_id", "minutes", "billable"} <= set(
        logged["required"]
    )
    assert logged["properties"]["minutes"]["maximum"] == 1440


def test_events_doc_explains_every_type_with_an_example() -> None:
    text = (DOCS / "events.md").read_text()
    for name in EVENT_TYPES:
        assert f"`{name}`" in text, name
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        example = section.split("```json", 1)[1].split("```", 1)[0]
        assert isinstance(parse(example.encode(), SOURCE), Accepted), name
    for reason in Reason:
        assert f"`{reason.value}`" in text
