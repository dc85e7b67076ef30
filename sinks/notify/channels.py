"""Notifiers: the port (`send(alert)`) and its adapters for each channel kind.

A notifier raises DeliveryError when the alert did not get through. `permanent` marks a
refusal of this very message (a malformed payload, a refused recipient): retrying cannot
help, so the dispatcher sets the row aside. Everything else (connection refused, timeouts,
5xx, 429, auth or not-found errors a config fix cures) is retried.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from sinks.notify.payloads import alertmanager_payload, email_message, slack_payload
from sinks.notify.routing import AlertmanagerChannel, Channel, EmailChannel, WebhookChannel

# Refusals of the request body itself; other 4xx (401, 403, 404) are fixed by configuration.
_PERMANENT_HTTP = frozenset({400, 413, 422})


class DeliveryError(Exception):
    """The alert was not delivered; `permanent` when retrying the same message cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Notifier(Protocol):
    """Sends one alert to one channel. `refresh` re-asserts firing alerts (may do nothing)."""

    async def send(self, alert: Mapping[str, Any]) -> None: ...

    async def refresh(self, firing: Sequence[Mapping[str, Any]]) -> None: ...

    @property
    def refresh_interval(self) -> float | None: ...


class _HttpNotifier:
    def __init__(self, client: httpx.AsyncClient, headers: Mapping[str, str], timeout: float):
        self._client = client
        self._headers = dict(headers)
        self._timeout = timeout

    async def _post(self, url: str, body: Any) -> None:
        try:
            response = await self._client.post(
                url, json=body, headers=self._headers, timeout=self._timeout
            )
        except httpx.HTTPError as e:
            raise DeliveryError(f"POST {url}: {type(e).__name__}: {e}") from e
        if response.is_success:
            return
        raise DeliveryError(
            f"POST {url}: HTTP {response.status_code} {response.text[:200]!r}",
            permanent=response.status_code in _PERMANENT_HTTP,
        )


class WebhookNotifier(_HttpNotifier):
    """POSTs the alert dict, or a Slack `{"text"}` body, to the channel's URL."""

    refresh_interval = None

    def __init__(self, channel: WebhookChannel, client: httpx.AsyncClient) -> None:
        super().__init__(client, channel.headers, channel.timeout)
        self.channel = channel

    async def send(self, alert: Mapping[str, Any]) -> None:
        """POST the alert in the channel's format."""
        body = slack_payload(alert) if self.channel.format == "slack" else dict(alert)
        await self._post(self.channel.url, body)

    async def refresh(self, firing: Sequence[Mapping[str, Any]]) -> None:
        """Webhooks are notified once per state change: nothing to refresh."""


class AlertmanagerNotifier(_HttpNotifier):
    """Posts to Alertmanager's API v2 and keeps firing alerts alive there."""

    def __init__(
        self,
        channel: AlertmanagerChannel,
        client: httpx.AsyncClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(client, channel.headers, channel.timeout)
        self.channel = channel
        self._clock = clock

    @property
    def refresh_interval(self) -> float:
        """Seconds between posts of the firing alerts."""
        return self.channel.resend_interval

    async def send(self, alert: Mapping[str, Any]) -> None:
        """POST the alert's current state (firing, or resolved with endsAt)."""
        await self.refresh([alert])

    async def refresh(self, firing: Sequence[Mapping[str, Any]]) -> None:
        """POST these alerts again, each valid for four resend intervals."""
        if not firing:
            return
        now = self._clock()
        valid_for = timedelta(seconds=4 * self.channel.resend_interval)
        body = [
            post
            for alert in firing
            for post in alertmanager_payload(
                alert, now=now, valid_for=valid_for, generator_url=self.channel.generator_url
            )
        ]
        await self._post(f"{self.channel.url}/api/v2/alerts", body)


class EmailNotifier:
    """Sends a plain text mail over SMTP (stdlib smtplib, in a worker thread)."""

    refresh_interval = None

    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel

    async def send(self, alert: Mapping[str, Any]) -> None:
        """Mail the alert to the channel's recipients for it."""
        recipients = self.channel.recipients(alert)
        message = email_message(alert, sender=self.channel.sender, recipients=recipients)
        await asyncio.to_thread(self._send, message, recipients)

    async def refresh(self, firing: Sequence[Mapping[str, Any]]) -> None:
        """Mails are sent once per state change: nothing to refresh."""

    def _send(self, message: Any, recipients: list[str]) -> None:
        channel = self.channel
        try:
            with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout) as smtp:
                if channel.starttls:
                    smtp.starttls()
                if channel.user:
                    smtp.login(channel.user, channel.password or "")
                smtp.send_message(message, from_addr=channel.sender, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            raise DeliveryError(
                f"SMTP {channel.host}:{channel.port} refused {sorted(e.recipients)}",
                permanent=all(code >= 500 for code in codes),
            ) from e
        except smtplib.SMTPResponseException as e:
            # A 5xx on the message itself is final; on login it is configuration: retry.
            permanent = e.smtp_code >= 500 and isinstance(e, smtplib.SMTPDataError)
            raise DeliveryError(
                f"SMTP {channel.host}:{channel.port}: {e.smtp_code} {e.smtp_error!r}",
                permanent=permanent,
            ) from e
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(
                f"SMTP {channel.host}:{channel.port}: {type(e).__name__}: {e}"
            ) from e


def build_notifier(channel: Channel, client: httpx.AsyncClient) -> Notifier:
    """The adapter for a configured channel."""
    if isinstance(channel, WebhookChannel):
        return WebhookNotifier(channel, client)
    if isinstance(channel, AlertmanagerChannel):
        return AlertmanagerNotifier(channel, client)
    return EmailNotifier(channel)


class MemoryNotifier:
    """An in-memory notifier for tests: records alerts; `fail` makes the next sends raise.

    With a `refresh_interval` it records the firing alerts it is asked to refresh.
    """

    def __init__(self, refresh_interval: float | None = None) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refreshed: list[list[dict[str, Any]]] = []
        self.fail: DeliveryError | None = None
        self.refresh_interval = refresh_interval

    async def send(self, alert: Mapping[str, Any]) -> None:
        """Record the alert, or raise `fail` when set."""
        if self.fail is not None:
            raise self.fail
        self.sent.append(dict(alert))

    async def refresh(self, firing: Sequence[Mapping[str, Any]]) -> None:
        """Record the firing alerts."""
        self.refreshed.append([dict(alert) for alert in firing])
