"""Baselines (accepted plans), the live plan's variance against them, and what-if scenarios."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from backcast import limits
from backcast.api.inputs import Pagination
from backcast.api.replanning_schemas import (
    BaselineDetailOut,
    BaselineIn,
    BaselineOut,
    ScenarioDetailOut,
    ScenarioIn,
    ScenarioOut,
    VarianceOut,
)
from backcast.api.schemas import Created, Error
from backcast.goals.models import Goal
from backcast.organizations.tenancy import Action, get_for
from backcast.replanning.models import Baseline, Scenario
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import InvalidInput
from backcast.services.replanning import baselines, scenarios
from backcast.services.replanning.baselines import Variance

router = Router(tags=["re-planning"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


@router.get(
    "/goals/{goal_id}/baselines",
    response={200: list[BaselineOut], **ERRORS},
    summary="The goal's baselines, newest first",
)
@paginate(Pagination)
def list_baselines(request: HttpRequest, goal_id: int) -> QuerySet[Baseline]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return goal.baselines.select_related("taken_by").order_by("-number")


@router.post(
    "/goals/{goal_id}/baselines",
    response={201: Created, **ERRORS},
    summary="Accept the live plan as the goal's next baseline (owners and admins)",
    description=(
        "Freezes the plan as GET /goals/{id}/plan answers it now, with who and `reason`. The first "
        "baseline is the plan everyone agreed on; after a slip, accept again with the reason. "
        "Baselines are kept for good. 400 while the goal cannot be planned."
    ),
)
def accept_plan(request: HttpRequest, goal_id: int, payload: BaselineIn) -> Status[Created]:
    baseline = baselines.accept_plan(request.user, goal_id, payload.reason)
    return Status(201, Created(id=baseline.pk))


@router.get("/baselines/{baseline_id}", response={200: BaselineDetailOut, **ERRORS}, summary="One baseline")
def get_baseline(request: HttpRequest, baseline_id: int) -> Baseline:
    return get_for(Baseline.objects.select_related("taken_by"), request.user, Action.VIEW, pk=baseline_id)


@router.get(
    "/goals/{goal_id}/variance",
    response={200: VarianceOut, **ERRORS},
    summary="The live plan against a baseline",
    description=(
        "Each milestone's baseline and current dates and its slip in working days (positive: "
        "later), the milestones added and removed since, and how the deadline, the required start, "
        "the earliest finish and the probability of finishing on time moved. `baseline` is a "
        "baseline id of this goal (default: the latest); 400 when the goal has none."
    ),
)
def get_variance(request: HttpRequest, goal_id: int, baseline: int | None = None) -> Variance:
    goal = get_for(Goal.objects.select_related("organization"), request.user, Action.VIEW, pk=goal_id)
    if baseline is None:
        chosen = baselines.latest_baseline(goal)
        if chosen is None:
            raise InvalidInput("the goal has no baseline yet: accept its plan first", "baseline")
    else:
        found = goal.baselines.select_related("taken_by").filter(pk=baseline).first()
        if found is None:
            raise InvalidInput(f"no baseline {baseline} of this goal", "baseline")
        chosen = found
    return baselines.variance(goal, chosen, org_today(goal.organization))


@router.get(
    "/goals/{goal_id}/scenarios",
    response={200: list[ScenarioOut], **ERRORS},
    summary="The goal's what-if scenarios",
)
@paginate(Pagination)
def list_scenarios(request: HttpRequest, goal_id: int) -> QuerySet[Scenario]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return goal.scenarios.select_related("created_by")


@router.post(
    "/goals/{goal_id}/scenarios",
    response={201: Created, **ERRORS},
    summary="Try changes on a copy of the goal's plan (owners and admins)",
    description=(
        "Nothing of the goal changes. `changes`: per-milestone `duration`/`estimate` overrides, "
        "milestones to `add` (finish-to-start `after` and `before` existing ones, with `demand`), "
        "milestones to `remove`, resource `capacity` overrides, a new `deadline` or `start`. "
        "Faults name the change, e.g. `changes.milestones[0].duration`. Limits, so that adopting "
        f"stays one short transaction: at most {limits.SCENARIO_MILESTONES:,} milestones changed, "
        f"added and removed together, of which {limits.SCENARIO_NEW_MILESTONES:,} added, with "
        f"{limits.SCENARIO_NEW_LINKS:,} links (`after` and `before`) in all; "
        f"{limits.SCENARIO_CAPACITIES:,} capacities; and the goal with the changes within its own "
        f"limits ({limits.GOAL_MILESTONES:,} milestones, {limits.GOAL_DEPENDENCIES:,} dependencies). "
        "A larger scenario is refused whole (422 for one list too long, 400 naming the limit "
        "otherwise) and nothing is written."
    ),
)
def create_scenario(request: HttpRequest, goal_id: int, payload: ScenarioIn) -> Status[Created]:
    scenario = scenarios.create_scenario(request.user, goal_id, payload.dict(exclude_unset=True))
    return Status(201, Created(id=scenario.pk))


@router.get(
    "/scenarios/{scenario_id}",
    response={200: ScenarioDetailOut, **ERRORS},
    summary="A scenario with its comparison against the live plan",
    description=(
        "Finish, required start, probability on time and each resource's weekly load (unit-days) "
        "of the live plan and of the scenario's, and how each milestone moves."
    ),
)
def get_scenario(request: HttpRequest, scenario_id: int) -> Scenario:
    return get_for(
        Scenario.objects.select_related("created_by", "goal__organization"),
        request.user,
        Action.VIEW,
        pk=scenario_id,
    )


@router.post(
    "/scenarios/{scenario_id}/adopt",
    response={201: Created, **ERRORS},
    summary="Make the scenario the goal's plan, and keep it as a baseline",
    description=(
        "Applies every change through the same rules as the milestone, goal and resource routes, "
        "all or nothing, then accepts the new plan as a baseline ('adopted scenario NAME'; its id "
        "is answered) and deletes the scenario. A scenario kept from before the limits that holds "
        "more changes than a new one may is refused (400): discard it and make smaller ones."
    ),
)
def adopt_scenario(request: HttpRequest, scenario_id: int) -> Status[Created]:
    baseline = scenarios.adopt_scenario(request.user, scenario_id)
    return Status(201, Created(id=baseline.pk))


@router.delete("/scenarios/{scenario_id}", response={204: None, **ERRORS}, summary="Discard a scenario")
def discard_scenario(request: HttpRequest, scenario_id: int) -> Status[None]:
    scenarios.discard_scenario(request.user, scenario_id)
    return Status(204, None)
