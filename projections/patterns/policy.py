"""The alert policy: every threshold and window of the patterns, with overrides.

Defaults are the contract's (section 2). A policy file (TOML) may change any of them for
the whole org, and per team (`[teams.TEAM.PATTERN]`, for the contributor and team patterns:
a contributor's thresholds are those of their team) or per project
(`[projects.PROJECT.PATTERN]`, for the project patterns). An override names only the keys
it changes; the others keep the org-wide value.

Units: `*_points` are percentage points (10 = 10 points), `*_share` and `*_load` are
fractions (0.80 = 80%), `*_hours` hours, `*_days` days, `*_weeks` ISO weeks.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    create_model,
    model_validator,
)

_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=True)

Positive = Annotated[float, Field(gt=0)]
Points = Annotated[float, Field(gt=0, le=100)]
Weeks = Annotated[int, Field(ge=1, le=52)]


class PolicyError(ValueError):
    """An invalid policy file: the message names the file and the full key path."""


class _Section(BaseModel):
    model_config = _CONFIG


class UtilizationDrift(_Section):
    """Billable / available hours over trailing complete weeks against the target."""

    weeks: Weeks = 4
    warning_points: Points = 10.0
    critical_points: Points = 20.0
    over_share: Positive = 1.10
    """Utilization at or above this fires too (over-utilization)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.critical_points < self.warning_points:
            raise ValueError("critical_points must be >= warning_points")
        return self


class BillableMixShift(_Section):
    """Billable share of logged hours, recent complete weeks against the weeks before."""

    recent_weeks: Weeks = 2
    baseline_weeks: Weeks = 8
    warning_points: Points = 15.0
    min_recent_logged_hours: Annotated[float, Field(ge=0)] = 16.0


class UnbilledCrossTeam(_Section):
    """Non-billable hours for other teams in the last complete week."""

    contributor_hours: Positive = 2.0
    team_hours: Positive = 10.0


class CapacityVariance(_Section):
    """A team's logged hours against its available hours in the last complete week."""

    variance_share: Positive = 0.20


class WorkloadImbalance(_Section):
    """Most and least loaded members of a team in the last complete week."""

    max_load: Positive = 1.20
    min_load: Positive = 0.60
    min_members: Annotated[int, Field(ge=2)] = 3
    """Members with a profile for the team and available hours that week."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_load >= self.max_load:
            raise ValueError("min_load must be < max_load")
        return self


class BudgetBurn(_Section):
    """Consumed hours against planned hours and against the project's elapsed dates."""

    warning_share: Positive = 0.80
    critical_share: Positive = 1.00
    ahead_points: Points = 20.0
    scope_creep_share: Positive = 2.00

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.critical_share < self.warning_share:
            raise ValueError("critical_share must be >= warning_share")
        return self


class MarginErosion(_Section):
    """Margin to date against the plan's target margin."""

    warning_points: Points = 10.0
    critical_margin: Annotated[float, Field(ge=-1, lt=1)] = 0.0
    """Margin strictly below this is critical."""


class BlockedWork(_Section):
    """The longest open block among a project's tasks."""

    warning_hours: Positive = 72.0
    critical_hours: Positive = 168.0

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.critical_hours < self.warning_hours:
            raise ValueError("critical_hours must be >= warning_hours")
        return self


class HandoffSlippage(_Section):
    """Late handoffs on a route over trailing days, and open handoffs past due."""

    window_days: Annotated[int, Field(ge=1, le=366)] = 28
    late_share: Annotated[float, Field(gt=0, le=1)] = 0.30
    min_due: Annotated[int, Field(ge=1)] = 3
    overdue_hours: Positive = 48.0


class DecisionGap(_Section):
    """Days after the org's first event by which some decision must name an alert."""

    days: Annotated[int, Field(ge=1)] = 90


class Hysteresis(_Section):
    """How far a firing alert's thresholds relax towards normal before it steps down.

    Thresholds on shares (percentages, percentage points, loads, margins) relax by
    `points` percentage points; thresholds on hours by `hours_share` of the threshold.
    Counts and days have no band.
    """

    points: Annotated[float, Field(ge=0, le=20)] = 2.0
    hours_share: Annotated[float, Field(ge=0, lt=1)] = 0.05

    @property
    def share_band(self) -> float:
        """The points band as a fraction (2 points = 0.02)."""
        return self.points / 100


def _partial(model: type[_Section]) -> type[BaseModel]:
    """The section with every key optional and no default: an override names only the keys
    it changes. Cross-key checks run on the merged section (see `Policy`)."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[name] = (annotation | None, None)
    return create_model(f"{model.__name__}Override", __config__=_CONFIG, **fields)


if TYPE_CHECKING:
    UtilizationDriftOverride = UtilizationDrift
    BillableMixShiftOverride = BillableMixShift
    UnbilledCrossTeamOverride = UnbilledCrossTeam
    CapacityVarianceOverride = CapacityVariance
    WorkloadImbalanceOverride = WorkloadImbalance
    BudgetBurnOverride = BudgetBurn
    MarginErosionOverride = MarginErosion
    BlockedWorkOverride = BlockedWork
else:
    UtilizationDriftOverride = _partial(UtilizationDrift)
    BillableMixShiftOverride = _partial(BillableMixShift)
    UnbilledCrossTeamOverride = _partial(UnbilledCrossTeam)
    CapacityVarianceOverride = _partial(CapacityVariance)
    WorkloadImbalanceOverride = _partial(WorkloadImbalance)
    BudgetBurnOverride = _partial(BudgetBurn)
    MarginErosionOverride = _partial(MarginErosion)
    BlockedWorkOverride = _partial(BlockedWork)


class TeamOverrides(BaseModel):
    """A team's overrides of the contributor and team patterns."""

    model_config = _CONFIG

    utilization_drift: UtilizationDriftOverride | None = None
    billable_mix_shift: BillableMixShiftOverride | None = None
    unbilled_cross_team: UnbilledCrossTeamOverride | None = None
    capacity_variance: CapacityVarianceOverride | None = None
    workload_imbalance: WorkloadImbalanceOverride | None = None


class ProjectOverrides(BaseModel):
    """A project's overrides of the project patterns."""

    model_config = _CONFIG

    budget_burn: BudgetBurnOverride | None = None
    margin_erosion: MarginErosionOverride | None = None
    blocked_work: BlockedWorkOverride | None = None


@dataclass(frozen=True, slots=True)
class TeamThresholds:
    """The effective thresholds of the contributor and team patterns for one team."""

    utilization_drift: UtilizationDrift
    billable_mix_shift: BillableMixShift
    unbilled_cross_team: UnbilledCrossTeam
    capacity_variance: CapacityVariance
    workload_imbalance: WorkloadImbalance


@dataclass(frozen=True, slots=True)
class ProjectThresholds:
    """The effective thresholds of the project patterns for one project."""

    budget_burn: BudgetBurn
    margin_erosion: MarginErosion
    blocked_work: BlockedWork


TEAM_PATTERNS = tuple(TeamOverrides.model_fields)
PROJECT_PATTERNS = tuple(ProjectOverrides.model_fields)


class Policy(BaseModel):
    """Every threshold and window of the patterns; `Policy()` is the contract's defaults."""

    model_config = _CONFIG

    ops_min_team_size: Annotated[int, Field(ge=1)] = 3
    """A team aggregate over fewer contributors is never shown to ops."""
    hysteresis: Hysteresis = Hysteresis()
    utilization_drift: UtilizationDrift = UtilizationDrift()
    billable_mix_shift: BillableMixShift = BillableMixShift()
    unbilled_cross_team: UnbilledCrossTeam = UnbilledCrossTeam()
    capacity_variance: CapacityVariance = CapacityVariance()
    workload_imbalance: WorkloadImbalance = WorkloadImbalance()
    budget_burn: BudgetBurn = BudgetBurn()
    margin_erosion: MarginErosion = MarginErosion()
    blocked_work: BlockedWork = BlockedWork()
    handoff_slippage: HandoffSlippage = HandoffSlippage()
    decision_gap: DecisionGap = DecisionGap()
    teams: dict[str, TeamOverrides] = Field(default_factory=dict)
    projects: dict[str, ProjectOverrides] = Field(default_factory=dict)

    _teams: dict[str, TeamThresholds] = PrivateAttr(default_factory=dict)
    _projects: dict[str, ProjectThresholds] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _resolve_overrides(self) -> Self:
        """Merge every override into the org-wide sections once, checking the result."""
        for team, team_overrides in self.teams.items():
            sections = _merge(self, team_overrides, TEAM_PATTERNS, f"teams.{team}")
            self._teams[team] = TeamThresholds(**sections)
        for project, project_overrides in self.projects.items():
            sections = _merge(self, project_overrides, PROJECT_PATTERNS, f"projects.{project}")
            self._projects[project] = ProjectThresholds(**sections)
        return self

    def for_team(self, team_id: str | None) -> TeamThresholds:
        """Thresholds of the contributor and team patterns for a team (org-wide for None or
        a team without overrides)."""
        found = self._teams.get(team_id) if team_id is not None else None
        if found is not None:
            return found
        return TeamThresholds(
            self.utilization_drift,
            self.billable_mix_shift,
            self.unbilled_cross_team,
            self.capacity_variance,
            self.workload_imbalance,
        )

    def for_project(self, project_id: str) -> ProjectThresholds:
        """Thresholds of the project patterns for a project."""
        found = self._projects.get(project_id)
        if found is not None:
            return found
        return ProjectThresholds(self.budget_burn, self.margin_erosion, self.blocked_work)


def _merge(
    policy: Policy, overrides: BaseModel, patterns: tuple[str, ...], path: str
) -> dict[str, Any]:
    sections: dict[str, Any] = {}
    for pattern in patterns:
        base: _Section = getattr(policy, pattern)
        override: BaseModel | None = getattr(overrides, pattern)
        if override is None:
            sections[pattern] = base
            continue
        merged = {**base.model_dump(), **override.model_dump(exclude_unset=True)}
        try:
            sections[pattern] = type(base).model_validate(merged)
        except ValidationError as e:
            raise ValueError(f"{path}.{pattern}: {_message(e.errors()[0])}") from None
    return sections


def _message(error: Any) -> str:
    """A short message for one pydantic error: `must be > 0` rather than pydantic's prose."""
    ctx = error.get("ctx") or {}
    kind = error["type"]
    bounds = {
        "greater_than": ("gt", ">"),
        "greater_than_equal": ("ge", ">="),
        "less_than": ("lt", "<"),
        "less_than_equal": ("le", "<="),
    }
    if kind in bounds:
        key, sign = bounds[kind]
        return f"must be {sign} {ctx[key]:g}"
    if kind == "extra_forbidden":
        return "unknown key"
    msg: str = error["msg"]
    return msg.removeprefix("Value error, ")


def load_policy(path: Path | None) -> Policy:
    """The policy in a TOML file, or the defaults when `path` is None.

    Raises PolicyError naming the file and the full key path of the first invalid value or
    unknown key (e.g. `teams.design.budget_burn.warning_share: must be > 0`).
    """
    if path is None:
        return Policy()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise PolicyError(f"{path}: cannot read the policy file: {e.strerror}") from e
    except tomllib.TOMLDecodeError as e:
        raise PolicyError(f"{path}: not valid TOML: {e}") from e
    try:
        return Policy.model_validate(document)
    except ValidationError as e:
        error = e.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        message = _message(error)
        # Cross-key checks of overrides carry their own path in the message.
        text = f"{key}: {message}" if key else message
        raise PolicyError(f"{path}: {text}") from None
