"""What each channel kind sends for an alert: pure functions, no I/O, time passed in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

SEVERITIES = ("warning", "critical")


def headline(alert: Mapping[str, Any]) -> str:
    """`[CRITICAL] budget_burn: project p1`, or `[RESOLVED] ...` once resolved."""
    state = "RESOLVED" if alert["status"] == "resolved" else str(alert["severity"]).upper()
    return f"[{state}] {alert['pattern']}: {alert['subject_type']} {alert['subject_id']}"


def numbers(alert: Mapping[str, Any]) -> str:
    """`observed 0.52 ratio, threshold 0.65, baseline 0.75, 2026-03-02..2026-03-29`."""
    unit = f" {alert['unit']}" if alert.get("unit") else ""
    text = f"observed {alert['observed']}{unit}, threshold {alert['threshold']}"
    if alert.get("baseline") is not None:
        text += f", baseline {alert['baseline']}"
    return f"{text}, {alert['period_start']}..{alert['period_end']}"


def slack_payload(alert: Mapping[str, Any]) -> dict[str, str]:
    """A Slack-compatible incoming webhook body: `{"text": ...}` in Slack's mrkdwn."""
    icon = ":white_check_mark:" if alert["status"] == "resolved" else ":rotating_light:"
    lines = [
        f"{icon} *{headline(alert)}*",
        str(alert["summary"]),
        f"_{numbers(alert)}_",
        f"Suggested action: `{alert['suggested_action']}`",
    ]
    if alert["status"] == "resolved":
        lines.append(f"Resolved at {alert['resolved_at']}")
    return {"text": "\n".join(lines)}


def email_message(alert: Mapping[str, Any], *, sender: str, recipients: list[str]) -> EmailMessage:
    """A plain text mail: headline as subject; summary, numbers and evidence as body."""
    message = EmailMessage()
    message["Subject"] = f"worksignals {headline(alert)}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    resolved = alert["status"] == "resolved"
    lines = [
        (f"Resolved: {alert['summary']}" if resolved else str(alert["summary"])),
        "",
        f"Pattern:          {alert['pattern']}",
        f"About:            {alert['subject_type']} {alert['subject_id']} (org {alert['org_id']})",
        f"Status:           {alert['status']}, severity {alert['severity']}",
        f"Numbers:          {numbers(alert)}",
        f"Suggested action: {alert['suggested_action']}",
        f"First fired at:   {alert['first_fired_at']}",
    ]
    if resolved:
        lines.append(f"Resolved at:      {alert['resolved_at']}")
    lines += [
        "",
        "Evidence:",
        json.dumps(alert.get("evidence") or {}, indent=2, sort_keys=True, default=str),
        "",
        f"Alert id: {alert['alert_id']}",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def alertmanager_labels(alert: Mapping[str, Any], severity: str) -> dict[str, str]:
    """The labels that identify the alert in Alertmanager (its fingerprint)."""
    return {
        "alertname": str(alert["pattern"]),
        "severity": severity,
        "org_id": str(alert["org_id"]),
        "subject_type": str(alert["subject_type"]),
        "subject_id": str(alert["subject_id"]),
        "audience": str(alert["audience"]),
        "alert_id": str(alert["alert_id"]),
    }


def alertmanager_payload(
    alert: Mapping[str, Any],
    *,
    now: datetime,
    valid_for: timedelta,
    generator_url: str | None = None,
) -> list[dict[str, Any]]:
    """The body of `POST /api/v2/alerts` for an alert's current state.

    startsAt is first_fired_at. A firing alert ends at now + valid_for (the sender posts it
    again before then); a resolved one ends at resolved_at, which resolves it. Severity is
    a label, so a severity change is another Alertmanager alert: the other severity is
    posted as ended, so only the current one stays active.

    Event time ahead of the wall clock (a replay of future-dated events) is clamped to
    now, else Alertmanager would keep a resolved alert active until then.
    """
    starts = _parse(alert["first_fired_at"])
    annotations = {
        "summary": str(alert["summary"]),
        "suggested_action": str(alert["suggested_action"]),
        "evidence": json.dumps(alert.get("evidence") or {}, sort_keys=True, default=str),
    }
    if alert["status"] == "resolved":
        ends = min(_parse(alert.get("resolved_at") or alert["updated_at"]), now)
    else:
        ends = max(now, starts) + valid_for
    starts = min(starts, ends)
    ended = min(_parse(alert["updated_at"]), now)
    posts = []
    for severity in SEVERITIES:
        current = severity == alert["severity"]
        post: dict[str, Any] = {
            "labels": alertmanager_labels(alert, severity),
            "annotations": annotations,
            "startsAt": _iso(starts),
            "endsAt": _iso(ends if current else max(ended, starts)),
        }
        if generator_url:
            post["generatorURL"] = generator_url
        posts.append(post)
    return posts


def _parse(value: Any) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed


def _iso(value: datetime) -> str:
    return value.isoformat()
