"""Faust's `json` codec with outputs that own only their bytes.

Faust serialises table keys and values (and so every changelog message) with orjson when
it is installed. An orjson output keeps the 4 KiB buffer it was written into, so each
message waiting in Faust's producer buffer held about 8 KiB for a few dozen bytes of key
and value: measured, 200,000 short values took 785 MB, copied 11 MB. The copy is cheap
next to producing the message. `StateWriter` encodes a take's keys with the same codec and
holds them until they are in RocksDB and in record batches.
"""

from __future__ import annotations

from typing import Any

import orjson
from faust.serializers import codecs

FAUST_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z
"""The options of Faust's `json` codec (faust.utils.json.dumps with orjson)."""


def right_sized(data: bytes) -> bytes:
    """A copy of orjson's output that owns only its bytes."""
    return bytes(memoryview(data))


def plain_dumps(value: Any) -> bytes:
    """What the `json` codec writes for a plain JSON value (dicts, lists, strings, numbers,
    booleans, None), without Faust's serializer registry around it."""
    return right_sized(orjson.dumps(value, option=FAUST_JSON_OPTIONS))


class CompactJson(codecs.json):
    """The `json` codec, returning a right-sized copy of orjson's output."""

    def _dumps(self, s: Any) -> bytes:
        return right_sized(super()._dumps(s))


def install() -> None:
    """Replace Faust's `json` codec (tables use it for keys, values and changelogs)."""
    if not isinstance(codecs.codecs.get("json"), CompactJson):
        codecs.register("json", CompactJson())
