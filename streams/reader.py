"""Read-only access to ClickHouse from the command line, with or without a running worker.

With the embedded engine, the worker owns the chDB path, so reads go through its HTTP
endpoint while it runs and open the path directly when it does not. A ClickHouse
server is always read directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import httpx
import orjson

from sinks.clickhouse import QueryResult, Warehouse, WarehouseError
from streams.settings import Settings


class Reader(Protocol):
    """Runs read-only SQL."""

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> QueryResult:
        """Rows of a read-only query."""

    def close(self) -> None:
        """Release what the reader holds."""


def worker_health(settings: Settings, timeout: float = 2.0) -> dict[str, Any] | None:
    """The running worker's /health document, or None if no worker answers."""
    try:
        response = httpx.get(f"{settings.worker_url}/health", timeout=timeout)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    health: dict[str, Any] = response.json()
    return health


class WorkerReader:
    """Queries through the worker's HTTP endpoint."""

    def __init__(self, settings: Settings) -> None:
        self._client = httpx.Client(base_url=settings.worker_url, timeout=120.0)

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> QueryResult:
        """POST /query; raise WarehouseError with ClickHouse's message on failure."""
        try:
            response = self._client.post(
                "/query",
                content=orjson.dumps({"sql": sql, "parameters": parameters or {}}),
            )
        except httpx.HTTPError as error:
            raise WarehouseError(f"the worker did not answer: {error}") from error
        body = response.json()
        if response.status_code != 200:
            raise WarehouseError(body.get("error", response.text))
        return QueryResult(body["columns"], [tuple(row) for row in body["rows"]])

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


class DirectReader:
    """Queries a ClickHouse connection of this process."""

    def __init__(self, settings: Settings) -> None:
        try:
            self._warehouse = Warehouse(settings.clickhouse)
        except WarehouseError as error:
            raise WarehouseError(
                f"{error}\nIf another process holds the embedded database, query through "
                "the worker: start it with `worksignals up`."
            ) from error

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None) -> QueryResult:
        """A read-only query."""
        return self._warehouse.query(sql, parameters)

    def close(self) -> None:
        """Release the connection."""
        self._warehouse.close()


def open_reader(settings: Settings) -> Reader:
    """The worker's endpoint when the embedded database is held by a running worker,
    otherwise a direct connection."""
    health = worker_health(settings) if settings.embedded_clickhouse else None
    if health is not None and health.get("clickhouse") == settings.clickhouse:
        return WorkerReader(settings)
    return DirectReader(settings)
