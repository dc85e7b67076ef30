"""Table rows as Kafka messages, for stream workers that hand their writes to a sink.

A message holds rows of one table as JSON: `{"table", "kinds", "rows"}`, where `kinds`
names, per column, the values JSON cannot carry as themselves (dates, timestamps, bytes),
so the sink gives ClickHouse the same Python values the worker computed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from sinks.clickhouse import COLUMNS, TableBatch

MAX_MESSAGE_BYTES = 512 * 1024
"""Rows are split into messages of about this size (Kafka's default limit is 1 MiB)."""


class RowMessageError(ValueError):
    """A rows message that cannot be decoded (names an unknown table or a bad value)."""


def encode(batch: TableBatch, max_bytes: int = MAX_MESSAGE_BYTES) -> list[bytes]:
    """Messages carrying every row of the batch, each at most about `max_bytes`."""
    messages = []
    for table, rows in batch.items():
        if not rows:
            continue
        head = b'{"table":' + orjson.dumps(table) + b',"kinds":'
        head += orjson.dumps(_kinds(rows)) + b',"rows":['
        chunk: list[bytes] = []
        size = 0
        for row in rows:
            encoded = orjson.dumps(list(row), default=_bytes_as_base64)
            if chunk and size + len(encoded) > max_bytes:
                messages.append(head + b",".join(chunk) + b"]}")
                chunk, size = [], 0
            chunk.append(encoded)
            size += len(encoded) + 1
        messages.append(head + b",".join(chunk) + b"]}")
    return messages


def decode(message: bytes) -> tuple[str, list[tuple[Any, ...]]]:
    """The table and rows a message carries, with dates, timestamps and bytes restored."""
    try:
        body = orjson.loads(message)
        table = body["table"]
        if table not in COLUMNS:
            raise RowMessageError(f"unknown table {table!r}")
        converters = [_FROM_JSON[kind] for kind in body["kinds"]]
        if len(converters) != len(COLUMNS[table]):
            raise RowMessageError(
                f"{table} rows have {len(COLUMNS[table])} columns, the message {len(converters)}"
            )
        return table, [
            tuple(
                value if value is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            )
            for row in body["rows"]
        ]
    except RowMessageError:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as error:
        raise RowMessageError(f"bad rows message: {error!r}") from error


def _kinds(rows: Sequence[Sequence[Any]]) -> list[str]:
    kinds = [""] * len(rows[0])
    for column in range(len(kinds)):
        value = next((row[column] for row in rows if row[column] is not None), None)
        if isinstance(value, dt.datetime):
            kinds[column] = "datetime"
        elif isinstance(value, dt.date):
            kinds[column] = "date"
        elif isinstance(value, bytes):
            kinds[column] = "bytes"
    return kinds


def _bytes_as_base64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot encode {type(value).__name__}")


def _same(value: Any) -> Any:
    return value


_FROM_JSON = {
    "": _same,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "bytes": lambda value: base64.b64decode(value, validate=True),
}
