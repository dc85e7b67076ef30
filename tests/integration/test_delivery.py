"""Alert delivery against real programs on loopback.

Debian's Alertmanager binary, an aiosmtpd SMTP server and stdlib HTTP receivers stand in
for the channels; the dispatcher runs exactly as the worker runs it. No Kafka is needed.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from sinks.notify import Dispatcher, Routing, load_routing
from streams.processes import free_port
from tests.notify_support import (
    alert,
    http_receiver,
    ops_alert,
    resolved,
)

pytestmark = pytest.mark.integration

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
DEADLINE = 30.0


# -- real servers ----------------------------------------------------------------------------


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    """Debian's Alertmanager on a free loopback port, clustering off; its base URL."""
    if not ALERTMANAGER.exists():
        pytest.fail("prometheus-alertmanager is not installed: run deploy/prerequisites.sh")
    config = tmp_path / "alertmanager.yml"
    config.write_text('route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n')
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            str(ALERTMANAGER),
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/-/ready", process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    loop_deadline = datetime.now(UTC) + timedelta(seconds=DEADLINE)
    while datetime.now(UTC) < loop_deadline:
        assert process.poll() is None, "alertmanager exited at start"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready in {DEADLINE}s")


@dataclass
class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    port: int
    mails: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        self.mails.append(
            (list(envelope.rcpt_tos), message_from_bytes(content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """An aiosmtpd server on a free loopback port, in its own thread."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


# -- helpers ---------------------------------------------------------------------------------


def routing_file(tmp_path: Path, text: str) -> Routing:
    path = tmp_path / "routing.toml"
    path.write_text(text)
    return load_routing(path)


def dispatcher(routing: Routing, tmp_path: Path) -> Dispatcher:
    return Dispatcher(routing, tmp_path / "outbox.sqlite", backoff_initial=0.05, backoff_max=0.2)


async def until(condition: Callable[[], Any], what: str) -> None:
    """Poll for a condition with a generous deadline (no timing assertions)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + DEADLINE
    while not await _check(condition):
        assert loop.time() < end, f"not within {DEADLINE}s: {what}"
        await asyncio.sleep(0.05)


async def _check(condition: Callable[[], Any]) -> bool:
    result = condition()
    if asyncio.iscoroutine(result):
        result = await result
    return bool(result)


def recent(**fields: Any) -> dict[str, Any]:
    """Event times of an hour ago, so Alertmanager sees a current alert."""
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat()
    return {"first_fired_at": hour_ago, "updated_at": hour_ago, **fields}


# -- Alertmanager ----------------------------------------------------------------------------


def test_alertmanager_shows_the_firing_alert_then_resolves_it(
    alertmanager: str, tmp_path: Path
) -> None:
    routing = routing_file(
        tmp_path,
        f"""
        [channels.am]
        kind = "alertmanager"
        url = "{alertmanager}"
        generator_url = "http://worksignals.example.com/alerts"

        [ops]
        channels = ["am"]
        """,
    )
    firing = ops_alert(**recent(severity="warning"))

    async def active() -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{alertmanager}/api/v2/alerts")
            response.raise_for_status()
            return [
                a
                for a in response.json()
                if a["labels"].get("alert_id") == firing["alert_id"]
                and a["status"]["state"] == "active"
            ]

    async def scenario() -> None:
        d = dispatcher(routing, tmp_path)
        await d.start()
        try:
            assert await d.submit(firing) == 1
            await until(active, "the firing alert is active in Alertmanager")
            [shown] = await active()
            assert shown["labels"] == {
                "alertname": "budget_burn",
                "severity": "warning",
                "org_id": "acme",
                "subject_type": "project",
                "subject_id": "p1",
                "audience": "ops",
                "alert_id": "a-budget-p1-1",
            }
            assert shown["annotations"]["summary"] == firing["summary"]
            assert shown["annotations"]["suggested_action"] == "rescope"
            assert datetime.fromisoformat(shown["startsAt"]) == datetime.fromisoformat(
                firing["first_fired_at"]
            )
            assert shown["generatorURL"] == "http://worksignals.example.com/alerts"

            escalated = {**firing, "severity": "critical"}
            assert await d.submit(escalated) == 1

            async def only_critical() -> bool:
                return [a["labels"]["severity"] for a in await active()] == ["critical"]

            await until(only_critical, "the escalation replaces the warning")

            done = resolved(escalated, at=datetime.now(UTC).replace(microsecond=0).isoformat())
            assert await d.submit(done) == 1

            async def gone() -> bool:
                return await active() == []

            await until(gone, "the resolved alert is no longer active")
            assert d.stats()["am"] == {"delivered": 3, "failed": 0, "pending": 0, "rejected": 0}
        finally:
            await d.stop()

    asyncio.run(scenario())


# -- email -----------------------------------------------------------------------------------


def test_contributor_mail_goes_to_their_own_address_and_never_to_ops(
    smtp: Mailbox, tmp_path: Path
) -> None:
    with http_receiver() as ops_hook:
        routing = routing_file(
            tmp_path,
            f"""
            [channels.ana-mail]
            kind = "email"
            host = "127.0.0.1"
            port = {smtp.port}
            from = "worksignals@example.com"
            to = ["ana@example.com"]

            [channels.contributor-mail]
            kind = "email"
            host = "127.0.0.1"
            port = {smtp.port}
            from = "worksignals@example.com"
            to_pattern = "{{contributor_id}}@example.com"

            [channels.ops-hook]
            kind = "webhook"
            url = "{ops_hook.url}/ops"

            [ops]
            channels = ["ops-hook"]

            [contributors.ana]
            channels = ["ana-mail"]

            [contributor_default]
            channels = ["contributor-mail"]
            """,
        )

        async def scenario() -> None:
            d = dispatcher(routing, tmp_path)
            await d.start()
            try:
                await d.submit(alert())
                await d.submit(alert(alert_id="a-utilization-carla-1", subject_id="carla"))
                await d.submit(resolved(alert()))
                await d.submit(ops_alert())
                await until(lambda: len(smtp.mails) == 3, "three mails")
                await until(lambda: len(ops_hook.requests) == 1, "the ops alert")
            finally:
                await d.stop()

        asyncio.run(scenario())

    by_rcpt: dict[str, list[EmailMessage]] = {}
    for rcpt, message in smtp.mails:
        assert len(rcpt) == 1
        by_rcpt.setdefault(rcpt[0], []).append(message)
    assert sorted(by_rcpt) == ["ana@example.com", "carla@example.com"]
    ana_firing, ana_resolved = by_rcpt["ana@example.com"]
    assert ana_firing["To"] == "ana@example.com"
    assert ana_firing["From"] == "worksignals@example.com"
    assert ana_firing["Subject"] == "worksignals [WARNING] utilization_drift: contributor ana"
    body = ana_firing.get_content()
    assert alert()["summary"] in body
    assert "observed 0.52 ratio, threshold 0.65, baseline 0.75" in body
    assert '"billable_hours": 62.4' in body
    assert ana_resolved["Subject"] == "worksignals [RESOLVED] utilization_drift: contributor ana"
    assert "Resolved" in ana_resolved.get_content()
    assert by_rcpt["carla@example.com"][0]["To"] == "carla@example.com"
    # ops saw its own alert only
    assert [body["audience"] for body in ops_hook.bodies()] == ["ops"]


# -- webhooks --------------------------------------------------------------------------------


def test_webhooks_post_the_alert_as_json_and_as_slack_text(tmp_path: Path) -> None:
    with http_receiver() as receiver:
        routing = routing_file(
            tmp_path,
            f"""
            [channels.incidents]
            kind = "webhook"
            url = "{receiver.url}/json"
            headers = {{ Authorization = "Bearer t0ken" }}

            [channels.slack]
            kind = "webhook"
            url = "{receiver.url}/slack"
            format = "slack"

            [ops]
            channels = ["incidents", "slack"]
            """,
        )
        document = ops_alert()

        async def scenario() -> None:
            d = dispatcher(routing, tmp_path)
            await d.start()
            try:
                await d.submit(document)
                await until(lambda: len(receiver.requests) == 2, "both webhooks")
            finally:
                await d.stop()

        asyncio.run(scenario())

    assert receiver.bodies("/json") == [document]
    [(_, headers, _)] = [r for r in receiver.requests if r[0] == "/json"]
    assert headers["Authorization"] == "Bearer t0ken"
    [slack] = receiver.bodies("/slack")
    assert list(slack) == ["text"]
    assert slack["text"].startswith(":rotating_light: *[CRITICAL] budget_burn: project p1*")
    assert document["summary"] in slack["text"]


# -- failures and restarts -------------------------------------------------------------------


def test_a_down_channel_gets_the_alert_once_after_recovery_and_others_do_not_wait(
    tmp_path: Path,
) -> None:
    late_port = free_port()  # nothing listens there until the receiver is started below
    with http_receiver(status=500) as flaky, http_receiver() as steady:
        routing = routing_file(
            tmp_path,
            f"""
            [channels.flaky]
            kind = "webhook"
            url = "{flaky.url}/hook"

            [channels.late]
            kind = "webhook"
            url = "http://127.0.0.1:{late_port}/hook"

            [channels.steady]
            kind = "webhook"
            url = "{steady.url}/hook"
            format = "slack"

            [ops]
            channels = ["flaky", "late", "steady"]
            """,
        )
        document = ops_alert()

        async def scenario() -> None:
            d = dispatcher(routing, tmp_path)
            await d.start()
            try:
                assert await d.submit(document) == 3
                await until(lambda: len(steady.requests) == 1, "the steady channel")
                await until(lambda: flaky.refused >= 2, "the flaky channel retries")
                await until(lambda: d.stats()["late"]["failed"] >= 2, "the late channel retries")
                assert d.stats()["flaky"]["pending"] == d.stats()["late"]["pending"] == 1

                flaky.status = 200
                with http_receiver(port=late_port) as late:
                    await until(
                        lambda: (
                            d.stats()["flaky"]["delivered"] == 1
                            and d.stats()["late"]["delivered"] == 1
                        ),
                        "both recover",
                    )
                    assert await d.submit(document) == 0  # redelivered upstream: nothing
                    assert late.bodies() == [document]
                assert flaky.bodies() == [document]
                assert len(steady.requests) == 1
                stats = d.stats()
                assert stats["flaky"]["pending"] == stats["late"]["pending"] == 0
                assert stats["flaky"]["failed"] >= 2
            finally:
                await d.stop()

        asyncio.run(scenario())


def test_pending_rows_go_out_after_a_restart_and_delivered_ones_are_not_resent(
    tmp_path: Path,
) -> None:
    later_port = free_port()
    alerts = [ops_alert(), ops_alert(alert_id="a-blocked-p2-1", subject_id="p2")]
    with http_receiver() as now:
        routing = routing_file(
            tmp_path,
            f"""
            [channels.now]
            kind = "webhook"
            url = "{now.url}/hook"

            [channels.later]
            kind = "webhook"
            url = "http://127.0.0.1:{later_port}/hook"

            [ops]
            channels = ["now", "later"]
            """,
        )

        async def first_run() -> None:
            d = dispatcher(routing, tmp_path)
            await d.start()
            try:
                for document in alerts:
                    await d.submit(document)
                await until(lambda: d.stats()["now"]["delivered"] == 2, "the up channel")
                await until(lambda: d.stats()["later"]["failed"] >= 1, "the down channel fails")
            finally:
                await d.stop()
            assert d.stats()["later"]["pending"] == 2

        async def second_run() -> None:
            d = dispatcher(routing, tmp_path)
            await d.start()
            try:
                for document in alerts:  # the stream redelivers after its restart
                    assert await d.submit(document) == 0
                await until(lambda: d.stats()["later"]["delivered"] == 2, "the pending rows")
                assert d.stats()["now"] == {
                    "delivered": 0,
                    "failed": 0,
                    "pending": 0,
                    "rejected": 0,
                }
            finally:
                await d.stop()

        asyncio.run(first_run())
        with http_receiver(port=later_port) as later:
            asyncio.run(second_run())
        assert later.bodies() == alerts  # in the order they were queued
        assert now.bodies() == alerts  # sent once, in the first run only
