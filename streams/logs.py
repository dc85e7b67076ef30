"""Logging of the worker: plain text or JSON lines (WORKSIGNALS_LOG_JSON=true)."""

from __future__ import annotations

import datetime as dt
import logging
import sys

import orjson

from streams.settings import Settings

_CONTEXT = ("topic", "partition", "offset")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with topic/partition/offset when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        body = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        body.update({k: getattr(record, k) for k in _CONTEXT if hasattr(record, k)})
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(body).decode()


class TextFormatter(logging.Formatter):
    """Plain lines; topic/partition/offset appended when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as one line."""
        line = super().format(record)
        context = " ".join(f"{k}={getattr(record, k)}" for k in _CONTEXT if hasattr(record, k))
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
