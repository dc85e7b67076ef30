"""A small, deterministic sample of an agency's events for the demo, with a few bad lines."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import orjson

TEAMS = {"design": ["ana", "ben", "cleo"], "engineering": ["dev", "eli", "fay"]}
PROJECTS = [
    ("web-relaunch", "time_and_materials", "design", {"bill_rate": 120.0}),
    ("data-platform", "fixed_fee", "engineering", {"fixed_fee": 60000.0}),
    ("internal-tools", "non_billable", "engineering", {}),
]
MALFORMED = [
    b'{"event_id": "broken-1", "type": "time.logged", ',
    b'["not", "an", "object"]',
    b'{"event_id": "broken-2", "type": "time.teleported", "occurred_at": "2026-11-02T09:00:00Z"}',
    b'{"event_id": "broken-3", "type": "time.logged", "occurred_at": "2026-11-02T09:00:00",'
    b' "entry_id": "x", "contributor_id": "ana", "project_id": "web-relaunch",'
    b' "work_date": "2026-11-02", "minutes": 60, "billable": true}',
    b'{"event_id": "broken-4", "type": "time.logged", "occurred_at": "2026-11-02T09:00:00Z",'
    b' "entry_id": "y", "contributor_id": "ana", "project_id": "web-relaunch",'
    b' "work_date": "2026-11-02", "minutes": 5000, "billable": true}',
]


def sample_lines(
    start: dt.date = dt.date(2026, 11, 2), weeks: int = 2, seed: int = 7
) -> Iterator[bytes]:
    """JSON lines: profiles, plans, daily time entries with amendments and a deletion,
    a block and a handoff, clock ticks, a decision, and the malformed lines of MALFORMED."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    counter = iter(range(1, 1_000_000))

    def event(kind: str, at: dt.datetime, /, **fields: Any) -> bytes:
        body = {
            "event_id": f"demo-{next(counter):05d}",
            "type": kind,
            "occurred_at": at.isoformat().replace("+00:00", "Z"),
            "org_id": "acme",
            "source": "demo",
            **fields,
        }
        return orjson.dumps(body)

    t0 = dt.datetime.combine(start, dt.time(8, 0), tzinfo=dt.UTC)
    for team, members in TEAMS.items():
        for member in members:
            yield event(
                "contributor.profiled",
                t0,
                contributor_id=member,
                team_id=team,
                weekly_capacity_hours=40,
                target_utilization=0.75,
                cost_rate=55.0 if team == "design" else 70.0,
                effective_from=start.isoformat(),
            )
    for project, billing, team, money in PROJECTS:
        yield event(
            "project.planned",
            t0,
            project_id=project,
            team_id=team,
            billing=billing,
            planned_hours=400,
            start_date=start.isoformat(),
            end_date=(start + dt.timedelta(weeks=8)).isoformat(),
            **money,
        )
    yield event(
        "contributor.time_off",
        t0,
        contributor_id="cleo",
        date=(start + dt.timedelta(days=3)).isoformat(),
        hours=8,
    )

    entry = 0
    for day_index in range(weeks * 7):
        day = start + dt.timedelta(days=day_index)
        if day.weekday() >= 5:
            continue
        at = dt.datetime.combine(day, dt.time(18, 0), tzinfo=dt.UTC)
        for team, members in TEAMS.items():
            for member in members:
                if member == "cleo" and day_index == 3:
                    continue  # her day off
                # A 6 to 8.5 hour day in half hours, split over two or three projects.
                halves = rng.randint(12, 17)
                chosen = rng.sample(PROJECTS, rng.randint(2, 3))
                cuts = sorted(rng.sample(range(1, halves), len(chosen) - 1))
                shares = [b - a for a, b in zip([0, *cuts], [*cuts, halves], strict=True)]
                for (project, billing, owner, _money), share in zip(chosen, shares, strict=True):
                    entry += 1

                    fields = {
                        "entry_id": f"e{entry}",
                        "revision": 1,
                        "contributor_id": member,
                        "project_id": project,
                        "work_date": day.isoformat(),
                        "minutes": 30 * share,
                        "billable": billing != "non_billable",
                        "for_team_id": owner if owner != team else None,
                    }
                    yield event("time.logged", at, **fields)
                    if rng.random() < 0.05:
                        amended = {**fields, "revision": 2, "minutes": 30 * share + 30}
                        yield event("time.logged", at + dt.timedelta(hours=1), **amended)
                    elif rng.random() < 0.02:
                        yield event(
                            "time.deleted",
                            at + dt.timedelta(hours=2),
                            entry_id=f"e{entry}",
                            revision=2,
                        )
        yield event("clock.ticked", at + dt.timedelta(hours=5))
    yield event(
        "task.blocked",
        t0 + dt.timedelta(days=2),
        task_id="t-42",
        project_id="data-platform",
        reason="waiting for client credentials",
        blocked_by_team_id="design",
    )
    yield event(
        "handoff.requested",
        t0 + dt.timedelta(days=1),
        handoff_id="h-1",
        project_id="web-relaunch",
        from_team_id="design",
        to_team_id="engineering",
        due_at=(t0 + dt.timedelta(days=4)).isoformat(),
    )
    yield event("handoff.accepted", t0 + dt.timedelta(days=2), handoff_id="h-1")
    yield event(
        "decision.recorded",
        t0 + dt.timedelta(days=4, hours=8),
        decision_id="d-1",
        kind="rebalance",
        note="Weekly review: move review work from design to engineering.",
        decided_by="ops lead",
    )
    yield from MALFORMED
