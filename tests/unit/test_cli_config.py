"""A bad policy or routing file stops `up` and `worker` before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams import cli


@pytest.mark.parametrize("verb", ["up", "worker"])
def test_an_invalid_policy_names_the_file_and_key(
    verb: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[projects.p1.budget_burn]\nwarning_share = -1\n", encoding="utf-8")
    monkeypatch.setenv("WORKSIGNALS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WORKSIGNALS_POLICY_FILE", str(policy))
    assert cli.main([verb]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "projects.p1.budget_burn.warning_share" in err
    assert "policy.toml" in err
    assert not (tmp_path / "state").exists(), "nothing was started"


def test_a_routing_file_sharing_a_channel_between_ops_and_a_contributor_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    routing = tmp_path / "routing.toml"
    routing.write_text(
        '[channels.hook]\nkind = "webhook"\nurl = "http://127.0.0.1:9/x"\n'
        '[ops]\nchannels = ["hook"]\n[contributors.ana]\nchannels = ["hook"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("WORKSIGNALS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WORKSIGNALS_ROUTING_FILE", str(routing))
    assert cli.main(["up"]) == 2
    assert "hook" in capsys.readouterr().err
