"""Rows as Kafka messages: every column type survives, large batches split, bad ones fail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest

from sinks.row_messages import RowMessageError, decode, encode

AT = dt.datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=dt.UTC)


def test_rows_round_trip_with_dates_timestamps_bytes_and_nulls() -> None:
    project: tuple[Any, ...] = ("acme", "p1", "Web", "web", "fixed_fee", "EUR", 100.0, 20.0)
    project += (10.0, 0.2)
    project += (dt.date(2026, 3, 2),)
    project += (dt.date(2026, 6, 1), dt.date(2026, 3, 9), 0.1, 14.0, None, 1000.0, 900.0, 0.0)
    project += (None, 0.3, False, AT, AT, 7)
    rejected = ("t", 0, 5, None, "invalid_json", "bad", b"\x00\xff{", 3, AT)
    messages = encode({"project_status": [project], "rejected_events": [rejected]})
    decoded = dict(decode(m) for m in messages)
    assert decoded == {"project_status": [project], "rejected_events": [rejected]}


def test_large_batches_are_split_and_keep_every_row_in_order() -> None:
    rows = [("t", 0, i, "acme", "invalid_json", "bad", b"{", 1, AT) for i in range(5000)]
    messages = encode({"rejected_events": rows}, max_bytes=10_000)
    assert len(messages) > 5
    assert all(len(m) < 11_000 for m in messages)
    assert [row for m in messages for row in decode(m)[1]] == rows


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"not json",
        b"[]",
        b'{"table": "nope", "kinds": [], "rows": []}',
        b'{"table": "events", "kinds": [""], "rows": [[1]]}',
        orjson.dumps({"table": "events", "kinds": ["date"] * 10, "rows": [["yesterday"] * 10]}),
        orjson.dumps({"table": "events", "kinds": ["weird"] * 10, "rows": [[1] * 10]}),
        orjson.dumps({"table": "events", "kinds": [""] * 10, "rows": [[1] * 11]}),
        orjson.dumps({"table": "events", "kinds": ["bytes"] * 10, "rows": [["***"] * 10]}),
    ],
)
def test_undecodable_messages_raise_a_clear_error(message: bytes) -> None:
    with pytest.raises(RowMessageError):
        decode(message)
