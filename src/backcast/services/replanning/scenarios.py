"""What-if scenarios: a goal's plan copied, changed in memory, planned and compared with the live plan.

A :class:`~backcast.replanning.models.Scenario` stores only its changes (see
:func:`backcast.services.replanning.scenario_changes.clean_changes` for their shape). Every comparison loads the goal's rows as :func:`backcast.services.reporting.plans.build_plan`
does, applies the changes to copies of them (nothing of the goal is written), plans both with the
engine and schedule risk (:func:`backcast.services.reporting.plans.cached_plan`, cached by plan digest), and
compares the finish, the required start, the probability of finishing on time and the load on
each resource week by week. Changes that no longer fit the goal (a milestone deleted since) are
left out of the comparison and listed as ``stale``; such a scenario cannot be adopted.

:func:`adopt_scenario` makes the changes real through the very services the pages and the API
use (goals, milestones, resources), in one transaction: if any of them refuses, nothing is
adopted. It then keeps the new plan as a baseline ("adopted scenario NAME") and deletes the
scenario, whose changes are now the plan. :func:`discard_scenario` just deletes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from pydantic import BaseModel, ConfigDict

from backcast.goals.models import Goal, Milestone
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.planning.engine import PlanResult
from backcast.planning.model import Plan
from backcast.planning.report import verdict
from backcast.planning.variance import Span, slip, weekly_load
from backcast.replanning.models import Baseline, Scenario
from backcast.services.goals import milestones as milestone_services
from backcast.services.goals.goals import clean_title, update_goal
from backcast.services.goals.resources import update_resource
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import InvalidInput
from backcast.services.replanning.baselines import MilestoneMove, accept_plan, moves
from backcast.services.replanning.scenario_changes import (
    Draft,
    apply_changes,
    check_goal_size,
    check_size,
    clean_changes,
    load_draft,
)
from backcast.services.reporting.plans import assemble_plan, cached_plan

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

NAME_LIMIT = 120


@dataclass(frozen=True, slots=True)
class Planned:
    """A draft planned: the engine's result (None with ``error`` when it cannot be planned)."""

    draft: Draft
    plan: Plan
    ids: dict[str, int]
    result: PlanResult | None
    error: str = ""


def plan_draft(draft: Draft, today: date) -> Planned:
    plan, ids = assemble_plan(draft.goal, draft.milestones, draft.links, draft.demands, today)
    try:
        return Planned(draft, plan, ids, cached_plan(plan))
    except InvalidInput as exc:
        return Planned(draft, plan, ids, None, exc.message)


class Outcome(BaseModel):
    """A plan's headline figures: what a what-if is judged by (the API answers them as they are)."""

    model_config = ConfigDict(frozen=True)

    feasible: bool
    start: date
    deadline: date
    required_start: date
    earliest_finish: date
    probability_on_time: float | None
    finish_p80: date | None
    verdict: str


def outcome(result: PlanResult) -> Outcome:
    risk = result.risk
    return Outcome(
        feasible=result.feasible,
        start=result.start,
        deadline=result.deadline,
        required_start=result.required_start,
        earliest_finish=result.earliest_finish,
        probability_on_time=risk.probability_on_time if risk else None,
        finish_p80=risk.finish_p80 if risk else None,
        verdict=verdict(result),
    )


@dataclass(frozen=True, slots=True)
class ResourceLoad:
    """One resource's load in unit-days a week (units a day times working days) in both plans.

    ``weeks`` are Mondays, from the first week either plan uses the resource to the last.
    """

    id: int
    name: str
    capacity_before: int
    capacity_after: int
    weeks: list[date]
    before: list[float]
    after: list[float]

    @property
    def rows(self) -> list[tuple[date, float, float]]:
        return list(zip(self.weeks, self.before, self.after, strict=True))


@dataclass(frozen=True, slots=True)
class Comparison:
    """The live plan (``current``) against the scenario's. Changes are the scenario's minus the
    live plan's: ``finish_change`` and ``required_start_change`` in working days (positive: later),
    ``probability_change`` in probability (positive: likelier on time)."""

    current: Outcome | None
    current_error: str
    scenario: Outcome | None
    scenario_error: str
    finish_change: int | None
    required_start_change: int | None
    probability_change: float | None
    milestones: list[MilestoneMove]
    resources: list[ResourceLoad]
    stale: list[str]
    notes: list[str]
    described: list[str]


def spans(p: Planned) -> dict[int, Span]:
    if p.result is None:
        return {}
    return {p.ids[m.id]: Span(m.start, m.finish) for m in p.result.milestones}


def loads(p: Planned) -> dict[int, dict[date, float]]:
    """Each resource's weekly load in the planned draft."""
    if p.result is None:
        return {}
    by_pk = {p.ids[m.id]: m for m in p.result.milestones}
    uses: dict[int, list[tuple[Span, float]]] = defaultdict(list)
    for d in p.draft.demands:
        m = by_pk[d.milestone_id]
        uses[d.resource_id].append((Span(m.start, m.finish), float(d.units)))
    return {rid: weekly_load(p.plan.calendar, rows) for rid, rows in uses.items()}


def resource_loads(now: Planned, then: Planned) -> list[ResourceLoad]:
    before, after = loads(now), loads(then)
    found = []
    for rid, resource in sorted(then.draft.resources.items(), key=lambda item: (item[1].name, item[0])):
        a, b = before.get(rid, {}), after.get(rid, {})
        weeks = sorted(set(a) | set(b))
        found.append(
            ResourceLoad(
                id=rid,
                name=resource.name,
                capacity_before=then.draft.capacity_before[rid],
                capacity_after=resource.capacity,
                weeks=weeks,
                before=[a.get(w, 0.0) for w in weeks],
                after=[b.get(w, 0.0) for w in weeks],
            )
        )
    return found


def compare_scenario(scenario: Scenario, today: date) -> Comparison:
    """The scenario's plan against the goal's live plan, both planned from ``today``."""
    base = load_draft(scenario.goal)
    changed = apply_changes(base, scenario.changes)
    now, then = plan_draft(base, today), plan_draft(changed, today)
    calendar = now.plan.calendar
    titles = {m.pk: m.title for m in base.milestones} | {m.pk: m.title for m in changed.milestones}
    finish = required = None
    probability = None
    if now.result is not None and then.result is not None:
        finish = slip(calendar, now.result.earliest_finish, then.result.earliest_finish)
        required = slip(calendar, now.result.required_start, then.result.required_start)
        if now.result.risk is not None and then.result.risk is not None:
            probability = then.result.risk.probability_on_time - now.result.risk.probability_on_time
    return Comparison(
        current=outcome(now.result) if now.result is not None else None,
        current_error=now.error,
        scenario=outcome(then.result) if then.result is not None else None,
        scenario_error=then.error,
        finish_change=finish,
        required_start_change=required,
        probability_change=probability,
        milestones=moves(calendar, spans(now), spans(then), titles),
        resources=resource_loads(now, then),
        stale=changed.stale,
        notes=changed.notes,
        described=describe(scenario.changes, base, changed),
    )


def days(n: int) -> str:
    return f"{n} working day" if n == 1 else f"{n} working days"


def describe(changes: Mapping[str, Any], base: Draft, changed: Draft) -> list[str]:
    """The scenario's changes in words, one line each, naming milestones and resources."""
    titles = {m.pk: m.title for m in base.milestones}
    names = {pk: r.name for pk, r in changed.resources.items()}

    def title(pk: int) -> str:
        return f"“{titles[pk]}”" if pk in titles else f"milestone {pk}"

    def listing(pks: list[int]) -> str:
        return ", ".join(title(pk) for pk in pks)

    lines = []
    if changes.get("deadline"):
        lines.append(f"Deadline moved to {changes['deadline']}")
    if changes.get("start"):
        lines.append(f"Work may start on {changes['start']}")
    for pk in changes.get("remove", []):
        lines.append(f"Remove {title(pk)}")
    for c in changes.get("capacity", []):
        name = names.get(c["resource"], f"resource {c['resource']}")
        lines.append(f"{name}: {c['capacity']} a day")
    for o in changes.get("milestones", []):
        parts = []
        if "duration" in o:
            parts.append(days(o["duration"]))
        if "estimate" in o:
            estimate = o["estimate"]
            parts.append(
                "no estimate" if estimate is None else "estimate {}-{}-{} working days".format(*estimate)
            )
        lines.append(f"{title(o['id'])}: {', '.join(parts)}")
    for a in changes.get("add", []):
        text = f"Add “{a['title']}”, {days(a['duration'])}"
        if a["after"]:
            text += f", after {listing(a['after'])}"
        if a["before"]:
            text += f", before {listing(a['before'])}"
        for rid, units in a["demand"].items():
            text += f", {units} {names.get(int(rid), f'resource {rid}')} a day"
        lines.append(text)
    return lines


@transaction.atomic
def create_scenario(actor: AnyUser, goal_id: int, data: Mapping[str, Any]) -> Scenario:
    """Save a what-if of the goal's plan (owners and admins): a ``name`` and its ``changes``.

    The changed plan must be one the engine can plan (the fault is given at ``changes``
    otherwise); names are unique in a goal. Changes past a scenario's limits, or that would take
    the goal past its own (``backcast.limits``), are refused before anything is written.
    """
    goal = get_for(Goal.objects.select_related("organization"), actor, Action.PLAN, pk=goal_id)
    name = clean_title(data.get("name"), "name", NAME_LIMIT)
    if Scenario.objects.filter(goal=goal, name__iexact=name).exists():
        raise InvalidInput(f"there is already a scenario called {name!r}", "name")
    changes = clean_changes(goal, data.get("changes"))
    draft = apply_changes(load_draft(goal), changes)
    if draft.stale:
        raise InvalidInput(draft.stale[0], "changes")
    check_goal_size(draft)
    result = plan_draft(draft, org_today(goal.organization))
    if result.result is None:
        raise InvalidInput(f"the changed plan cannot be planned: {result.error}", "changes")
    return Scenario.objects.create(
        goal=goal, name=name, created_by_id=user_pk(actor) or None, changes=changes
    )


@contextmanager
def step(what: str) -> Iterator[None]:
    """Say which change of the scenario a service refused."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", "changes") from exc


@transaction.atomic
def adopt_scenario(actor: AnyUser, scenario_id: int) -> Baseline:
    """Make the scenario's changes the goal's plan, all or nothing, and keep that plan as a baseline.

    In order: the goal's dates, removals, capacities, milestone overrides, additions (with their
    links). Each goes through its own service with its own checks; any refusal (``InvalidInput``
    at ``changes``, naming the change) rolls back every change made before it. A scenario with
    stale changes is refused whole, and so is one larger than a scenario may now hold (kept from
    before the limits), so the transaction stays short. Returns the new baseline; the scenario is
    deleted.
    """
    scenario = get_for(Scenario.objects.select_for_update(), actor, Action.PLAN, pk=scenario_id)
    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=scenario.goal_id)
    changes = scenario.changes
    check_size(changes)
    draft = apply_changes(load_draft(goal), changes)
    if draft.stale:
        raise InvalidInput(f"{draft.stale[0]}; discard this scenario and make another", "changes")
    dates = {key: date.fromisoformat(changes[key]) for key in ("deadline", "start") if changes.get(key)}
    if dates:
        with step("the goal's dates"):
            update_goal(actor, goal.pk, dates)
    for pk in changes["remove"]:
        if Milestone.objects.filter(pk=pk).exists():  # a sub-milestone may have gone with its parent
            milestone_services.delete_milestone(actor, pk)
    names = {r.pk: r.name for r in draft.resources.values()}
    for c in changes["capacity"]:
        with step(f"the capacity of {names[c['resource']]}"):
            update_resource(actor, c["resource"], {"capacity": c["capacity"]})
    for o in changes["milestones"]:
        with step(f"milestone {o['id']}"):
            milestone_services.update_milestone(
                actor, o["id"], {k: o[k] for k in ("duration", "estimate") if k in o}
            )
    for a in changes["add"]:
        with step(f"the new milestone {a['title']!r}"):
            data = {
                "title": a["title"],
                "duration": a["duration"],
                "after": a["after"],
                "demand": a["demand"],
            }
            if a.get("estimate"):
                data["estimate"] = a["estimate"]
            new = milestone_services.add_milestone(actor, goal.pk, data)
            for succ in a["before"]:
                milestone_services.add_dependency(actor, goal.pk, {"predecessor": new.pk, "successor": succ})
    baseline = accept_plan(actor, goal.pk, f"adopted scenario {scenario.name}")
    scenario.delete()
    return baseline


@transaction.atomic
def discard_scenario(actor: AnyUser, scenario_id: int) -> None:
    """Throw a scenario away (owners and admins); the goal is untouched."""
    get_for(Scenario.objects.all(), actor, Action.PLAN, pk=scenario_id).delete()
