"""A goal's plan: its milestones, dependencies and resources handed to the planning engine.

The engine is pure; this module gathers what it needs from the database in a fixed number of
queries, names milestones and resources so the engine's messages read well, and caches the
result under a digest of everything the plan depends on. A change to any milestone, dependency,
demand, capacity, date or today changes the digest, so a stale plan is never served and nothing
has to remember to invalidate it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import cache

from backcast.goals.models import Demand, Dependency, Goal, Milestone
from backcast.planning.engine import PlanResult, plan_backward
from backcast.planning.model import Dependency as PlanDependency
from backcast.planning.model import Kind, Plan, PlanError, Resource
from backcast.planning.model import Milestone as PlanMilestone
from backcast.planning.report import as_json
from backcast.services.platform.errors import InvalidInput

# Schedule-risk runs for a goal's plan: enough for percentiles to two figures, fast on any plan
# a team keeps by hand, and seeded so the same plan always shows the same probability.
RISK_RUNS = 2000
RISK_SEED = 0
CACHE_SECONDS = 24 * 3600
KIND: dict[str, Kind] = {"FS": "FS", "SS": "SS", "FF": "FF"}


@dataclass(frozen=True, slots=True)
class GoalPlan:
    """The engine's result and how its milestone names map back to milestone ids."""

    result: PlanResult
    milestone_ids: dict[str, int]


def build_plan(goal: Goal, today: date) -> tuple[Plan, dict[str, int]]:
    """The engine's :class:`Plan` for ``goal`` and the milestone id behind each plan name (3 queries)."""
    return assemble_plan(goal, *load_rows(goal), today)


def load_rows(goal: Goal) -> tuple[list[Milestone], list[tuple[int, int, str, int]], list[Demand]]:
    """The rows a goal's plan is built from, in the order :func:`assemble_plan` expects (3 queries)."""
    milestones = list(Milestone.objects.filter(goal=goal).order_by("pk"))
    links = sorted(
        Dependency.objects.filter(successor__goal=goal).values_list(
            "predecessor_id", "successor_id", "kind", "lag"
        )
    )
    demands = list(
        Demand.objects.filter(milestone__goal=goal).select_related("resource").order_by("resource_id")
    )
    return milestones, links, demands


def assemble_plan(
    goal: Goal,
    milestones: Sequence[Milestone],
    links: Iterable[tuple[int, int, str, int]],
    demands: Iterable[Demand],
    today: date,
) -> tuple[Plan, dict[str, int]]:
    """The plan from rows already loaded (milestones in id order, links sorted, demands by resource).

    Milestones are named by their titles (``title (#id)`` when two share one) so overload
    messages are readable; resources by name likewise. Work may start on the goal's start date,
    or today when it has none. A pinned start means "start no earlier than", a pinned finish
    "finish no later than". Pages that show many goals load the rows of all of them at once
    and call this per goal, so every plan of a goal is the same plan, with the same cache key.
    """
    demands = list(demands)
    titles = Counter(m.title for m in milestones)
    name = {m.pk: m.title if titles[m.title] == 1 else f"{m.title} (#{m.pk})" for m in milestones}
    resources = {d.resource_id: d.resource for d in demands}
    res_titles = Counter(r.name for r in resources.values())
    res_name = {pk: r.name if res_titles[r.name] == 1 else f"{r.name} (#{pk})" for pk, r in resources.items()}
    after: dict[int, list[PlanDependency]] = {m.pk: [] for m in milestones}
    for pred, succ, kind, lag in links:
        after[succ].append(PlanDependency(name[pred], lag, KIND[kind]))
    demand: dict[int, dict[str, float]] = {m.pk: {} for m in milestones}
    for d in demands:
        demand[d.milestone_id][res_name[d.resource_id]] = d.units
    plan = Plan(
        goal=goal.title,
        deadline=goal.deadline,
        start=goal.start or today,
        milestones=tuple(
            PlanMilestone(
                id=name[m.pk],
                title=m.title,
                duration=m.duration,
                estimate=estimate_of(m),
                demand=demand[m.pk],
                after=tuple(after[m.pk]),
                not_before=m.pinned_start,
                not_after=m.pinned_finish,
            )
            for m in milestones
        ),
        resources=tuple(Resource(res_name[pk], r.capacity, r.name) for pk, r in sorted(resources.items())),
    )
    return plan, {name[m.pk]: m.pk for m in milestones}


def estimate_of(m: Milestone) -> tuple[float, float, float] | None:
    """The three-point estimate when all three are set."""
    if m.optimistic is None or m.likely is None or m.pessimistic is None:
        return None
    return (m.optimistic, m.likely, m.pessimistic)


def goal_plan(goal: Goal, today: date) -> GoalPlan:
    """The goal's current plan with its schedule risk, from the cache when nothing changed.

    ``InvalidInput`` (field ``plan``) when the goal cannot be planned yet: no milestones, or a
    deadline before the start.
    """
    plan, ids = build_plan(goal, today)
    return GoalPlan(cached_plan(plan), ids)


def cached_plan(plan: Plan) -> PlanResult:
    """The engine's result for ``plan``, from the cache when the very same plan was planned before.

    ``InvalidInput`` (field ``plan``) when it cannot be planned, e.g. it has no milestones.
    """
    key = "plan:" + hashlib.sha256(repr((plan, RISK_RUNS, RISK_SEED)).encode()).hexdigest()
    result = cache.get(key)
    if not isinstance(result, PlanResult):
        try:
            result = plan_backward(plan, runs=RISK_RUNS, risk_seed=RISK_SEED)
        except PlanError as exc:
            raise InvalidInput(exc.message, "plan") from exc
        cache.set(key, result, CACHE_SECONDS)
    return result


def plan_json(goal_plan: GoalPlan) -> dict[str, Any]:
    """The engine's JSON with milestone ids in place of plan names (and the names kept as titles)."""
    ids = goal_plan.milestone_ids
    data = as_json(goal_plan.result)
    for m in data["milestones"]:
        m["id"] = ids[m["id"]]
    data["critical_path"] = [ids[n] for n in data["critical_path"]]
    for o in data["overloads"]:
        o["milestones"] = [ids[n] for n in o["milestones"]]
    return data
