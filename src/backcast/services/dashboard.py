"""An organisation's dashboard: every goal with its health, progress, slack and next milestones.

What an operations lead opens every morning. Everything is computed in bulk: the queries stay the
same in number whether the organisation has three goals or three hundred (the goals with their
owners, teams and latest check-in confidence in one query; milestones, dependencies, demands,
KPIs and readings in one each; progress in two), and each goal's plan comes from the shared plan
cache when nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Subquery

from backcast.goals.models import CheckIn, Goal, Milestone
from backcast.organizations.models import Organization
from backcast.planning.engine import PlannedMilestone
from backcast.planning.health import RANK, Health
from backcast.services.portfolio import (
    GoalData,
    assessed,
    gather_many,
    goal_health,
    open_milestones,
    remaining_start,
    slack_left,
)
from backcast.services.progress import goal_progress

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

NEXT_MILESTONES = 3
DUE_SOON_DAYS = 14  # the dashboard lists what is due within this many days, and all that is late
STATUSES = ("on_track", "at_risk", "off_track")


@dataclass(frozen=True, slots=True)
class Due:
    """A milestone not done yet, with its planned dates and how it stands against them.

    ``late``: its planned finish has passed. ``behind``: the latest day its remaining work may
    begin has passed (work not started whose planned start is gone, or work in progress that
    cannot finish on time at one day of work per working day).
    """

    milestone: Milestone
    goal: Goal
    start: date
    finish: date
    late: bool
    behind: bool


@dataclass(slots=True)
class GoalRow:
    """One goal on the dashboard, with everything computed for it."""

    goal: Goal
    health: Health | None  # None: nothing to judge yet (no reading, no plan)
    progress: float | None
    slack: int | None  # working days from today, see portfolio.slack_left
    slack_milestone: str
    next_due: list[Due]
    unowned: int  # milestones not done that have no owner
    plan_error: str
    feasible: bool | None
    children: list[GoalRow] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.health.status if self.health is not None else ""

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)

    @property
    def rolled_status(self) -> str:
        """Own health, else the worst health among the goals that serve it (for objectives)."""
        if self.status:
            return self.status
        found = [c.rolled_status for c in self.children if c.rolled_status]
        return max(found, key=lambda s: RANK[s], default="")


@dataclass(frozen=True, slots=True)
class Filters:
    """The dashboard's GET filters; empty means not filtered."""

    team: str = ""
    owner: int | None = None
    health: str = ""

    @property
    def active(self) -> bool:
        return bool(self.team or self.owner is not None or self.health)

    def match(self, row: GoalRow) -> bool:
        goal = row.goal
        if self.team and (goal.team is None or goal.team.slug != self.team):
            return False
        if self.owner is not None and goal.owner_id != self.owner:
            return False
        if self.health == "none":
            return row.health is None
        return not self.health or row.status == self.health


@dataclass(slots=True)
class Dashboard:
    """The rows that match the filters (deadline order), the alignment tree, and the counts."""

    today: date
    horizon: date  # the last day of "the next two weeks"
    rows: list[GoalRow]
    tree: list[GoalRow]
    counts: dict[str, int]
    due_soon: list[Due]
    total: int  # goals in the organisation, before filtering


def latest_confidence() -> Subquery:
    return Subquery(
        CheckIn.objects.filter(goal=OuterRef("pk")).order_by("-created_at", "-pk").values("confidence")[:1]
    )


def row_for(f: GoalData, today: date, progress: float | None, confidence: int | None) -> GoalRow:
    opened = open_milestones(f)
    slack = slack_left(f, today)
    return GoalRow(
        goal=f.goal,
        health=goal_health(f, today, confidence) if assessed(f) else None,
        progress=progress,
        slack=slack[0] if slack else None,
        slack_milestone=slack[1].title if slack else "",
        next_due=[due(f, m, p, today) for m, p in opened[:NEXT_MILESTONES]],
        unowned=sum(1 for m in f.milestones if m.owner_id is None and m.status != Milestone.Status.DONE),
        plan_error=f.plan_error,
        feasible=f.result.feasible if f.result is not None else None,
    )


def due(f: GoalData, m: Milestone, p: PlannedMilestone, today: date) -> Due:
    behind = remaining_start(m, p, f.calendar, today) < today
    return Due(m, f.goal, p.start, p.finish, p.finish < today, behind)


def build_dashboard(actor: AnyUser, org: Organization, today: date, filters: Filters) -> Dashboard:
    """Every goal of ``org`` that ``actor`` may see, judged in bulk, then filtered.

    The tree shows the goals that match and the objectives they serve (so a filtered view keeps
    its context); the counts are over the matching goals.
    """
    goals = list(
        Goal.objects.restrict(actor)
        .filter(organization=org)
        .select_related("owner", "team")
        .annotate(latest_confidence=latest_confidence())
        .order_by("deadline", "title", "pk")
    )
    facts = gather_many(goals, today)
    progress = goal_progress(goals)
    rows = {g.pk: row_for(facts[g.pk], today, progress.get(g.pk), g.latest_confidence) for g in goals}
    matching = [r for r in rows.values() if filters.match(r)]
    shown = {r.goal.pk for r in matching}
    for r in matching:  # keep the objectives a matching goal serves
        parent, seen = r.goal.parent_id, set()
        while parent is not None and parent in rows and parent not in seen:
            seen.add(parent)
            shown.add(parent)
            parent = rows[parent].goal.parent_id
    tree: list[GoalRow] = []
    for row in rows.values():
        if row.goal.pk not in shown:
            continue
        parent = row.goal.parent_id
        if parent is not None and parent in shown and parent != row.goal.pk:
            rows[parent].children.append(row)
        else:
            tree.append(row)
    counts = {s: sum(1 for r in matching if r.status == s) for s in STATUSES}
    counts["none"] = sum(1 for r in matching if r.health is None)
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    attention = (
        due(facts[r.goal.pk], m, p, today) for r in matching for m, p in open_milestones(facts[r.goal.pk])
    )
    due_soon = sorted(
        (d for d in attention if d.finish <= horizon or d.behind),
        key=lambda d: (d.finish, d.goal.deadline, d.milestone.pk),
    )
    return Dashboard(today, horizon, matching, tree, counts, due_soon, len(rows))
