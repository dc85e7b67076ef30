"""`worksignals decide`: a valid contract event with fresh ids, the contract's kinds, and the
command line's checks."""

from __future__ import annotations

import argparse
import datetime as dt

import orjson
import pytest

from events.models import EVENT_ADAPTER, DecisionRecorded
from streams.decide import KINDS, DecisionError, add_decide_parser, cmd_decide, decision_event

AT = dt.datetime(2026, 4, 6, 9, 30, tzinfo=dt.UTC)


def test_the_event_is_a_valid_decision_recorded() -> None:
    document = decision_event(
        org_id="acme",
        kind="rescope",
        alert_ids=["budget_burn-1", "handoff_slippage-2", "budget_burn-1"],
        decided_by="ops lead",
        occurred_at=AT,
        note="Phase 2 takes the search feature.",
    )
    event = EVENT_ADAPTER.validate_json(orjson.dumps(document))
    assert isinstance(event, DecisionRecorded)
    assert (event.org_id, event.kind, event.decided_by) == ("acme", "rescope", "ops lead")
    assert event.alert_ids == ["budget_burn-1", "handoff_slippage-2"]
    assert event.occurred_at == AT
    assert document["occurred_at"] == "2026-04-06T09:30:00Z"
    assert event.note == "Phase 2 takes the search feature."


def test_each_decision_gets_fresh_ids() -> None:
    made = [
        decision_event(org_id="acme", kind="other", alert_ids=[], decided_by="x", occurred_at=AT)
        for _ in range(3)
    ]
    assert len({d["event_id"] for d in made}) == 3
    assert len({d["decision_id"] for d in made}) == 3
    assert "note" not in made[0]


def test_the_kinds_are_the_contracts() -> None:
    assert set(KINDS) == {
        "rescope",
        "rebalance",
        "escalate",
        "renegotiate",
        "promotion",
        "pricing",
        "other",
    }


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"kind": "fire-everyone"}, "kind"),
        ({"decided_by": ""}, "decided_by"),
        ({"note": "x" * 2001}, "note"),
        ({"org_id": "no spaces"}, "org_id"),
        ({"occurred_at": dt.datetime(2026, 4, 6, 9, 30)}, "UTC offset"),
    ],
)
def test_an_invalid_decision_names_the_problem(fields: dict, problem: str) -> None:
    base = {
        "org_id": "acme",
        "kind": "rescope",
        "alert_ids": [],
        "decided_by": "ops lead",
        "occurred_at": AT,
    }
    with pytest.raises(DecisionError, match=problem):
        decision_event(**{**base, **fields})


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="worksignals")
    add_decide_parser(top.add_subparsers(dest="verb", required=True))
    return top


def test_the_command_line() -> None:
    args = parser().parse_args(
        [
            "decide",
            "--kind",
            "escalate",
            "--alert",
            "a1",
            "--alert",
            "a2",
            "--note",
            "n",
            "--by",
            "ops lead",
            "--org",
            "acme",
            "--at",
            "2026-04-06T09:30:00Z",
        ]
    )
    assert args.handler is cmd_decide
    assert (args.kind, args.alerts, args.note, args.decided_by, args.org) == (
        "escalate",
        ["a1", "a2"],
        "n",
        "ops lead",
        "acme",
    )
    assert args.at == AT


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "--kind", "nonsense", "--by", "x"],
        ["decide", "--kind", "rescope"],
        ["decide", "--kind", "rescope", "--by", "x", "--at", "2026-04-06T09:30:00"],
        ["decide", "--kind", "rescope", "--by", "x", "--at", "yesterday"],
    ],
)
def test_the_command_line_refuses(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        parser().parse_args(argv)
    assert stop.value.code == 2
