"""Parsing raw Kafka message bytes into Accepted or Rejected values.

Bad input is a value, not an exception: `parse` never raises for anything a producer
can send. A Rejected keeps the original bytes exactly, a reason code from the
contract, a human-readable message and where the message came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import orjson
from pydantic import ValidationError

from events.models import EVENT_ADAPTER, SCHEMA_VERSION, BaseEvent

DEFAULT_MAX_EVENT_BYTES = 256 * 1024
"""Events larger than this are rejected as `too_large` (configurable)."""


class Reason(StrEnum):
    """Reason codes of rejected input (contract section 1)."""

    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    UNSUPPORTED_SCHEMA_VERSION = "unsupported_schema_version"
    NAIVE_TIMESTAMP = "naive_timestamp"
    FUTURE_WORK_DATE = "future_work_date"
    FUTURE_OCCURRED_AT = "future_occurred_at"
    TOO_LARGE = "too_large"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message was read: topic, partition and offset."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Accepted:
    """A valid event with its original bytes and where it was read."""

    event: BaseEvent
    raw: bytes
    source: Source


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that is not a valid event: the original bytes, why, and where it was read."""

    raw: bytes
    reason: Reason
    message: str
    source: Source
    org_id: str = ""

    def as_dict(self) -> dict[str, object]:
        """The rejection's metadata (without the raw bytes), for logs and DLQ headers."""
        return {
            "reason": self.reason.value,
            "message": self.message,
            "topic": self.source.topic,
            "partition": self.source.partition,
            "offset": self.source.offset,
        }


Parsed = Accepted | Rejected

# When several problems are reported at once, the first of these names the rejection:
# a wrong schema version explains every other difference, a naive timestamp is more
# specific than "invalid", and a missing field is more actionable than a wrong one.
_PRIORITY = (
    Reason.UNSUPPORTED_SCHEMA_VERSION,
    Reason.UNKNOWN_TYPE,
    Reason.NAIVE_TIMESTAMP,
    Reason.MISSING_FIELD,
    Reason.FUTURE_WORK_DATE,
    Reason.INVALID_FIELD,
)

_ERROR_REASONS: dict[str, Reason] = {
    "missing": Reason.MISSING_FIELD,
    "missing_for_billing": Reason.MISSING_FIELD,
    "union_tag_not_found": Reason.MISSING_FIELD,
    "union_tag_invalid": Reason.UNKNOWN_TYPE,
    "timezone_aware": Reason.NAIVE_TIMESTAMP,
    "unsupported_schema_version": Reason.UNSUPPORTED_SCHEMA_VERSION,
    "future_work_date": Reason.FUTURE_WORK_DATE,
}


def parse(
    raw: bytes,
    source: Source,
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    latest: dt.datetime | None = None,
) -> Parsed:
    """Validate one message value into Accepted or Rejected. Never raises on input.

    `latest` is the latest occurred_at accepted (the ingest stage's clock plus a margin);
    a valid event after it is rejected as `future_occurred_at`. None: no such check."""
    if raw is None:
        return Rejected(b"", Reason.INVALID_JSON, "message has no value (tombstone)", source)
    if len(raw) > max_bytes:
        return Rejected(
            raw,
            Reason.TOO_LARGE,
            f"event is {len(raw)} bytes; the limit is {max_bytes} bytes",
            source,
        )
    try:
        event = EVENT_ADAPTER.validate_json(raw)
    except ValidationError as error:
        return _reject(raw, error, source)
    if latest is not None and event.occurred_at > latest:
        return Rejected(
            raw,
            Reason.FUTURE_OCCURRED_AT,
            f"{getattr(event, 'type', 'event')}: occurred_at {event.occurred_at.isoformat()} "
            f"is later than {latest.isoformat()}, the latest accepted when it was read",
            source,
            event.org_id,
        )
    return Accepted(event, raw, source)


def parse_many(
    messages: Iterable[tuple[bytes, Source]],
    max_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    latest: dt.datetime | None = None,
) -> tuple[list[Accepted], list[Rejected]]:
    """Parse a batch, splitting it into accepted events and rejections, order kept
    (`latest` as in `parse`)."""
    accepted: list[Accepted] = []
    rejected: list[Rejected] = []
    for raw, source in messages:
        parsed = parse(raw, source, max_bytes, latest)
        if isinstance(parsed, Accepted):
            accepted.append(parsed)
        else:
            rejected.append(parsed)
    return accepted, rejected


def _reject(raw: bytes, error: ValidationError, source: Source) -> Rejected:
    errors = error.errors(include_url=False, include_input=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return Rejected(raw, Reason.INVALID_JSON, _json_problem(raw), source)
    if first["type"] in ("model_attributes_type", "model_type", "dict_type") and not first["loc"]:
        kind = _json_kind(raw)
        return Rejected(raw, Reason.NOT_AN_OBJECT, f"expected a JSON object, got {kind}", source)

    document = _loads_object(raw)
    org_id = _org_of(document)
    version = document.get("schema_version", SCHEMA_VERSION) if document else SCHEMA_VERSION
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        # Checked here as well because an unknown type hides the other fields' errors.
        return Rejected(
            raw,
            Reason.UNSUPPORTED_SCHEMA_VERSION,
            f"schema_version {version} is not supported; this pipeline reads version 1",
            source,
            org_id,
        )

    classified = [(_ERROR_REASONS.get(e["type"], Reason.INVALID_FIELD), e) for e in errors]
    reason, detail = min(classified, key=lambda pair: _PRIORITY.index(pair[0]))
    return Rejected(raw, reason, _describe(reason, detail, document), source, org_id)


def _describe(reason: Reason, detail: object, document: dict[str, object] | None) -> str:
    err = detail if isinstance(detail, dict) else {}
    event_type = document.get("type") if document else None
    loc = [str(part) for part in err.get("loc", ())]
    # A discriminated union's error location starts with the type tag: drop it.
    if loc and loc[0] == event_type:
        loc = loc[1:]
    field = ".".join(loc)
    if reason is Reason.UNKNOWN_TYPE:
        return f"unknown event type {event_type!r}"
    if reason is Reason.MISSING_FIELD and err.get("type") == "union_tag_not_found":
        return "missing field 'type'"
    if reason is Reason.MISSING_FIELD and err.get("type") == "missing":
        return f"{event_type}: missing field {field!r}"
    prefix = f"{event_type}: " if event_type else ""
    where = f"{field!r}: " if field else ""
    return f"{prefix}{where}{err.get('msg', 'invalid value')}"


def _loads_object(raw: bytes) -> dict[str, object] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _org_of(document: dict[str, object] | None) -> str:
    org = document.get("org_id") if document else None
    return org[:64] if isinstance(org, str) else ""


def _json_kind(raw: bytes) -> str:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "something else"
    names = {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def _json_problem(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"message is not valid UTF-8 (byte {error.start})"
    if not raw.strip():
        return "message is empty"
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return f"invalid JSON: {error}"
    return "invalid JSON"
