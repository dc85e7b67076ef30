"""The command line against a running worker: query, alerts, status, migrate, publish --wait."""

from __future__ import annotations

import json

import httpx
import pytest

from streams import cli
from streams.localstack import LocalWorker, settings_env
from streams.sample import sample_lines
from streams.settings import Settings
from tests.integration.conftest import WorkerFactory

pytestmark = pytest.mark.integration


@pytest.fixture
def running(start_worker: WorkerFactory, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A worker, with the CLI configured (through WORKSIGNALS_*) to talk to it."""
    settings = start_worker()
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return settings


def test_publish_wait_prints_counts_and_query_reads_through_the_worker(
    running: Settings, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = tmp_path / "events.jsonl"
    sample.write_bytes(b"\n".join(sample_lines()) + b"\n\n")  # a blank line is skipped
    assert cli.main(["publish", "--wait", str(sample)]) == 0
    out = capsys.readouterr().out
    published = len(list(sample_lines()))
    assert f"published {published} event(s)" in out
    assert f"accepted {published - 5} ({published - 5} new, 0 already stored), rejected 5" in out
    assert "rejected not_an_object: 1" in out
    scrape = httpx.get(f"{running.worker_url}/metrics").text
    assert 'worksignals_events_rejected_total{reason="not_an_object"} 1.0' in scrape
    assert f"worksignals_events_consumed_total {float(published)}" in scrape

    # The worker holds the embedded database; queries go through its endpoint.
    assert (
        cli.main(
            [
                "query",
                "--json",
                "SELECT contributor_id, sum(logged_minutes) AS m "
                "FROM contributor_daily FINAL GROUP BY contributor_id "
                "ORDER BY contributor_id",
            ]
        )
        == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["contributor_id"] for r in rows] == ["ana", "ben", "cleo", "dev", "eli", "fay"]
    assert all(r["m"] > 0 for r in rows)


def test_query_is_read_only(
    running: Settings, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["query", "DROP TABLE events"]) == 1
    assert "readonly" in capsys.readouterr().err.lower()
    assert cli.main(["query", "--json", "SELECT count() AS n FROM events"]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": 0}
    # A refused query does not stop the worker from writing.
    sample = tmp_path / "events.jsonl"
    sample.write_bytes(b"\n".join(sample_lines()))
    assert cli.main(["publish", "--wait", str(sample)]) == 0
    capsys.readouterr()
    assert cli.main(["query", "--json", "SELECT count() > 100 AS stored FROM events"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stored": 1}


def test_alerts_lists_nothing_yet(running: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["alerts", "--status", "all"]) == 0
    assert "no alerts" in capsys.readouterr().out
    assert cli.main(["alerts", "--json", "--audience", "ops"]) == 0
    assert capsys.readouterr().out == ""


def test_status_and_migrate_follow_the_worker(
    running: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["status", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["broker"]["up"] and report["worker"]["up"]
    assert set(report["lag"]) == {running.topic_events, running.topic_ingested, "dlq_records"}
    assert cli.main(["migrate"]) == 0
    assert "holds the embedded database" in capsys.readouterr().out

    assert LocalWorker(running).stop()
    assert cli.main(["status", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["worker"]["up"] is False
    # With the worker gone, the CLI opens the embedded database itself.
    assert cli.main(["migrate"]) == 0
    assert "applied 0 migration(s)" in capsys.readouterr().out
    assert cli.main(["query", "--json", "SELECT count() AS n FROM rejected_events"]) == 0
    assert json.loads(capsys.readouterr().out) == {"n": 0}
