"""What each channel kind sends: Alertmanager posts, Slack text, email content."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sinks.notify.payloads import alertmanager_payload, email_message, slack_payload
from tests.notify_support import alert, ops_alert, resolved

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
VALID = timedelta(minutes=4)


def by_severity(posts: list[dict]) -> dict[str, dict]:
    return {post["labels"]["severity"]: post for post in posts}


def test_alertmanager_labels_and_annotations() -> None:
    document = ops_alert()
    posts = by_severity(alertmanager_payload(document, now=NOW, valid_for=VALID))
    critical = posts["critical"]
    assert critical["labels"] == {
        "alertname": "budget_burn",
        "severity": "critical",
        "org_id": "acme",
        "subject_type": "project",
        "subject_id": "p1",
        "audience": "ops",
        "alert_id": "a-budget-p1-1",
    }
    assert critical["annotations"]["summary"] == document["summary"]
    assert critical["annotations"]["suggested_action"] == "rescope"
    assert json.loads(critical["annotations"]["evidence"]) == document["evidence"]
    assert "generatorURL" not in critical


def test_a_firing_alert_starts_at_first_fired_at_and_stays_valid_past_now() -> None:
    posts = by_severity(alertmanager_payload(ops_alert(), now=NOW, valid_for=VALID))
    critical = posts["critical"]
    assert critical["startsAt"] == "2026-11-02T09:00:00+00:00"
    assert datetime.fromisoformat(critical["endsAt"]) == NOW + VALID
    # the other severity (a warning before an escalation) is ended, so only one is active
    assert datetime.fromisoformat(posts["warning"]["endsAt"]) <= NOW


def test_a_resolved_alert_ends_at_resolved_at() -> None:
    posts = alertmanager_payload(
        resolved(ops_alert(), at="2026-11-03T08:00:00+00:00"), now=NOW, valid_for=VALID
    )
    assert {post["endsAt"] for post in posts} == {"2026-11-03T08:00:00+00:00"}
    assert {post["startsAt"] for post in posts} == {"2026-11-02T09:00:00+00:00"}


def test_event_time_ahead_of_the_wall_clock_is_clamped_to_now() -> None:
    future = "2027-01-04T00:00:00+00:00"
    posts = alertmanager_payload(
        resolved(ops_alert(first_fired_at=future), at="2027-01-05T00:00:00+00:00"),
        now=NOW,
        valid_for=VALID,
    )
    for post in posts:
        assert datetime.fromisoformat(post["endsAt"]) == NOW
        assert datetime.fromisoformat(post["startsAt"]) <= NOW


def test_generator_url_is_passed_when_configured() -> None:
    posts = alertmanager_payload(
        ops_alert(), now=NOW, valid_for=VALID, generator_url="http://ws.example.com/alerts"
    )
    assert {post["generatorURL"] for post in posts} == {"http://ws.example.com/alerts"}


def test_slack_text_of_a_firing_and_a_resolved_alert() -> None:
    firing = slack_payload(ops_alert())
    assert list(firing) == ["text"]
    text = firing["text"]
    assert text.startswith(":rotating_light: *[CRITICAL] budget_burn: project p1*")
    assert "Project p1 has consumed 104% of its planned hours." in text
    assert "observed 1.04 ratio, threshold 1.0, 2026-10-05..2026-11-01" in text
    assert "`rescope`" in text
    done = slack_payload(resolved(ops_alert()))["text"]
    assert done.startswith(":white_check_mark: *[RESOLVED] budget_burn: project p1*")
    assert "Resolved at 2026-11-09T09:00:00+00:00" in done


def test_email_of_a_contributor_alert() -> None:
    message = email_message(alert(), sender="ws@example.com", recipients=["ana@example.com"])
    assert message["Subject"] == "worksignals [WARNING] utilization_drift: contributor ana"
    assert message["From"] == "ws@example.com"
    assert message["To"] == "ana@example.com"
    body = message.get_content()
    assert body.startswith("Your billable utilization over 4 weeks is 52%")
    assert "observed 0.52 ratio, threshold 0.65, baseline 0.75, 2026-10-05..2026-11-01" in body
    assert "Suggested action: self_review" in body
    assert '"billable_hours": 62.4' in body
    assert "a-utilization-ana-1" in body
    assert "Resolved" not in body


def test_a_resolved_email_says_resolved() -> None:
    message = email_message(resolved(alert()), sender="ws@example.com", recipients=["a@x"])
    assert message["Subject"] == "worksignals [RESOLVED] utilization_drift: contributor ana"
    body = message.get_content()
    assert body.startswith("Resolved: Your billable utilization")
    assert "Resolved at:      2026-11-09T09:00:00+00:00" in body
