"""The event contract v1: one frozen pydantic model per event type.

Every model validates in strict mode (a JSON string is never coerced into a number,
a number never into a timestamp), ignores unknown fields (the event store keeps them
in the raw JSON), and carries the common fields of the contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = 1
"""The only schema version this contract accepts."""

FUTURE_WORK_DATE_DAYS = 2
"""A work_date more than this many days after occurred_at's date is rejected."""

EARLIEST = dt.date(1970, 1, 5)
LATEST = dt.date(2149, 6, 6)
"""Dates, and the UTC dates of timestamps, outside this range are invalid: ClickHouse's
Date holds 1970-01-01 to 2149-06-06, and the weekly tables store the Monday of each date's
ISO week, so the range starts on the first Monday (the week of 1970-01-01 starts in 1969)."""


MIN_HOURS = 0.01
"""Smallest capacity, time off or plan in hours (36 seconds). The figures divide by them:
a capacity of 5e-324 hours gave an infinite utilization, which no rows message carries."""
MAX_PLANNED_HOURS = 10_000_000.0
"""Largest plan in hours (about 5,000 person-years)."""
MAX_RATE = 1_000_000.0
"""Largest bill or cost rate per hour."""
MAX_FEE = 1e12
"""Largest fixed fee."""


def _in_range(value: dt.date) -> dt.date:
    try:
        day = value.astimezone(dt.UTC).date() if isinstance(value, dt.datetime) else value
    except OverflowError:  # 0001-01-01T00:30:00+01:00 is before the first datetime in UTC
        day = dt.date.min
    if not EARLIEST <= day <= LATEST:
        raise PydanticCustomError(
            "out_of_range",
            "{value} is outside the supported range {earliest} to {latest}",
            {"value": str(value), "earliest": str(EARLIEST), "latest": str(LATEST)},
        )
    return value


Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128)]
OrgId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Timestamp = Annotated[AwareDatetime, AfterValidator(_in_range)]
"""RFC 3339 timestamp with a UTC offset."""
Day = Annotated[dt.date, AfterValidator(_in_range)]
"""A YYYY-MM-DD date."""


class BaseEvent(BaseModel):
    """Fields common to every event of the contract."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    event_id: Identifier
    occurred_at: Timestamp
    org_id: OrgId = "default"
    schema_version: int = SCHEMA_VERSION
    source: Annotated[str, StringConstraints(max_length=64)] | None = None

    @field_validator("schema_version")
    @classmethod
    def _only_version_one(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise PydanticCustomError(
                "unsupported_schema_version",
                "schema_version {version} is not supported; this pipeline reads version 1",
                {"version": value},
            )
        return value

    @property
    def occurred_on(self) -> dt.date:
        """The UTC calendar date of occurred_at."""
        return self.occurred_at.astimezone(dt.UTC).date()


class ContributorProfiled(BaseEvent):
    """A contributor's team, capacity, utilization target and cost, valid from effective_from."""

    type: Literal["contributor.profiled"]
    contributor_id: Identifier
    team_id: Identifier
    weekly_capacity_hours: Annotated[float, Field(ge=MIN_HOURS, le=80)] = 40.0
    target_utilization: Annotated[float, Field(ge=0.01, le=1)] = 0.75
    cost_rate: Annotated[float, Field(ge=0, le=MAX_RATE)] | None = None
    effective_from: Day | None = None

    @property
    def valid_from(self) -> dt.date:
        """effective_from, or the date of occurred_at when it was not given."""
        return self.effective_from or self.occurred_on


class ContributorTimeOff(BaseEvent):
    """Hours a contributor is away on a date; None means a full workday."""

    type: Literal["contributor.time_off"]
    contributor_id: Identifier
    date: Day
    hours: Annotated[float, Field(ge=MIN_HOURS, le=24)] | None = None


class ProjectPlanned(BaseEvent):
    """A project's plan; a later one for the same project is a re-plan from its occurred_at."""

    type: Literal["project.planned"]
    project_id: Identifier
    name: Annotated[str, StringConstraints(max_length=256)] | None = None
    team_id: Identifier | None = None
    billing: Literal["time_and_materials", "fixed_fee", "non_billable"]
    planned_hours: Annotated[float, Field(ge=MIN_HOURS, le=MAX_PLANNED_HOURS)]
    start_date: Day
    end_date: Day
    bill_rate: Annotated[float, Field(ge=0, le=MAX_RATE)] | None = None
    fixed_fee: Annotated[float, Field(ge=0, le=MAX_FEE)] | None = None
    target_margin: Annotated[float, Field(ge=0, lt=1)] = 0.30
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"

    @model_validator(mode="after")
    def _plan_is_consistent(self) -> ProjectPlanned:
        if self.end_date < self.start_date:
            raise PydanticCustomError(
                "end_before_start",
                "end_date {end} is before start_date {start}",
                {"end": str(self.end_date), "start": str(self.start_date)},
            )
        if self.billing == "time_and_materials" and self.bill_rate is None:
            raise PydanticCustomError(
                "missing_for_billing", "bill_rate is required for time_and_materials projects"
            )
        if self.billing == "fixed_fee" and self.fixed_fee is None:
            raise PydanticCustomError(
                "missing_for_billing", "fixed_fee is required for fixed_fee projects"
            )
        return self


class TimeLogged(BaseEvent):
    """A time entry, or a new revision of one (identified by entry_id)."""

    type: Literal["time.logged"]
    entry_id: Identifier
    revision: Annotated[int, Field(ge=1)] = 1
    contributor_id: Identifier
    project_id: Identifier
    task_id: Identifier | None = None
    work_date: Day
    minutes: Annotated[int, Field(ge=1, le=1440)]
    billable: bool
    for_team_id: Identifier | None = None

    @model_validator(mode="after")
    def _work_date_not_in_future(self) -> TimeLogged:
        latest = self.occurred_on + dt.timedelta(days=FUTURE_WORK_DATE_DAYS)
        if self.work_date > latest:
            raise PydanticCustomError(
                "future_work_date",
                "work_date {work_date} is more than {days} days after occurred_at",
                {"work_date": str(self.work_date), "days": FUTURE_WORK_DATE_DAYS},
            )
        return self


class TimeDeleted(BaseEvent):
    """Removes a time entry when its revision is higher than the entry's last."""

    type: Literal["time.deleted"]
    entry_id: Identifier
    revision: Annotated[int, Field(ge=1)]


class TaskBlocked(BaseEvent):
    """A task is blocked from occurred_at."""

    type: Literal["task.blocked"]
    task_id: Identifier
    project_id: Identifier
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    blocked_by_team_id: Identifier | None = None


class TaskUnblocked(BaseEvent):
    """The open block of a task ends at occurred_at."""

    type: Literal["task.unblocked"]
    task_id: Identifier
    project_id: Identifier


class HandoffRequested(BaseEvent):
    """Work passes from one team to another, due by due_at."""

    type: Literal["handoff.requested"]
    handoff_id: Identifier
    project_id: Identifier
    task_id: Identifier | None = None
    from_team_id: Identifier
    to_team_id: Identifier
    due_at: Timestamp


class HandoffAccepted(BaseEvent):
    """The receiving team took the handoff."""

    type: Literal["handoff.accepted"]
    handoff_id: Identifier


class HandoffCompleted(BaseEvent):
    """The receiving team finished the handoff; late when after due_at."""

    type: Literal["handoff.completed"]
    handoff_id: Identifier


DecisionKind = Literal[
    "rescope", "rebalance", "escalate", "renegotiate", "promotion", "pricing", "other"
]


class DecisionRecorded(BaseEvent):
    """An operating decision, grounded in the alerts it names."""

    type: Literal["decision.recorded"]
    decision_id: Identifier
    kind: DecisionKind
    alert_ids: list[Identifier] = Field(default_factory=list)
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    decided_by: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class ClockTicked(BaseEvent):
    """Advances event time for the org while trackers are quiet."""

    type: Literal["clock.ticked"]


EVENT_MODELS: tuple[type[BaseEvent], ...] = (
    ContributorProfiled,
    ContributorTimeOff,
    ProjectPlanned,
    TimeLogged,
    TimeDeleted,
    TaskBlocked,
    TaskUnblocked,
    HandoffRequested,
    HandoffAccepted,
    HandoffCompleted,
    DecisionRecorded,
    ClockTicked,
)
"""Every event type of the contract, in the order the docs present them."""

EVENT_TYPES: dict[str, type[BaseEvent]] = {
    model.model_fields["type"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in EVENT_MODELS
}
"""Event type name -> model."""

Event = Annotated[
    ContributorProfiled
    | ContributorTimeOff
    | ProjectPlanned
    | TimeLogged
    | TimeDeleted
    | TaskBlocked
    | TaskUnblocked
    | HandoffRequested
    | HandoffAccepted
    | HandoffCompleted
    | DecisionRecorded
    | ClockTicked,
    Field(discriminator="type"),
]
"""Any event of the contract, discriminated by its `type` field."""

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
"""Validates raw JSON bytes into the right event model in one pass."""
