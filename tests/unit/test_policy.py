"""The alert policy: the contract's defaults, the shipped file, overrides and bad files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from projections.patterns.policy import (
    PROJECT_PATTERNS,
    TEAM_PATTERNS,
    Policy,
    PolicyError,
    load_policy,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILE = ROOT / "deploy" / "policy" / "default.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_contracts() -> None:
    p = Policy()
    u = p.utilization_drift
    assert (u.weeks, u.warning_points, u.critical_points, u.over_share) == (4, 10, 20, 1.10)
    m = p.billable_mix_shift
    assert (m.recent_weeks, m.baseline_weeks, m.warning_points) == (2, 8, 15)
    assert m.min_recent_logged_hours == 16
    assert (p.unbilled_cross_team.contributor_hours, p.unbilled_cross_team.team_hours) == (2, 10)
    assert p.capacity_variance.variance_share == 0.20
    w = p.workload_imbalance
    assert (w.max_load, w.min_load, w.min_members) == (1.20, 0.60, 3)
    b = p.budget_burn
    assert (b.warning_share, b.critical_share, b.ahead_points, b.scope_creep_share) == (
        0.80,
        1.00,
        20,
        2.0,
    )
    assert (p.margin_erosion.warning_points, p.margin_erosion.critical_margin) == (10, 0)
    assert (p.blocked_work.warning_hours, p.blocked_work.critical_hours) == (72, 168)
    h = p.handoff_slippage
    assert (h.window_days, h.late_share, h.min_due, h.overdue_hours) == (28, 0.30, 3, 48)
    assert p.decision_gap.days == 90
    assert p.ops_min_team_size == 3
    assert (p.hysteresis.points, p.hysteresis.hours_share) == (2.0, 0.05)


def test_the_shipped_file_lists_every_key_at_its_default() -> None:
    assert load_policy(DEFAULT_FILE) == Policy()
    document = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    policy = Policy()
    for name in Policy.model_fields:
        if name in {"teams", "projects"}:
            continue
        value = getattr(policy, name)
        if isinstance(value, int):
            assert document[name] == value
        else:
            assert set(document[name]) == set(type(value).model_fields), name


def test_no_file_means_the_defaults() -> None:
    assert load_policy(None) == Policy()


def test_team_overrides_change_only_the_keys_they_name(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "[utilization_drift]\ncritical_points = 25\n"
            "[teams.design.utilization_drift]\nwarning_points = 15\n"
            "[teams.design.capacity_variance]\nvariance_share = 0.3\n",
        )
    )
    design = policy.for_team("design")
    assert design.utilization_drift.warning_points == 15
    assert design.utilization_drift.critical_points == 25  # org-wide value kept
    assert design.capacity_variance.variance_share == 0.3
    assert design.workload_imbalance == policy.workload_imbalance
    other = policy.for_team("dev")
    assert other.utilization_drift.warning_points == 10
    assert policy.for_team(None).capacity_variance.variance_share == 0.2


def test_project_overrides(tmp_path: Path) -> None:
    policy = load_policy(
        write(
            tmp_path,
            "[projects.apollo.budget_burn]\nwarning_share = 0.9\n"
            "[projects.apollo.blocked_work]\nwarning_hours = 24\n",
        )
    )
    apollo = policy.for_project("apollo")
    assert (apollo.budget_burn.warning_share, apollo.budget_burn.critical_share) == (0.9, 1.0)
    assert apollo.blocked_work.warning_hours == 24
    assert apollo.margin_erosion == policy.margin_erosion
    assert policy.for_project("zeus").budget_burn.warning_share == 0.8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[teams.design.budget_burn]\nwarning_share = 0.5\n",
            "teams.design.budget_burn: unknown key",
        ),
        (
            "[projects.p1.budget_burn]\nwarning_share = 0\n",
            "projects.p1.budget_burn.warning_share: must be > 0",
        ),
        (
            "[teams.design.utilization_drift]\nwarning_points = 25\n",
            "teams.design.utilization_drift: critical_points must be >= warning_points",
        ),
        ("[blocked_work]\nwarning_hours = -1\n", "blocked_work.warning_hours: must be > 0"),
        ("[blocked_work]\nwarnin_hours = 1\n", "blocked_work.warnin_hours: unknown key"),
        ("[utilization_drift]\nweeks = 4.5\n", "utilization_drift.weeks:"),
        ("[utilization_drift]\nweeks = 0\n", "utilization_drift.weeks: must be >= 1"),
        ('[capacity_variance]\nvariance_share = "0.2"\n', "capacity_variance.variance_share:"),
        ("ops_min_team_size = 0\n", "ops_min_team_size: must be >= 1"),
        ("[decision_gap]\ndays = 90\nextra = 1\n", "decision_gap.extra: unknown key"),
        ("[budget_burn]\nwarning_share = 1.2\n", "critical_share must be >= warning_share"),
        ("[workload_imbalance]\nmin_load = 1.5\n", "min_load must be < max_load"),
        ("color = 'red'\n", "color: unknown key"),
    ],
)
def test_an_invalid_file_names_the_key_and_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.toml")
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(write(tmp_path, "[budget_burn\n"))


def test_override_sections_cover_the_patterns_of_their_audience() -> None:
    assert set(TEAM_PATTERNS) == {
        "utilization_drift",
        "billable_mix_shift",
        "unbilled_cross_team",
        "capacity_variance",
        "workload_imbalance",
    }
    assert set(PROJECT_PATTERNS) == {"budget_burn", "margin_erosion", "blocked_work"}
