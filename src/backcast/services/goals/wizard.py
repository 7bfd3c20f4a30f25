"""Use cases of the backward-planning wizard that no other service takes in one step.

The wizard saves through the ordinary services (``create_goal``, ``update_goal``, ``add_kpi``,
``add_milestone``, ``update_milestone``), so a goal planned with it is exactly like one made any
other way. What this module adds is what one screen of the wizard does as a single, atomic
change: starting a goal from a template with the person's own fields laid over it, adding a
milestone *backward* (as the predecessor of milestones already planned), removing one without
breaking the chain around it, saving the owners and pinned dates of every milestone at once. It
also reads what the screens show: the first step still to do, the SMART check of unsaved values,
and the plan of the goal in the shape the pages need.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Q

from backcast.goals.models import KPI, Dependency, Goal, Milestone
from backcast.organizations.models import Membership, Organization
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.planning.engine import PlanResult
from backcast.planning.report import verdict
from backcast.planning.smart import GoalFacts, LetterCheck, smart_check, time_bound
from backcast.services.goals.from_templates import create_goal_from_template
from backcast.services.goals.goals import GOAL_FIELDS, create_goal, update_goal
from backcast.services.goals.milestones import add_milestone, delete_milestone, update_milestone
from backcast.services.platform.errors import Conflict, InvalidInput
from backcast.services.reporting.assessment import Facts, gather, goal_smart
from backcast.services.reporting.plans import goal_plan

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

LAST_STEP = 5


class MilestoneFault(InvalidInput):
    """A fault in one milestone's row of a batch: ``milestone_id`` says which row."""

    def __init__(self, milestone_id: int, fault: InvalidInput) -> None:
        super().__init__(fault.message, fault.field)
        self.milestone_id = milestone_id


@transaction.atomic
def start_goal(actor: AnyUser, org_slug: str, data: dict[str, Any], *, template: str, today: date) -> Goal:
    """Create the wizard's goal (the actor owns it unless another owner is given).

    With a ``template`` the goal comes with the template's KPIs and milestone skeleton sized to
    the deadline; the title, description, owner, team and parent the person gave replace the
    template's, and blank ones keep them. All or nothing.
    """
    if not template:
        return create_goal(actor, data, org_slug)
    deadline = data.get("deadline")
    if not isinstance(deadline, date):
        raise InvalidInput("a goal needs a deadline", "deadline")
    goal = create_goal_from_template(
        actor, org_slug, template, deadline=deadline, today=today, start=data.get("start")
    )
    overrides = {k: v for k, v in data.items() if k in GOAL_FIELDS and v not in (None, "")}
    return update_goal(actor, goal.pk, overrides) if overrides else goal


@transaction.atomic
def remove_kpi(actor: AnyUser, goal_id: int, kpi_id: int) -> str:
    """Remove a KPI of the goal that has no readings yet; returns its name.

    A KPI with readings holds measured history, which the wizard never throws away.
    """
    kpi = get_for(KPI.objects.filter(goal_id=goal_id), actor, Action.PLAN, pk=kpi_id)
    readings = kpi.readings.count()
    if readings:
        raise InvalidInput(f"{kpi.name} has {readings} readings already; it stays", "kpi")
    name = kpi.name
    kpi.delete()
    return name


def links_into(milestone_id: int) -> list[dict[str, Any]]:
    """A milestone's predecessors in the shape ``update_milestone`` takes, kinds and lags kept."""
    return [
        {"id": pred, "lag": lag, "type": kind}
        for pred, lag, kind in Dependency.objects.filter(successor_id=milestone_id)
        .order_by("pk")
        .values_list("predecessor_id", "lag", "kind")
    ]


@transaction.atomic
def add_milestone_before(actor: AnyUser, goal_id: int, data: dict[str, Any], before: list[int]) -> Milestone:
    """Add a milestone that must finish before each milestone in ``before`` (finish-to-start).

    This is how a plan is worked backward: the new milestone becomes a predecessor of the ones
    already planned. ``data`` is what ``add_milestone`` takes (its own ``after`` included). A
    link that would close a cycle is refused on the ``before`` field, and nothing is saved.
    """
    milestone = add_milestone(actor, goal_id, data)
    known = set(Milestone.objects.filter(goal_id=goal_id, pk__in=before).values_list("pk", flat=True))
    for successor in before:
        if successor not in known:
            raise InvalidInput(f"no milestone {successor} in this goal", "before")
        try:
            update_milestone(actor, successor, {"after": [*links_into(successor), milestone.pk]})
        except InvalidInput as exc:
            raise InvalidInput(exc.message, "before") from exc
    return milestone


@transaction.atomic
def remove_milestone(actor: AnyUser, goal_id: int, milestone_id: int) -> str:
    """Remove a milestone of the goal and keep the chain: its successors inherit its predecessors.

    Without the bridge, removing the middle of A -> B -> C would let C float free of A. Returns
    the removed milestone's title.
    """
    milestone = get_for(Milestone.objects.filter(goal_id=goal_id), actor, Action.PLAN, pk=milestone_id)
    predecessors = list(
        Dependency.objects.filter(successor=milestone).order_by("pk").values_list("predecessor_id", flat=True)
    )
    successors = list(
        Dependency.objects.filter(predecessor=milestone).order_by("pk").values_list("successor_id", flat=True)
    )
    title = milestone.title
    delete_milestone(actor, milestone.pk)
    for successor in successors:
        links = links_into(successor)
        present = {link["id"] for link in links}
        inherited = [p for p in predecessors if p not in present]
        if inherited:
            update_milestone(actor, successor, {"after": [*links, *inherited]})
    return title


class StaleMilestones(Conflict):
    """Rows of a batch that someone else changed since the page showed them; nothing was saved.

    ``current`` (and ``milestones``) are those rows as they stand now, for the page to show.
    """

    def __init__(self, milestones: list[Milestone]) -> None:
        titles = ", ".join(f"“{m.title}”" for m in milestones)
        several = len(milestones) > 1
        super().__init__(
            f"Someone else changed {titles} since you opened this page, so nothing was saved. "
            f"{'They now show' if several else 'It now shows'} the current owner and dates; "
            "your other rows are as you left them. Check them and save again.",
            milestones,
        )
        self.milestones = milestones


@transaction.atomic
def assign_milestones(actor: AnyUser, goal_id: int, rows: dict[int, dict[str, Any]]) -> int:
    """Set owners and pinned dates of the goal's milestones, all or none; returns how many changed.

    ``rows`` maps a milestone id to ``{"owner", "pinned_start", "pinned_finish"}`` and, when the
    page sent it, the ``"version"`` of the milestone it showed. Only what differs is written, so
    an untouched row keeps its version. A row whose version has moved on *and* whose values
    differ from the current ones would overwrite a change its editor never saw: the batch is
    refused with :class:`StaleMilestones` naming every such row (a stale row that agrees with
    the current values writes nothing, so it is no conflict). The rows are locked, in id order,
    before they are compared. A fault raises :class:`MilestoneFault` naming the row.
    """
    goal = get_for(Goal.objects.all(), actor, Action.PLAN, pk=goal_id)
    locked = Milestone.objects.select_for_update().filter(goal=goal, pk__in=list(rows)).order_by("pk")
    current = {m.pk: m for m in locked}
    writes: dict[int, dict[str, Any]] = {}
    stale: list[Milestone] = []
    for pk, data in rows.items():
        milestone = current.get(pk)
        if milestone is None:
            raise MilestoneFault(pk, InvalidInput(f"no milestone {pk} in this goal", None))
        now = {
            "owner": milestone.owner_id,
            "pinned_start": milestone.pinned_start,
            "pinned_finish": milestone.pinned_finish,
        }
        changes = {k: v for k, v in data.items() if k in now and now[k] != v}
        if not changes:
            continue
        expected = data.get("version")
        if expected is not None and expected != milestone.version:
            stale.append(milestone)
        writes[pk] = changes
    if stale:
        raise StaleMilestones(stale)
    for pk, changes in writes.items():
        try:
            update_milestone(actor, pk, changes, expected_version=current[pk].version)
        except InvalidInput as exc:
            raise MilestoneFault(pk, exc) from exc
    return len(writes)


def resume_step(goal: Goal) -> int:
    """The first step of the wizard still to do: KPIs, milestones, owners, then the cadence."""
    if not goal.kpis.exists():
        return 2
    if not goal.milestones.exists():
        return 3
    if goal.milestones.filter(owner__isnull=True).exists():
        return 4
    return LAST_STEP


def unfinished_goals(actor: AnyUser, org: Organization, limit: int = 10) -> list[tuple[Goal, int]]:
    """The actor's own goals in ``org`` that still miss KPIs, milestones or owners, newest first.

    Each comes with the step to resume at; what the wizard's start page offers to pick up.
    """
    goals = (
        Goal.objects.restrict(actor, Action.PLAN)
        .filter(organization=org, owner_id=user_pk(actor), level=Goal.Level.GOAL)
        .annotate(
            n_kpis=Count("kpis", distinct=True),
            n_milestones=Count("milestones", distinct=True),
            n_unowned=Count("milestones", filter=Q(milestones__owner__isnull=True), distinct=True),
        )
        .filter(Q(n_kpis=0) | Q(n_milestones=0) | Q(n_unowned__gt=0))
        .order_by("-created_at", "-pk")[:limit]
    )
    result: list[tuple[Goal, int]] = []
    for goal in goals:
        step = 2 if not goal.n_kpis else 3 if not goal.n_milestones else 4
        result.append((goal, step))
    return result


@dataclass(frozen=True, slots=True)
class Draft:
    """Step 1's values as typed, before they are saved (None: left empty or not valid yet)."""

    title: str = ""
    description: str = ""
    owner: int | None = None
    deadline: date | None = None
    start: date | None = None
    parent: int | None = None


def draft_smart(org: Organization, goal: Goal | None, draft: Draft, today: date) -> list[LetterCheck]:
    """The SMART check of values not saved yet, for the live check as the person types.

    A new goal has only its own fields to judge. An existing one keeps its KPIs, readings and
    plan; the plan's capacity verdict counts only while the draft keeps the saved deadline and
    start, since a plan for other dates has not been computed yet.
    """
    owner = (
        Membership.objects.filter(organization=org, user_id=draft.owner)
        .values_list("user__email", flat=True)
        .first()
        if draft.owner is not None
        else None
    )
    if goal is None:
        return smart_check(
            GoalFacts(
                title=draft.title,
                description=draft.description,
                owner=owner,
                deadline=draft.deadline,
                today=today,
                aligned=draft.parent is not None,
            )
        )
    facts = gather(goal, today)
    if (draft.deadline, draft.start) != (goal.deadline, goal.start):
        facts = Facts(facts.kpis, None)
    shown = copy.copy(goal)  # read by the check only, never saved
    shown.title, shown.description = draft.title, draft.description
    shown.owner_id = draft.owner if owner else None
    shown.parent_id = draft.parent
    if draft.deadline is not None:
        shown.deadline = draft.deadline
    checks = goal_smart(shown, today, facts)
    if draft.deadline is None:  # the saved deadline no longer counts once the field is cleared
        cleared = GoalFacts(draft.title, draft.description, owner, None, today, draft.parent is not None)
        checks = [time_bound(cleared) if c.letter == "T" else c for c in checks]
    return checks


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One milestone as the wizard lists it, with its plan dates when there is a plan."""

    milestone: Milestone
    follows: list[str]
    start: date | None = None
    finish: date | None = None
    slack: int | None = None
    critical: bool = False

    @property
    def off_pin(self) -> bool:
        """The plan's dates disagree with a date the planner pinned."""
        m = self.milestone
        return (m.pinned_start is not None and self.start is not None and self.start < m.pinned_start) or (
            m.pinned_finish is not None and self.finish is not None and self.finish > m.pinned_finish
        )


@dataclass(frozen=True, slots=True)
class PlanView:
    """The goal's plan as the wizard shows it; ``problem`` says why there is none yet."""

    rows: list[PlanRow]
    result: PlanResult | None = None
    sentence: str = ""
    problem: str = ""
    overloads: list[str] = field(default_factory=list)


def plan_view(goal: Goal, today: date) -> PlanView:
    """The engine's plan of the saved goal (cached by ``goal_plan``), milestones in date order."""
    milestones = list(Milestone.objects.filter(goal=goal).select_related("owner").order_by("pk"))
    follows: dict[int, list[str]] = defaultdict(list)
    for succ, title in (
        Dependency.objects.filter(successor__goal=goal)
        .order_by("pk")
        .values_list("successor_id", "predecessor__title")
    ):
        follows[succ].append(title)
    try:
        planned = goal_plan(goal, today)
    except InvalidInput as exc:
        rows = [PlanRow(m, follows[m.pk]) for m in milestones]
        return PlanView(rows, problem=exc.message)
    by_id = {planned.milestone_ids[p.id]: p for p in planned.result.milestones}
    rows = []
    for m in milestones:
        p = by_id.get(m.pk)
        if p is None:
            rows.append(PlanRow(m, follows[m.pk]))
        else:
            rows.append(PlanRow(m, follows[m.pk], p.start, p.finish, p.slack, p.critical))
    rows.sort(key=lambda r: (r.start or date.max, r.finish or date.max, r.milestone.pk))
    result = planned.result
    return PlanView(rows, result, verdict(result), overloads=[o.message for o in result.overloads])
