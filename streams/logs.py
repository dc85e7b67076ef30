"""Logging of the worker: plain text or JSON lines (WORKSIGNALS_LOG_JSON=true).

Records about one message carry where it was read as fields (`extra=`): topic,
partition, offset (and last_offset for a range of a batch), plus what else the call
site names (reason, type, stage). Both formats print every such field: JSON as keys of
the object, text as `key=value` pairs at the end of the line.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any

import orjson

from streams.settings import Settings

_CONTEXT = ("topic", "partition", "offset", "last_offset")
"""Fields that locate a message, printed first."""

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
"""Attributes every LogRecord has; anything else came from `extra=`."""


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The record's `extra=` fields, the message's location first."""
    fields = {k: getattr(record, k) for k in _CONTEXT if hasattr(record, k)}
    for key, value in vars(record).items():
        if key not in _STANDARD and key not in fields and not key.startswith("_"):
            fields[key] = value
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the extra fields
    (topic/partition/offset when the record is about a message) and any exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        body: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extras(record).items():
            body.setdefault(key, value)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(body, default=str).decode()


class TextFormatter(logging.Formatter):
    """Plain lines; the extra fields (topic/partition/offset...) appended in brackets."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as one line."""
        line = super().format(record)
        context = " ".join(f"{k}={v}" for k, v in extras(record).items())
        return f"{line} [{context}]" if context else line


def configure_logging(settings: Settings) -> None:
    """Install one stderr handler on the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if settings.log_json
        else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
