"""The routing file: named channels, the ops audience and each contributor's own route.

Contributor first is enforced here, at load time and at routing time: a contributor alert
goes only to the channels of the contributor it is about, a channel is either an ops
channel or one contributor's channel (never both, never two contributors'), and nothing
falls back to ops.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

AUDIENCES = ("contributor", "ops")


class RoutingError(ValueError):
    """The routing file is invalid; the message names the offending key."""


@dataclass(frozen=True)
class WebhookChannel:
    """POST the alert to a URL: the alert dict (`json`) or a Slack-compatible `{"text"}`."""

    name: str
    url: str
    format: Literal["json", "slack"] = "json"
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    kind: Literal["webhook"] = "webhook"


@dataclass(frozen=True)
class EmailChannel:
    """Send a plain text mail through an SMTP server.

    `to` is a fixed list of addresses; `to_pattern` (for the contributor default only) is
    formatted with the alert's `contributor_id` and `org_id` to reach its own contributor.
    """

    name: str
    host: str
    port: int
    sender: str
    to: tuple[str, ...] = ()
    to_pattern: str | None = None
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    kind: Literal["email"] = "email"

    def recipients(self, alert: Mapping[str, Any]) -> list[str]:
        """The addresses this alert goes to on this channel."""
        if self.to_pattern is not None:
            return [
                self.to_pattern.format(
                    contributor_id=alert["subject_id"], org_id=alert.get("org_id", "default")
                )
            ]
        return list(self.to)


@dataclass(frozen=True)
class AlertmanagerChannel:
    """Post alerts to an Alertmanager's API v2 (`{url}/api/v2/alerts`).

    Alertmanager forgets a firing alert whose endsAt has passed, and keeps alerts in memory
    only, so firing alerts are posted again every `resend_interval` seconds, each post valid
    for four intervals (as Prometheus does).
    """

    name: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    generator_url: str | None = None
    resend_interval: float = 60.0
    timeout: float = 10.0
    kind: Literal["alertmanager"] = "alertmanager"


Channel = WebhookChannel | EmailChannel | AlertmanagerChannel


@dataclass(frozen=True)
class ContributorRoute:
    """A contributor's own channels; `org_id` set means only alerts of that org match."""

    contributor_id: str
    channels: tuple[str, ...]
    org_id: str | None = None


@dataclass(frozen=True)
class Routing:
    """Where each alert goes. Build it with `load_routing` (or `parse_routing`)."""

    channels: Mapping[str, Channel]
    ops: tuple[str, ...] = ()
    ops_org_ids: tuple[str, ...] | None = None
    contributors: Mapping[str, tuple[ContributorRoute, ...]] = field(default_factory=dict)
    contributor_default: tuple[str, ...] = ()

    def channels_for(self, alert: Mapping[str, Any]) -> list[str]:
        """Names of the channels this alert goes to; empty when it has no route.

        Ops alerts go to the ops channels. Contributor alerts go only to the channels of
        the contributor whose id is the alert's subject_id (or, without a route of their
        own, to the contributor default, which mails their own address); never to ops.
        """
        audience = alert.get("audience")
        org_id = alert.get("org_id", "default")
        if audience == "ops":
            if self.ops_org_ids is not None and org_id not in self.ops_org_ids:
                log.info("no ops route for org %s: alert %s not sent", org_id, alert["alert_id"])
                return []
            return list(self.ops)
        if audience != "contributor":
            raise ValueError(f"alert {alert.get('alert_id')!r} has unknown audience {audience!r}")
        if alert.get("subject_type") != "contributor":
            log.warning(
                "contributor alert %s is about a %s, not a contributor: not sent",
                alert["alert_id"],
                alert.get("subject_type"),
            )
            return []
        contributor_id = alert["subject_id"]
        routes = self.contributors.get(contributor_id, ())
        # A route for the alert's own org wins over one without org_id.
        for route in sorted(routes, key=lambda r: r.org_id is None):
            if route.org_id is None or route.org_id == org_id:
                return list(route.channels)
        if self.contributor_default:
            return list(self.contributor_default)
        log.info(
            "contributor %s (org %s) has no route: alert %s not sent",
            contributor_id,
            org_id,
            alert["alert_id"],
        )
        return []


def load_routing(path: Path | str) -> Routing:
    """Read and validate a routing TOML file; raises RoutingError naming the bad key."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RoutingError(f"cannot read routing file {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise RoutingError(f"{path} is not valid TOML: {e}") from e
    try:
        return parse_routing(document)
    except RoutingError as e:
        raise RoutingError(f"{path}: {e}") from e


def parse_routing(document: Mapping[str, Any]) -> Routing:
    """Validate a routing document (the parsed TOML) into a Routing."""
    _only(document, "", {"channels", "ops", "contributors", "contributor_default"})
    raw_channels = _table(document, "channels", "channels")
    channels = {
        name: _channel(name, _table(raw_channels, name, f"channels.{name}"))
        for name in raw_channels
    }

    ops_table = _table(document, "ops", "ops")
    _only(ops_table, "ops", {"channels", "org_ids"})
    ops = _names(ops_table, "ops.channels", channels)
    ops_org_ids = (
        tuple(_strings(ops_table, "org_ids", "ops.org_ids")) if "org_ids" in ops_table else None
    )

    owner: dict[str, str] = dict.fromkeys(ops, "ops")
    contributors: dict[str, tuple[ContributorRoute, ...]] = {}
    for key, raw in _table(document, "contributors", "contributors").items():
        where = f"contributors.{key}"
        if not isinstance(raw, Mapping):
            raise RoutingError(f"{where} must be a table")
        _only(raw, where, {"channels", "org_id", "contributor_id"})
        contributor_id = _string(raw, "contributor_id", where, default=key)
        org_id = _string(raw, "org_id", where, default=None)
        names = _names(raw, f"{where}.channels", channels)
        for name in names:
            _claim(owner, name, where, channels)
        route = ContributorRoute(contributor_id, tuple(names), org_id)
        contributors[contributor_id] = (*contributors.get(contributor_id, ()), route)
    for contributor_id, routes in contributors.items():
        orgs = [route.org_id for route in routes]
        if len(set(orgs)) != len(orgs):
            raise RoutingError(f"contributor {contributor_id!r} has two routes for one org")

    default_table = _table(document, "contributor_default", "contributor_default")
    _only(default_table, "contributor_default", {"channels"})
    default = _names(default_table, "contributor_default.channels", channels)
    for name in default:
        channel = channels[name]
        if not isinstance(channel, EmailChannel) or channel.to_pattern is None:
            raise RoutingError(
                f"contributor_default.channels: {name!r} must be an email channel with "
                "to_pattern (each contributor's own address)"
            )
        _claim(owner, name, "contributor_default", channels)
    for name, channel in channels.items():
        if (
            isinstance(channel, EmailChannel)
            and channel.to_pattern
            and owner.get(name)
            not in (
                None,
                "contributor_default",
            )
        ):
            raise RoutingError(
                f"channels.{name}.to_pattern: only the contributor_default may use it"
            )
    unused = sorted(set(channels) - set(owner))
    if unused:
        log.info("routing: channels not used by any audience: %s", ", ".join(unused))
    return Routing(
        channels=channels,
        ops=tuple(ops),
        ops_org_ids=ops_org_ids,
        contributors=contributors,
        contributor_default=tuple(default),
    )


def _claim(owner: dict[str, str], name: str, where: str, channels: Mapping[str, Channel]) -> None:
    """Give a channel to one audience; a second owner breaks contributor first."""
    previous = owner.get(name)
    if previous is not None and previous != where:
        what = "an ops channel" if previous == "ops" else f"already used by {previous}"
        raise RoutingError(
            f"{where}.channels: channel {name!r} is {what}; a contributor's channel must be "
            "their own"
        )
    owner[name] = where


def _channel(name: str, raw: Mapping[str, Any]) -> Channel:
    where = f"channels.{name}"
    kind = _string(raw, "kind", where)
    if kind == "webhook":
        _only(raw, where, {"kind", "url", "format", "headers", "timeout"})
        fmt = _string(raw, "format", where, default="json")
        if fmt not in ("json", "slack"):
            raise RoutingError(f"{where}.format must be 'json' or 'slack', not {fmt!r}")
        return WebhookChannel(
            name=name,
            url=_url(raw, where),
            format=fmt,  # type: ignore[arg-type]
            headers=_headers(raw, where),
            timeout=_number(raw, "timeout", where, 10.0),
        )
    if kind == "email":
        _only(
            raw,
            where,
            {
                "kind",
                "host",
                "port",
                "from",
                "to",
                "to_pattern",
                "starttls",
                "user",
                "password",
                "password_env",
                "timeout",
            },
        )
        to = tuple(_strings(raw, "to", f"{where}.to")) if "to" in raw else ()
        to_pattern = _string(raw, "to_pattern", where, default=None)
        if bool(to) == bool(to_pattern):
            raise RoutingError(f"{where}: give exactly one of 'to' (non-empty) or 'to_pattern'")
        if to_pattern is not None and "{contributor_id}" not in to_pattern:
            raise RoutingError(f"{where}.to_pattern must contain {{contributor_id}}")
        port = raw.get("port", 25)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise RoutingError(f"{where}.port must be an integer port number")
        starttls = raw.get("starttls", False)
        if not isinstance(starttls, bool):
            raise RoutingError(f"{where}.starttls must be true or false")
        password = _string(raw, "password", where, default=None)
        password_env = _string(raw, "password_env", where, default=None)
        if password_env is not None:
            if password is not None:
                raise RoutingError(f"{where}: give 'password' or 'password_env', not both")
            password = os.environ.get(password_env)
            if password is None:
                raise RoutingError(f"{where}.password_env: ${password_env} is not set")
        return EmailChannel(
            name=name,
            host=_string(raw, "host", where),
            port=port,
            sender=_string(raw, "from", where),
            to=to,
            to_pattern=to_pattern,
            starttls=starttls,
            user=_string(raw, "user", where, default=None),
            password=password,
            timeout=_number(raw, "timeout", where, 30.0),
        )
    if kind == "alertmanager":
        _only(
            raw,
            where,
            {"kind", "url", "headers", "generator_url", "resend_interval", "timeout"},
        )
        return AlertmanagerChannel(
            name=name,
            url=_url(raw, where).rstrip("/"),
            headers=_headers(raw, where),
            generator_url=_string(raw, "generator_url", where, default=None),
            resend_interval=_number(raw, "resend_interval", where, 60.0),
            timeout=_number(raw, "timeout", where, 10.0),
        )
    raise RoutingError(f"{where}.kind must be 'webhook', 'email' or 'alertmanager', not {kind!r}")


_MISSING: Any = object()


def _only(raw: Mapping[str, Any], where: str, allowed: set[str]) -> None:
    for key in raw:
        if key not in allowed:
            name = f"{where}.{key}" if where else key
            raise RoutingError(
                f"unknown key {name} (expected one of: {', '.join(sorted(allowed))})"
            )


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise RoutingError(f"{where} must be a table")
    return value


def _string(raw: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> Any:
    if key not in raw:
        if default is _MISSING:
            raise RoutingError(f"{where}.{key} is required")
        return default
    value = raw[key]
    if not isinstance(value, str) or not value:
        raise RoutingError(f"{where}.{key} must be a non-empty string")
    return value


def _strings(raw: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = raw.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RoutingError(f"{where} must be a list of non-empty strings")
    return list(value)


def _names(raw: Mapping[str, Any], where: str, channels: Mapping[str, Channel]) -> list[str]:
    if "channels" not in raw:
        return []
    names = _strings(raw, "channels", where)
    for name in names:
        if name not in channels:
            raise RoutingError(f"{where}: no channel named {name!r} in [channels]")
    if len(set(names)) != len(names):
        raise RoutingError(f"{where} names a channel twice")
    return names


def _number(raw: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RoutingError(f"{where}.{key} must be a positive number")
    return float(value)


def _url(raw: Mapping[str, Any], where: str) -> str:
    url: str = _string(raw, "url", where)
    if not url.startswith(("http://", "https://")):
        raise RoutingError(f"{where}.url must start with http:// or https://")
    return url


def _headers(raw: Mapping[str, Any], where: str) -> dict[str, str]:
    headers = _table(raw, "headers", f"{where}.headers")
    for key, value in headers.items():
        if not isinstance(value, str):
            raise RoutingError(f"{where}.headers.{key} must be a string")
    return dict(headers)
