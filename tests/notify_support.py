"""Alerts of the contract for the delivery tests, and loopback receivers (HTTP, SMTP)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def alert(**overrides: Any) -> dict[str, Any]:
    """A firing contributor alert (utilization drift of ana); fields override the defaults."""
    document: dict[str, Any] = {
        "alert_id": "a-utilization-ana-1",
        "org_id": "acme",
        "pattern": "utilization_drift",
        "audience": "contributor",
        "subject_type": "contributor",
        "subject_id": "ana",
        "status": "firing",
        "severity": "warning",
        "period_start": "2026-10-05",
        "period_end": "2026-11-01",
        "observed": 0.52,
        "threshold": 0.65,
        "baseline": 0.75,
        "unit": "ratio",
        "summary": "Your billable utilization over 4 weeks is 52%, 23 points below target.",
        "evidence": {"billable_hours": 62.4, "available_hours": 120.0, "target": 0.75},
        "suggested_action": "self_review",
        "first_fired_at": "2026-11-02T09:00:00+00:00",
        "updated_at": "2026-11-02T09:00:00+00:00",
        "resolved_at": None,
    }
    document.update(overrides)
    return document


def ops_alert(**overrides: Any) -> dict[str, Any]:
    """A firing ops alert (budget burn of project p1)."""
    fields: dict[str, Any] = {
        "alert_id": "a-budget-p1-1",
        "pattern": "budget_burn",
        "audience": "ops",
        "subject_type": "project",
        "subject_id": "p1",
        "severity": "critical",
        "observed": 1.04,
        "threshold": 1.0,
        "baseline": None,
        "summary": "Project p1 has consumed 104% of its planned hours.",
        "evidence": {"consumed_hours": 520, "planned_hours": 500, "runs_out_on": "2026-10-28"},
        "suggested_action": "rescope",
    }
    fields.update(overrides)
    return alert(**fields)


def resolved(document: dict[str, Any], at: str = "2026-11-09T09:00:00+00:00") -> dict[str, Any]:
    """The resolved state of an alert."""
    return {**document, "status": "resolved", "updated_at": at, "resolved_at": at}


@dataclass
class HttpReceiver:
    """A loopback HTTP server recording POSTs; answers `status` (set 500 to fail)."""

    port: int = 0
    status: int = 200
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    refused: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self.port}"

    def bodies(self, path: str | None = None) -> list[Any]:
        """The JSON bodies received with a success answer, optionally for one path."""
        return [body for p, _, body in self.requests if path is None or p == path]

    def start(self) -> None:
        """Listen on `port` (0: a free one) in a background thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                if receiver.status < 300:
                    receiver.requests.append((self.path, dict(self.headers), body))
                else:
                    receiver.refused += 1
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@contextmanager
def http_receiver(port: int = 0, status: int = 200) -> Iterator[HttpReceiver]:
    """A started HttpReceiver, stopped on exit."""
    receiver = HttpReceiver(port=port, status=status)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
