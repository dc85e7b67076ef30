"""The worker's small HTTP endpoint on loopback: health, metrics and read-only queries.

It lets `worksignals query`, `alerts`, `status` and `publish --wait` read ClickHouse
while the worker holds the embedded chDB path, which no other process may open. It also
runs what feeds its metrics between scrapes: the consumer lag monitor.
"""

from __future__ import annotations

import asyncio
import decimal
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web
from mode import Service, ServiceT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sinks.clickhouse import WarehouseError
from streams import metrics
from streams.lag import LagMonitor, consumptions

if TYPE_CHECKING:
    from streams.app import Pipeline


def to_json(value: Any) -> bytes:
    """JSON of query results: dates as ISO 8601, bytes as text (invalid UTF-8 escaped)."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_NON_STR_KEYS)


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class WorkerHttp(Service):
    """aiohttp server: GET /health, GET /metrics (Prometheus), POST /query (read-only SQL)."""

    def __init__(self, pipeline: Pipeline, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pipeline = pipeline
        self._runner: web.AppRunner | None = None
        settings = pipeline.settings
        self.lag = LagMonitor(
            settings,
            consumptions(settings, settings.role, notifier=pipeline.notifier is not None),
        )
        metrics.WORKER_INFO.labels(settings.role, settings.app_id).set(1)

    def on_init_dependencies(self) -> Iterable[ServiceT]:
        """The lag monitor starts and stops with the endpoint."""
        return [self.lag]

    async def on_start(self) -> None:
        """Bind the server on the configured host and port."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_get("/health", self._health)
        app.router.add_post("/query", self._query)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        settings = self.pipeline.settings
        await web.TCPSite(self._runner, settings.web_host, settings.web_port).start()

    async def on_stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _health(self, _request: web.Request) -> web.Response:
        body = {
            **self.pipeline.health(),
            "sinks": metrics.SINKS.as_dict(),
            "lag": [lag.as_dict() for lag in self.lag.last],
            "pid": os.getpid(),
        }
        return web.Response(body=to_json(body), content_type="application/json")

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _query(self, request: web.Request) -> web.Response:
        try:
            payload = orjson.loads(await request.read())
            sql = payload["sql"]
            parameters = payload.get("parameters")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return _error(400, 'expected a JSON body {"sql": "...", "parameters": {...}}')
        warehouse = self.pipeline.warehouse
        if warehouse is None:
            return _error(503, "this worker (role stream) holds no ClickHouse; ask the sink")
        try:
            result = await asyncio.to_thread(warehouse.query, sql, parameters)
        except WarehouseError as error:
            return _error(400, str(error))
        body = {"columns": result.columns, "rows": result.rows}
        return web.Response(body=to_json(body), content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return web.Response(
        status=status, body=to_json({"error": message}), content_type="application/json"
    )
