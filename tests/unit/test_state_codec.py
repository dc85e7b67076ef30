"""The state writer's and reader's encodings are byte for byte those of the Faust table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import faust

from streams import faust_codecs
from streams.state_writer import state_codec

VALUES: list[Any] = [
    "entry|org-1|e-1",
    "day|org|Zoë ✓|2025-01-06",
    {"entries": {"e-1": [True, 30, False, "2025-01-06T09:00:00.000000+00:00", "p", None]}},
    {"revision": 3, "days": [["c", "2025-01-06"]], "current": None, "rate": 97.125},
    [1, 2.5, -0.0, 1e-9, 12345678901234567890, "", None, False],
    0,
    [],
]


def _table(tmp_path: Path, **options: Any) -> Any:
    faust_codecs.install()
    app = faust.App(
        "codec-test",
        broker="kafka://127.0.0.1:1",
        store="rocksdb://",
        datadir=str(tmp_path),
        autodiscover=False,
        web_enabled=False,
    )
    return app.Table("projection-state", partitions=1, **options)


def test_fast_codec_gives_the_tables_own_bytes_and_values(tmp_path: Path) -> None:
    table = _table(tmp_path)
    store = table.data
    encode_key, encode_value, decode_value = state_codec(table)
    assert encode_key is not store._encode_key  # the fast path was taken
    for value in VALUES:
        assert encode_key(value) == store._encode_key(value)
        assert encode_value(value) == store._encode_value(value)
        assert decode_value(encode_value(value)) == store._decode_value(encode_value(value))


def test_other_codecs_keep_the_stores_own_methods(tmp_path: Path) -> None:
    table = _table(tmp_path, value_type=bytes)  # raw values
    encode_key, encode_value, decode_value = state_codec(table)
    assert encode_value(b"\x00raw") == b"\x00raw" == decode_value(b"\x00raw")
    assert encode_key("k") == table.data._encode_key("k")
