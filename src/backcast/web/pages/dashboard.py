"""An organisation's dashboard: every goal with its health, progress, slack and next milestones.

What an operations lead opens every morning, for three goals or a thousand. The counts, the
filters, "the next two weeks" and the health of the alignment tree are over every goal, and come
from each goal's stored summary (:func:`backcast.services.reporting.portfolio.summaries`: one query for all
of them, and a bulk refresh of the few that changed), so no request plans or judges a goal that
did not change. The goal table is paged (:data:`PAGE_SIZE` a page) and only the goals of the page
are loaded as rows, with their owners and next milestones: the number of queries, and the page's
size, do not grow with the number of goals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Organization
from backcast.services.reporting.portfolio import DUE_SOON_DAYS, Summary, Upcoming, rolled_up, summaries

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

PAGE_SIZE = 25
DUE_SHOWN = 30  # "the next two weeks" lists this many, late and soonest first, and counts the rest
STATUSES = ("on_track", "at_risk", "off_track")


@dataclass(frozen=True, slots=True)
class Due:
    """A milestone not done yet, with its planned dates and how it stands against them.

    ``late``: its planned finish has passed. ``behind``: the latest day its remaining work may
    begin has passed (work not started whose planned start is gone, or work in progress that
    cannot finish on time at one day of work per working day).
    """

    milestone: Milestone
    goal: Summary
    start: date
    finish: date
    late: bool
    behind: bool


@dataclass(slots=True)
class GoalRow:
    """One goal on the dashboard (a row of the page, or a node of the alignment tree)."""

    goal: Goal
    status: str  # health; "" when there is nothing to judge it by (no reading, no plan)
    rolled_status: str  # its own health, else the worst among the goals that serve it
    progress: float | None
    slack: int | None  # working days from today, see portfolio.slack_left
    slack_milestone: str
    next_due: list[Due]
    unowned: int  # milestones not done that have no owner
    plan_error: str
    feasible: bool | None
    served_by: int  # goals aligned to it, on any page
    children: list[GoalRow] = field(default_factory=list)  # those in the tree shown

    @property
    def percent(self) -> int | None:
        return None if self.progress is None else round(self.progress * 100)


@dataclass(frozen=True, slots=True)
class Filters:
    """The dashboard's GET filters; empty means not filtered."""

    team: str = ""
    owner: int | None = None
    health: str = ""

    @property
    def active(self) -> bool:
        return bool(self.team or self.owner is not None or self.health)

    def match(self, goal: Summary) -> bool:
        if self.team and goal.team_slug != self.team:
            return False
        if self.owner is not None and goal.owner_id != self.owner:
            return False
        if self.health == "none":
            return goal.status == ""
        return not self.health or goal.status == self.health


@dataclass(slots=True)
class Dashboard:
    """One page of the goals that match the filters (deadline order), and what is over all of them.

    ``counts`` and ``due_soon`` are over every matching goal (``due_more`` counts what did not fit
    in the list); the tree holds the page's goals under the objectives they serve.
    """

    today: date
    horizon: date  # the last day of "the next two weeks"
    rows: list[GoalRow]
    tree: list[GoalRow]
    counts: dict[str, int]
    due_soon: list[Due]
    due_more: int
    total: int  # goals in the organisation, before filtering
    matching: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        """The position of the page's first goal among the matching ones (from 1)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def page_numbers(self) -> list[int | None]:
        """The pages the pager names: the first, the last and two either side of this one; None is a gap."""
        keep = {1, self.pages, *range(self.page - 2, self.page + 3)}
        numbers: list[int | None] = []
        for n in range(1, self.pages + 1):
            if n in keep:
                numbers.append(n)
            elif numbers[-1] is not None:
                numbers.append(None)
        return numbers


def build_dashboard(
    actor: AnyUser, org: Organization, today: date, filters: Filters, page: int = 1
) -> Dashboard:
    """The goals of ``org`` that ``actor`` may see, filtered, and page ``page`` of them (clamped).

    Three queries however many goals there are, once their summaries are stored (every goal
    with its summary, the models of the page's goals and of their objectives, and the milestones
    it names); a request that finds summaries stale computes and stores them first, in a fixed
    number more (``portfolio.summaries``).
    """
    goals = Goal.objects.restrict(actor).filter(organization=org).order_by("deadline", "title", "pk")
    every = summaries(goals, today)
    by_pk = {s.pk: s for s in every}
    children: dict[int, list[int]] = defaultdict(list)
    for s in every:
        if s.parent_id is not None and s.parent_id in by_pk and s.parent_id != s.pk:
            children[s.parent_id].append(s.pk)
    progress, rolled = rolled_up(every, children)
    matching = [s for s in every if filters.match(s)]
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    counts = {status: sum(1 for s in matching if s.status == status) for status in STATUSES}
    counts["none"] = sum(1 for s in matching if not s.status)
    attention = sorted(  # by planned finish (ISO dates sort as text), then the goal's deadline
        ((u, s) for s in matching for u in Summary.entries(s.due)),
        key=lambda d: (d[0][2], d[1].deadline, d[0][0]),
    )
    listed = [(Upcoming.from_json(u), s) for u, s in attention[:DUE_SHOWN]]
    next_due = {s.pk: Summary.upcoming(s.next_due) for s in shown}

    in_tree = {s.pk for s in shown}
    for s in shown:  # keep the objectives a goal of the page serves
        parent = s.parent_id
        while parent is not None and parent in by_pk and parent not in in_tree:
            in_tree.add(parent)
            parent = by_pk[parent].parent_id
    models = Goal.objects.filter(pk__in=in_tree).select_related("owner", "team").in_bulk()
    wanted = {u.milestone_id for u, _ in listed} | {u.milestone_id for us in next_due.values() for u in us}
    milestone = (
        Milestone.objects.filter(pk__in=wanted)
        .select_related("owner")
        .only("title", "owner__name", "owner__email")
        .in_bulk()
    )

    def dues(s: Summary, upcoming: Sequence[Upcoming]) -> list[Due]:
        return [
            Due(milestone[u.milestone_id], s, u.start, u.finish, u.late, u.behind)
            for u in upcoming
            if u.milestone_id in milestone
        ]

    rows = {
        pk: GoalRow(
            goal=models[pk],
            status=by_pk[pk].status,
            rolled_status=rolled[pk],
            progress=progress[pk],
            slack=by_pk[pk].slack_left,
            slack_milestone=by_pk[pk].slack_milestone,
            next_due=dues(by_pk[pk], next_due.get(pk, [])),
            unowned=by_pk[pk].unowned,
            plan_error=by_pk[pk].plan_error,
            feasible=by_pk[pk].feasible,
            served_by=len(children[pk]),
        )
        for pk in (s.pk for s in every)
        if pk in in_tree and pk in models
    }
    tree: list[GoalRow] = []
    for pk, row in rows.items():  # deadline order, like the table
        parent = row.goal.parent_id
        if parent is not None and parent in rows and parent != pk:
            rows[parent].children.append(row)
        else:
            tree.append(row)
    return Dashboard(
        today=today,
        horizon=today + timedelta(days=DUE_SOON_DAYS),
        rows=[rows[s.pk] for s in shown if s.pk in rows],
        tree=tree,
        counts=counts,
        due_soon=[d for u, s in listed for d in dues(s, [u])],
        due_more=len(attention) - len(listed),
        total=len(every),
        matching=len(matching),
        page=page,
        pages=pages,
    )
