"""Log records about a message carry its topic, partition and offset, in JSON and in text."""

from __future__ import annotations

import asyncio
import logging
import sys

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition

from streams.ingest import IngestStage
from streams.logs import JsonFormatter, TextFormatter
from streams.settings import Settings
from tests.unit.test_ingest_commit import Consumer, Producer, RecordingSink


def record(message: str = "rejected %s", *args: object, **extra: object) -> logging.LogRecord:
    made = logging.getLogger("streams.ingest").makeRecord(
        "streams.ingest", logging.WARNING, __file__, 1, message, args, None, extra=extra
    )
    return made


def test_json_lines_carry_the_message_location_and_other_extras() -> None:
    line = JsonFormatter().format(
        record("rejected %s", "invalid_json", topic="events", partition=3, offset=41, reason="x")
    )
    document = orjson.loads(line)
    assert document["message"] == "rejected invalid_json"
    assert document["level"] == "WARNING"
    assert document["logger"] == "streams.ingest"
    assert document["time"].endswith("+00:00")
    assert (document["topic"], document["partition"], document["offset"]) == ("events", 3, 41)
    assert document["reason"] == "x"
    assert "args" not in document and "msg" not in document  # no LogRecord internals


def test_json_keeps_the_standard_keys_and_renders_any_value() -> None:
    document = orjson.loads(
        JsonFormatter().format(record("m", level="not this", when=object, topic="t"))
    )
    assert document["level"] == "WARNING"
    assert document["when"].startswith("<class")
    assert document["topic"] == "t"


def test_json_includes_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        made = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info(), extra={"offset": 9}
        )
    document = orjson.loads(JsonFormatter().format(made))
    assert "ValueError: boom" in document["exception"]
    assert document["offset"] == 9


def test_text_lines_end_with_the_fields() -> None:
    line = TextFormatter("%(levelname)s %(message)s").format(
        record("rejected", topic="events", partition=0, offset=7, last_offset=9)
    )
    assert line == "WARNING rejected [topic=events partition=0 offset=7 last_offset=9]"
    assert TextFormatter("%(message)s").format(record("plain")) == "plain"


def test_the_ingest_stage_logs_each_reject_with_where_it_was_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stage = IngestStage(Settings(), RecordingSink())
    consumer = Consumer()
    consumer.refuse = 0
    stage._consumer = consumer  # type: ignore[assignment]
    stage._producer = Producer()  # type: ignore[assignment]
    value = b"{broken"
    batch = {
        TopicPartition("events", 2): [
            ConsumerRecord("events", 2, 17, 0, 0, None, value, None, 0, len(value), [])
        ]
    }
    with caplog.at_level(logging.WARNING, logger="streams.ingest"):
        asyncio.run(stage.handle(batch))
    [logged] = [r for r in caplog.records if r.getMessage().startswith("rejected")]
    document = orjson.loads(JsonFormatter().format(logged))
    assert {k: document[k] for k in ("topic", "partition", "offset", "reason", "type")} == {
        "topic": "events",
        "partition": 2,
        "offset": 17,
        "reason": "invalid_json",
        "type": "unknown",
    }


def test_a_refused_ingest_commit_is_logged_per_partition_with_its_offsets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stage = IngestStage(Settings(), RecordingSink())
    stage._consumer = Consumer()  # type: ignore[assignment]  # refuses the first commit
    stage._producer = Producer()  # type: ignore[assignment]
    batch = {
        TopicPartition("events", p): [
            ConsumerRecord("events", p, o, 0, 0, None, b"{}", None, 0, 2, []) for o in (4, 5, 6)
        ]
        for p in (0, 1)
    }
    with caplog.at_level(logging.WARNING, logger="streams.ingest"):
        asyncio.run(stage.handle(batch))
    refused = [r for r in caplog.records if "commit refused" in r.getMessage()]
    fields = [orjson.loads(JsonFormatter().format(r)) for r in refused]
    assert [(f["topic"], f["partition"], f["offset"], f["last_offset"]) for f in fields] == [
        ("events", 0, 4, 6),
        ("events", 1, 4, 6),
    ]
