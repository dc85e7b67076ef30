"""Batched writes of the projection state: one RocksDB write batch and a few changelog
record batches per partition and take, instead of one Faust message per key.

Assigning to a Faust table costs about 80 microseconds per key in the worker (measured
with py-spy on `make bench`: a third of the worker's time). Each assignment encodes the
value, writes RocksDB, and queues its own changelog message through Faust's producer
buffer, which sends the messages one at a time and writes the partition's persisted
offset into RocksDB after each ack. A take changes tens of thousands of keys.

`StateWriter` writes a take's keys the way Faust's own recovery applies a changelog batch
(`faust.stores.rocksdb.Store.apply_changelog_batch`): the same key and value encodings,
one RocksDB write batch per partition, then the changelog records appended to aiokafka
record batches for the table's changelog partition, and once the broker acknowledged
them, the partition's persisted offset set to the last one. So a restarted or moved worker
recovers the state exactly as if Faust had written it: it reads RocksDB and replays the
changelog from the persisted offset on.

Crash order, as with Faust's own writes: RocksDB may hold keys whose changelog records
were never sent (the source offsets are not committed either, so the events are folded
again and the folds repair those keys); the persisted offset never passes a record that
the broker has not acknowledged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import rocksdict
from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition
from faust.types import TableT
from mode import Service

from streams import metrics, retry
from streams.faust_codecs import plain_dumps

RECORD_BATCH_BYTES = 1024 * 1024
"""Target size of one changelog record batch (a larger single value gets its own batch)."""


MISSING: Any = object()
"""What `fast_reader`'s function returns for a key the table does not have."""

_PROBES: tuple[tuple[str, Any], ...] = (
    ("day|org|ctb-ü|2025-01-06", {"entries": {"e-1": [True, 30, False, "t", "p", None]}}),
    ("members|org", {"c": "2025-01-06", "n": 1.5, "l": [[1, 2.25], None]}),
)


def state_codec(
    table: TableT[Any, Any],
) -> tuple[Callable[[Any], bytes], Callable[[Any], bytes], Callable[[bytes], Any]]:
    """(encode_key, encode_value, decode_value) giving the bytes and values the table's own
    store methods give.

    With the table on Faust's `json` codec for keys and values (checked on probes), these
    are orjson calls: Faust's serializer registry costs about a microsecond per key and per
    value on top of them (its model and codec lookups), and the worker encodes every key
    it writes and every key it reads past its cache. Otherwise the store's methods.
    """
    store: Any = table.data
    encode_key, encode_value, decode_value = (
        store._encode_key,
        store._encode_value,
        store._decode_value,
    )
    try:
        same = all(
            encode_key(key) == plain_dumps(key)
            and encode_value(value) == plain_dumps(value)
            and decode_value(plain_dumps(value)) == value
            for key, value in _PROBES
        )
    except (TypeError, ValueError):  # another codec refused a probe
        same = False
    if not same:
        return encode_key, encode_value, decode_value
    # Right-sized (see streams.faust_codecs): a take's encoded keys wait until flushed.
    return plain_dumps, plain_dumps, orjson.loads


def fast_reader(table: TableT[Any, Any]) -> Callable[[str], Any]:
    """A function reading a key of the table (MISSING when absent) straight from its store
    for the partition of the current event, as the table does, without the table's
    mapping layers (a missing key costs an exception and a second lookup there)."""
    store: Any = table.data
    encode_key, _encode_value, decode_value = state_codec(table)
    get = store._get

    def read(key: str) -> Any:
        value = get(encode_key(key))
        return MISSING if value is None else decode_value(value)

    return read


class StateWriter(Service):
    """Writes batches of keys to a Faust table's RocksDB store and changelog topic.

    A service of the Faust app: its producer connects when the app starts. `write` puts a
    partition's keys into RocksDB at once; `flush`, which must come before committing what
    the writes came from, sends their changelog records, waits for the broker's acks and
    records the persisted offsets.
    """

    def __init__(
        self, table: TableT[Any, Any], bootstrap: str, max_request_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.table = table
        self.bootstrap = bootstrap
        self.max_request_bytes = max_request_bytes
        self._producer: AIOKafkaProducer | None = None
        self._codec = state_codec(table)
        self._unacked: list[tuple[int, list[tuple[bytes, bytes]]]] = []
        """(partition, encoded records) written since the last flush, in write order."""

    async def on_start(self) -> None:
        """Connect the changelog producer."""
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            max_batch_size=RECORD_BATCH_BYTES,
            max_request_size=self.max_request_bytes,
            compression_type=None,
        )
        await self._producer.start()

    async def on_stop(self) -> None:
        """Close the producer (what was not flushed is not acknowledged)."""
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def write(
        self, partition: int, items: Sequence[tuple[str, Any]], turn_every: int = 5_000
    ) -> None:
        """Write `items` (key, value) of one partition to RocksDB in one batch, in order, and
        queue their changelog records for `flush`; the loop gets a turn every `turn_every`
        keys while they are encoded."""
        if not items:
            return
        store: Any = self.table.data
        encode_key, encode_value, _decode_value = self._codec
        encoded: list[tuple[bytes, bytes]] = []
        for n, (key, value) in enumerate(items):
            if n and n % turn_every == 0:
                await asyncio.sleep(0)
            encoded.append((encode_key(key), encode_value(value)))
        write_batch = rocksdict.WriteBatch(raw_mode=True)
        for key_bytes, value_bytes in encoded:
            write_batch.put(key_bytes, value_bytes)
        store._db_for_partition(partition).write(write_batch)
        self._unacked.append((partition, encoded))

    async def flush(self) -> None:
        """Send the changelog records written since the last flush and wait for the acks,
        retrying with backoff; then set each partition's persisted offset to its last
        record. A failed attempt sends all of them again, in their order, so a key's last
        record in the topic stays its latest value (a repeated record is harmless)."""
        if self._unacked:
            await retry.until_done(metrics.tracked("state", self._send_and_wait), "state")
            self._unacked = []

    async def _send_and_wait(self) -> None:
        producer = self._producer
        if producer is None:
            raise RuntimeError("the state writer is not started")
        topic = self.table.changelog_topic.get_topic_name()
        sent: list[tuple[int, int, asyncio.Future[Any]]] = []
        for partition, encoded in self._unacked:
            batch = producer.create_batch()
            count = 0
            for key_bytes, value_bytes in encoded:
                if batch.append(key=key_bytes, value=value_bytes, timestamp=None) is None:
                    future = await producer.send_batch(batch, topic, partition=partition)
                    sent.append((partition, count, future))
                    batch = producer.create_batch()
                    count = 0
                    if batch.append(key=key_bytes, value=value_bytes, timestamp=None) is None:
                        raise ValueError(f"a state value of {len(value_bytes)} bytes is too large")
                count += 1
            if count:
                future = await producer.send_batch(batch, topic, partition=partition)
                sent.append((partition, count, future))
        results = await asyncio.gather(*(future for _, _, future in sent))
        last: dict[int, int] = {}
        for (partition, count, _), metadata in zip(sent, results, strict=True):
            last[partition] = max(last.get(partition, -1), metadata.offset + count - 1)
        store: Any = self.table.data
        for partition, offset in last.items():
            store.set_persisted_offset(TopicPartition(topic, partition), offset)
