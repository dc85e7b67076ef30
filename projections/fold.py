"""One event into every projection, collecting what changed.

`apply` routes an event to its folds and records which contributor days and weeks must
be written again. A week is recomputed from the week of the change through the org's
current week, because trailing values of later weeks include it; when the org's clock
enters a new week, every contributor seen so far gets that week. So the rows written
are those of every contributor from their first week through the current week, whatever
the order in which the same events arrive.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from events.models import (
    BaseEvent,
    ContributorProfiled,
    ContributorTimeOff,
    DecisionRecorded,
    HandoffAccepted,
    HandoffCompleted,
    HandoffRequested,
    ProjectPlanned,
    TaskBlocked,
    TaskUnblocked,
    TimeDeleted,
    TimeLogged,
)
from projections import blocked, contributor_daily, decisions, handoffs, org, projects, reference
from projections.clock import week_start
from projections.contributor_daily import DayKey, Store

WeekKey = tuple[str, str, str]
"""(org_id, contributor_id, week_start ISO)."""

OrgKey = tuple[str, str]
"""(org_id, an entity id: project_id, task_id or handoff_id)."""

_WEEK = dt.timedelta(weeks=1)


@dataclass
class Touched:
    """What a batch of events changed: the rows to write again."""

    days: set[DayKey] = field(default_factory=set)
    weeks: set[WeekKey] = field(default_factory=set)
    """Weeks whose rows are written again: those whose figures changed and the later ones
    through the current week, whose trailing values include them."""
    changed_weeks: set[WeekKey] = field(default_factory=set)
    """Weeks whose own figures may have changed (their days, time off or profiles): what a
    memo of contributor weeks must drop."""
    project_weeks_since: dict[OrgKey, dt.date] = field(default_factory=dict)
    """Per project, the date from which its weeks (those with time logged) are written."""
    projects: set[OrgKey] = field(default_factory=set)
    """Projects whose status must be written again."""
    tasks: set[OrgKey] = field(default_factory=set)
    handoffs: set[OrgKey] = field(default_factory=set)
    clock_moved: set[str] = field(default_factory=set)
    """Orgs whose event-time now moved: open blocks, open handoffs and every project status
    are written again, since their hours and shares run with the clock."""
    costs_changed: dict[tuple[str, str], dt.date] = field(default_factory=dict)
    """Per (org_id, contributor_id) with a new profile, the earliest date it is valid
    from: their cost rate may have changed for work_dates from then on."""
    decisions: set[OrgKey] = field(default_factory=set)
    """Decisions recorded (org_id, decision_id)."""

    def update(self, other: Touched) -> None:
        """Add everything `other` touched."""
        self.days |= other.days
        self.weeks |= other.weeks
        self.changed_weeks |= other.changed_weeks
        for key, since in other.project_weeks_since.items():
            self.project_weeks_since[key] = min(since, self.project_weeks_since.get(key, since))
        self.projects |= other.projects
        self.tasks |= other.tasks
        self.handoffs |= other.handoffs
        self.clock_moved |= other.clock_moved
        for key, since in other.costs_changed.items():
            self.costs_changed[key] = min(since, self.costs_changed.get(key, since))
        self.decisions |= other.decisions

    def orgs(self) -> set[str]:
        """Every org something was touched in."""
        found = {o for o, _c, _d in self.days} | {o for o, _c, _w in self.weeks}
        for keys in (self.project_weeks_since, self.projects, self.tasks, self.handoffs):
            found |= {o for o, _id in keys}
        found |= {o for o, _id in self.decisions}
        return found | self.clock_moved | {o for o, _c in self.costs_changed}

    def add_project_weeks(self, org_id: str, project_id: str, since: dt.date) -> None:
        """The project's weeks with time logged, from the week of `since` on, and its status.

        Which weeks those are is read when the rows are computed, once per batch."""
        self.projects.add((org_id, project_id))
        key = (org_id, project_id)
        self.project_weeks_since[key] = min(since, self.project_weeks_since.get(key, since))

    def add_weeks(self, org_id: str, contributor_id: str, first: dt.date, last: dt.date) -> None:
        """Every week from the week of `first` through the week of `last`, the org's current
        date: none when `first` lies in a later week. Such a week gets its row when the
        clock enters it; written earlier, its trailing values would miss later changes to
        the weeks before it, which are written again only through the current week."""
        self.weeks |= weeks_between(org_id, contributor_id, first, last)


def weeks_between(org_id: str, contributor_id: str, first: dt.date, last: dt.date) -> set[WeekKey]:
    """The contributor's weeks from the week of `first` through the week of `last` (none
    when `first` lies in a later week)."""
    found = set()
    monday, end = week_start(first), week_start(last)
    while monday <= end:
        found.add((org_id, contributor_id, monday.isoformat()))
        monday += _WEEK
    return found


def apply(store: Store, event: BaseEvent, touched: Touched) -> None:
    """Apply one accepted event to the projections in `store`; note what changed."""
    before, after = org.advance(store, event)
    today = after.date()
    o = event.org_id
    if before is None or event.occurred_at < before:
        decisions.note_event_time(store, o, event.occurred_at)
    if before is None or after > before:
        touched.clock_moved.add(o)
    if isinstance(event, TimeLogged | TimeDeleted):
        _apply_time(store, event, touched, today)
    # Rows are written again even when an event changes nothing: after a crash the state
    # may hold an event whose rows never reached ClickHouse.
    elif isinstance(event, ContributorProfiled):
        reference.apply_profile(store, event)
        _seen(store, touched, o, event.contributor_id, event.valid_from, today)
        # Capacity, team and target of every week from valid_from on.
        touched.changed_weeks |= weeks_between(o, event.contributor_id, event.valid_from, today)
        key = (o, event.contributor_id)
        touched.costs_changed[key] = min(
            event.valid_from, touched.costs_changed.get(key, event.valid_from)
        )
        for project in projects.projects(store, o):
            touched.add_project_weeks(o, project, event.valid_from)
    elif isinstance(event, ContributorTimeOff):
        reference.apply_time_off(store, event)
        _seen(store, touched, o, event.contributor_id, event.date, today)
        touched.changed_weeks.add(_week_of(o, event.contributor_id, event.date))
    elif isinstance(event, ProjectPlanned):
        reference.apply_plan(store, event)
        projects.add_project(store, o, event.project_id)
        since = event.occurred_at.astimezone(dt.UTC).date()
        touched.add_project_weeks(o, event.project_id, since)
    elif isinstance(event, TaskBlocked | TaskUnblocked):
        blocked.apply(store, event)
        blocked.sync_open(store, o, event.task_id)
        touched.tasks.add((o, event.task_id))
    elif isinstance(event, HandoffRequested | HandoffAccepted | HandoffCompleted):
        handoffs.apply(store, event)
        handoffs.sync_open(store, o, event.handoff_id)
        touched.handoffs.add((o, event.handoff_id))
    elif isinstance(event, DecisionRecorded):
        decisions.apply(store, event)
        touched.decisions.add((o, event.decision_id))
    if before is None or week_start(before.date()) < week_start(today):
        first_new = week_start(before.date()) + _WEEK if before else week_start(today)
        for contributor, first_seen in org.members(store, o).items():
            touched.add_weeks(o, contributor, max(first_new, first_seen), today)


def _apply_time(
    store: Store, event: TimeLogged | TimeDeleted, touched: Touched, today: dt.date
) -> None:
    o = event.org_id
    before = store.get(contributor_daily.entry_key(o, event.entry_id))
    days = contributor_daily.apply(store, event)
    touched.days |= days
    after = store.get(contributor_daily.entry_key(o, event.entry_id))
    if isinstance(event, TimeLogged):
        projects.apply_time(store, event)
    # The projects the entry was on, is on, and this event names.
    named = {event.project_id} if isinstance(event, TimeLogged) else set()
    for state in (before, after):
        if state and state["current"]:
            named.add(state["current"]["project_id"])
    # A fixed fee's weekly revenue depends on the hours of every earlier week, so the
    # project's later weeks are written again too. Only weeks the project has time logged
    # in: the entry's other days may lie in weeks where this project never had any.
    if days:
        earliest = dt.date.fromisoformat(min(date for _o, _c, date in days))
        for project in named:
            touched.add_project_weeks(o, project, earliest)
    for _org, contributor, date in days:
        work_date = dt.date.fromisoformat(date)
        _seen(store, touched, o, contributor, work_date, today)
        touched.changed_weeks.add(_week_of(o, contributor, work_date))


def _week_of(org_id: str, contributor_id: str, date: dt.date) -> WeekKey:
    return (org_id, contributor_id, week_start(date).isoformat())


def _seen(
    store: Store, touched: Touched, org_id: str, contributor_id: str, date: dt.date, today: dt.date
) -> None:
    org.add_member(store, org_id, contributor_id, date)
    touched.add_weeks(org_id, contributor_id, date, today)


REFRESH_WEEKS = 4


def refresh(store: Store, org_id: str, touched: Touched, weeks: int = REFRESH_WEEKS) -> None:
    """Mark every contributor's recent weeks (through the current one) to be written again.

    A worker calls this for each org when it starts or takes over partitions: after a
    crash, the restored state can be ahead of the rows in ClickHouse (the clock may already
    have entered a week whose rows were never written), and re-applying events does not
    see the clock move again.
    """
    current = org.now(store, org_id)
    if current is None:
        return
    today = current.date()
    earliest = today - dt.timedelta(weeks=weeks)
    for contributor, first_seen in org.members(store, org_id).items():
        touched.add_weeks(org_id, contributor, max(earliest, first_seen), today)
    for project in projects.projects(store, org_id):
        touched.add_project_weeks(org_id, project, earliest)
    touched.clock_moved.add(org_id)
    touched.tasks |= {(org_id, task) for task in blocked.open_tasks(store, org_id)}
    touched.handoffs |= {(org_id, h) for h in handoffs.open_handoffs(store, org_id)}
