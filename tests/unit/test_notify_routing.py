"""The routing file: its format, its errors, and contributor first in routing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from sinks.notify import (
    AlertmanagerChannel,
    EmailChannel,
    RoutingError,
    WebhookChannel,
    load_routing,
    parse_routing,
)
from tests.notify_support import alert, ops_alert

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "routing.example.toml"

ROUTING = """
[channels.ops-slack]
kind = "webhook"
url = "http://127.0.0.1:1/slack"
format = "slack"

[channels.ops-am]
kind = "alertmanager"
url = "http://127.0.0.1:9093/"

[channels.ana-mail]
kind = "email"
host = "127.0.0.1"
port = 2525
from = "worksignals@example.com"
to = ["ana@example.com"]

[channels.ben-hook]
kind = "webhook"
url = "http://127.0.0.1:1/ben"

[ops]
channels = ["ops-slack", "ops-am"]

[contributors.ana]
channels = ["ana-mail"]

[contributors.ben]
channels = ["ben-hook"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.toml"
    path.write_text(text)
    return path


def test_load_routing_reads_channels_and_audiences(tmp_path: Path) -> None:
    routing = load_routing(write(tmp_path, ROUTING))
    assert routing.ops == ("ops-slack", "ops-am")
    assert routing.channels["ops-slack"] == WebhookChannel(
        name="ops-slack", url="http://127.0.0.1:1/slack", format="slack"
    )
    am = routing.channels["ops-am"]
    assert isinstance(am, AlertmanagerChannel) and am.url == "http://127.0.0.1:9093"
    mail = routing.channels["ana-mail"]
    assert isinstance(mail, EmailChannel)
    assert (mail.host, mail.port, mail.sender, mail.to) == (
        "127.0.0.1",
        2525,
        "worksignals@example.com",
        ("ana@example.com",),
    )
    assert not mail.starttls and mail.user is None


def test_the_example_routing_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKSIGNALS_SMTP_PASSWORD", "secret")
    routing = load_routing(EXAMPLE)
    assert routing.ops and routing.contributors and routing.contributor_default
    mail = routing.channels["ana-mail"]
    assert isinstance(mail, EmailChannel) and mail.password == "secret"
    assert "secret" not in repr(mail)


# -- contributor first ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "channels"),
    [
        (ops_alert(), ["ops-slack", "ops-am"]),
        (alert(subject_id="ana"), ["ana-mail"]),
        (alert(subject_id="ben"), ["ben-hook"]),
        (alert(subject_id="carla"), []),  # no route of her own: not sent, not to ops
        (alert(subject_id="ana", subject_type="team"), []),
    ],
)
def test_channels_for_routes_each_audience_to_its_own(
    tmp_path: Path, document: dict[str, Any], channels: list[str]
) -> None:
    routing = load_routing(write(tmp_path, ROUTING))
    assert routing.channels_for(document) == channels


def test_a_contributor_without_a_route_is_logged_and_never_sent_to_ops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    routing = load_routing(write(tmp_path, ROUTING))
    with caplog.at_level(logging.INFO, logger="sinks.notify"):
        assert routing.channels_for(alert(subject_id="carla", alert_id="x1")) == []
    assert "carla" in caplog.text and "x1" in caplog.text


def test_an_unknown_audience_is_an_error(tmp_path: Path) -> None:
    routing = load_routing(write(tmp_path, ROUTING))
    with pytest.raises(ValueError, match="audience"):
        routing.channels_for(alert(audience="everyone"))


def test_a_channel_of_ops_and_of_a_contributor_is_rejected(tmp_path: Path) -> None:
    text = ROUTING.replace('[contributors.ben]\nchannels = ["ben-hook"]', "") + (
        '\n[contributors.ben]\nchannels = ["ops-slack"]\n'
    )
    with pytest.raises(RoutingError, match=r"contributors\.ben\.channels.*'ops-slack'.*ops"):
        load_routing(write(tmp_path, text))


def test_a_channel_shared_by_two_contributors_is_rejected(tmp_path: Path) -> None:
    text = ROUTING.replace('channels = ["ben-hook"]', 'channels = ["ana-mail"]')
    with pytest.raises(RoutingError, match=r"contributors\.ben\.channels.*contributors\.ana"):
        load_routing(write(tmp_path, text))


def test_contributor_routes_can_be_scoped_to_an_org() -> None:
    routing = parse_routing(
        {
            "channels": {
                "ana-acme": {"kind": "webhook", "url": "http://h/a"},
                "ana-globex": {"kind": "webhook", "url": "http://h/b"},
            },
            "contributors": {
                "ana-acme": {"contributor_id": "ana", "org_id": "acme", "channels": ["ana-acme"]},
                "ana-globex": {
                    "contributor_id": "ana",
                    "org_id": "globex",
                    "channels": ["ana-globex"],
                },
            },
        }
    )
    assert routing.channels_for(alert(org_id="acme")) == ["ana-acme"]
    assert routing.channels_for(alert(org_id="globex")) == ["ana-globex"]
    assert routing.channels_for(alert(org_id="initech")) == []


def test_ops_routes_can_be_limited_to_orgs() -> None:
    routing = parse_routing(
        {
            "channels": {"ops": {"kind": "webhook", "url": "http://h/ops"}},
            "ops": {"channels": ["ops"], "org_ids": ["acme"]},
        }
    )
    assert routing.channels_for(ops_alert(org_id="acme")) == ["ops"]
    assert routing.channels_for(ops_alert(org_id="globex")) == []


def test_the_contributor_default_mails_each_contributor_own_address() -> None:
    routing = parse_routing(
        {
            "channels": {
                "ops": {"kind": "webhook", "url": "http://h/ops"},
                "mail": {
                    "kind": "email",
                    "host": "smtp",
                    "from": "ws@example.com",
                    "to_pattern": "{contributor_id}@{org_id}.example.com",
                },
            },
            "ops": {"channels": ["ops"]},
            "contributor_default": {"channels": ["mail"]},
        }
    )
    carla = alert(subject_id="carla")
    assert routing.channels_for(carla) == ["mail"]
    mail = routing.channels["mail"]
    assert isinstance(mail, EmailChannel)
    assert mail.recipients(carla) == ["carla@acme.example.com"]
    assert routing.channels_for(ops_alert()) == ["ops"]


# -- invalid files name the key ------------------------------------------------------------

WEBHOOK = {"kind": "webhook", "url": "http://h/x"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"channel": {}}, r"unknown key channel"),
        ({"channels": {"x": {"url": "http://h"}}}, r"channels\.x\.kind is required"),
        ({"channels": {"x": {"kind": "pager"}}}, r"channels\.x\.kind must be"),
        ({"channels": {"x": {"kind": "webhook"}}}, r"channels\.x\.url is required"),
        ({"channels": {"x": {"kind": "webhook", "url": "ftp://h"}}}, r"channels\.x\.url"),
        ({"channels": {"x": {**WEBHOOK, "format": "teams"}}}, r"channels\.x\.format"),
        ({"channels": {"x": {**WEBHOOK, "verb": "PUT"}}}, r"unknown key channels\.x\.verb"),
        ({"channels": {"x": {**WEBHOOK, "headers": {"A": 1}}}}, r"channels\.x\.headers\.A"),
        (
            {"channels": {"m": {"kind": "email", "host": "h", "from": "f"}}},
            r"channels\.m: give exactly one of 'to'",
        ),
        (
            {
                "channels": {
                    "m": {"kind": "email", "host": "h", "from": "f", "to": ["a"], "port": "25"}
                }
            },
            r"channels\.m\.port",
        ),
        (
            {"channels": {"m": {"kind": "email", "host": "h", "to": ["a"]}}},
            r"channels\.m\.from is required",
        ),
        (
            {
                "channels": {
                    "m": {
                        "kind": "email",
                        "host": "h",
                        "from": "f",
                        "to": ["a"],
                        "password_env": "WORKSIGNALS_TEST_UNSET_PASSWORD",
                    }
                }
            },
            r"channels\.m\.password_env",
        ),
        ({"channels": {"x": WEBHOOK}, "ops": {"channels": ["y"]}}, r"ops\.channels.*'y'"),
        ({"channels": {"x": WEBHOOK}, "ops": {"channels": "x"}}, r"ops\.channels must be a list"),
        ({"channels": {"x": WEBHOOK}, "ops": {"channels": ["x", "x"]}}, r"ops\.channels.*twice"),
        ({"contributors": {"ana": {"channels": ["nope"]}}}, r"contributors\.ana\.channels"),
        ({"contributors": {"ana": ["x"]}}, r"contributors\.ana must be a table"),
        (
            {"channels": {"x": WEBHOOK}, "contributor_default": {"channels": ["x"]}},
            r"contributor_default\.channels: 'x' must be an email channel with to_pattern",
        ),
        (
            {
                "channels": {
                    "m": {
                        "kind": "email",
                        "host": "h",
                        "from": "f",
                        "to_pattern": "{contributor_id}@x",
                    }
                },
                "ops": {"channels": ["m"]},
            },
            r"channels\.m\.to_pattern: only the contributor_default",
        ),
        ({"channels": {"x": {**WEBHOOK, "timeout": 0}}}, r"channels\.x\.timeout"),
    ],
)
def test_invalid_documents_name_the_key(document: dict[str, Any], message: str) -> None:
    with pytest.raises(RoutingError, match=message):
        parse_routing(document)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[channels.x\nkind=")
    with pytest.raises(RoutingError, match=r"routing\.toml is not valid TOML"):
        load_routing(path)
    with pytest.raises(RoutingError, match="cannot read"):
        load_routing(tmp_path / "missing.toml")
