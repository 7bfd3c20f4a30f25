"""Goals and their check-ins."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.responses import NinjaJSONEncoder

from backcast.api.auth import GOAL_LIST_AUTH
from backcast.api.goal_schemas import (
    CheckInIn,
    CheckInOut,
    GoalConflict,
    GoalIn,
    GoalOut,
    GoalPatch,
)
from backcast.api.inputs import Pagination
from backcast.api.page_cache import GOAL_PAGES
from backcast.api.plan_schemas import HealthOut, PlanOut
from backcast.api.schemas import Created, Error
from backcast.api.versions import IfMatch, etag, expected_version
from backcast.goals.models import CheckIn, Goal
from backcast.organizations.tenancy import Action, TenantQuerySet, get_for
from backcast.planning.health import Health
from backcast.services.goals import checkins as checkin_services
from backcast.services.goals import goals as goal_services
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment, goal_list
from backcast.services.reporting import plans as plan_services

router = Router(tags=["goals"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


def goals_for(request: HttpRequest) -> TenantQuerySet[Goal]:
    return (
        Goal.objects.restrict(request.user)
        .select_related("organization", "owner", "team")
        .prefetch_related("contributors")
    )


class PagedGoalOut(Schema):
    items: list[GoalOut]
    count: int


class GoalListQuery(Pagination.Input):
    organization: str | None = Field(None, description="Only this organisation's goals (its slug)")
    team: str | None = Field(None, description="Only this team's goals (its slug)")


@router.get(
    "/goals",
    response={200: PagedGoalOut, 304: None},
    auth=GOAL_LIST_AUTH,
    summary="Goals you can see",
    description=(
        "A page of goals in deadline order, with their progress. Answered with a weak `ETag`: "
        "send it back in `If-None-Match` and, while none of the listed goals changed, the "
        "answer is 304 with no body."
    ),
)
def list_goals(request: HttpRequest, query: Query[GoalListQuery]) -> HttpResponse:
    """The page as rendered before while the list's state is unchanged (``api.page_cache``).

    Otherwise only the page asked for is read, with progress from the stored summaries (see
    ``GoalListing``), and rendered once for every poll until the next change.
    """
    listed = getattr(request, "goal_list_state", None)  # read with the token
    if listed is None:
        listed = goal_list.list_state(request.user)  # a session

    def render() -> bytes:
        goals = Goal.objects.restrict(request.user)
        if query.organization:
            goals = goals.filter(organization__slug=query.organization)
        if query.team:
            goals = goals.filter(team__slug=query.team)
        listing = goal_list.GoalListing(goals)
        # Listed goals as GoalOut without its resolvers (they read a Goal): the SMART check is null.
        items = [
            GoalOut.model_construct(**dict(g)) for g in listing[query.offset : query.offset + query.limit]
        ]
        return json.dumps({"items": items, "count": len(listing)}, cls=NinjaJSONEncoder).encode()

    return GOAL_PAGES.respond(request, (listed, query), render)


@router.post("/goals", response={201: Created, **ERRORS}, summary="Create a goal (owners and admins)")
def create_goal(request: HttpRequest, payload: GoalIn) -> Status[Created]:
    data = payload.dict(exclude_unset=True)
    organization = data.pop("organization", None)
    goal = goal_services.create_goal(request.user, data, organization)
    return Status(201, Created(id=goal.pk))


def current_goal(request: HttpRequest, goal_id: int) -> GoalOut:
    """The goal as ``GET /goals/{id}`` answers it (also the ``current`` of a 409)."""
    return GoalOut.model_validate(get_for(goals_for(request), request.user, Action.VIEW, pk=goal_id))


@router.get(
    "/goals/{goal_id}",
    response={200: GoalOut, **ERRORS},
    summary="One goal",
    description='With its version as the `ETag` header ("v3"), for `If-Match` on a PATCH.',
)
def get_goal(request: HttpRequest, response: HttpResponse, goal_id: int) -> GoalOut:
    goal = current_goal(request, goal_id)
    response["ETag"] = etag(goal.version)
    return goal


@router.patch(
    "/goals/{goal_id}",
    response={200: GoalOut, 409: GoalConflict, **ERRORS},
    summary="Change a goal",
    description=(
        "Only the fields sent change. Say which version the change is made from (`version` in "
        "the body or `If-Match` with the GET's ETag): if someone else changed the goal since, "
        "nothing is written and the answer is 409 with the current goal. Without either, a blind write."
    ),
)
def patch_goal(
    request: HttpRequest,
    response: HttpResponse,
    goal_id: int,
    payload: GoalPatch,
    if_match: IfMatch = None,
) -> GoalOut:
    data = payload.dict(exclude_unset=True)
    expected = expected_version(data.pop("version", None), if_match)
    goal_services.update_goal(request.user, goal_id, data, expected_version=expected)
    goal = current_goal(request, goal_id)
    response["ETag"] = etag(goal.version)
    return goal


@router.delete("/goals/{goal_id}", response={204: None, **ERRORS}, summary="Delete a goal")
def delete_goal(request: HttpRequest, goal_id: int) -> Status[None]:
    goal_services.delete_goal(request.user, goal_id)
    return Status(204, None)


@router.get(
    "/goals/{goal_id}/checkins", response={200: list[CheckInOut], **ERRORS}, summary="Check-ins, newest first"
)
@paginate(Pagination)
def list_checkins(request: HttpRequest, goal_id: int) -> QuerySet[CheckIn]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return goal.checkins.select_related("author")


@router.post("/goals/{goal_id}/checkins", response={201: Created, **ERRORS}, summary="Post a check-in")
def create_checkin(request: HttpRequest, goal_id: int, payload: CheckInIn) -> Status[Created]:
    checkin = checkin_services.post_checkin(request.user, goal_id, payload.dict())
    return Status(201, Created(id=checkin.pk))


@router.get(
    "/goals/{goal_id}/plan",
    response={200: PlanOut, **ERRORS},
    summary="The goal's plan, worked back from its deadline",
    description=(
        "The planning engine's verdict and dates for the goal's milestones (levelled against "
        "resource capacity when milestones use resources), with the schedule risk. Recomputed "
        "whenever a milestone, dependency, demand, capacity or date changes. 400 when the goal "
        "cannot be planned yet (no milestones)."
    ),
)
def get_plan(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return plan_services.plan_json(plan_services.goal_plan(goal, org_today(goal.organization)))


@router.get(
    "/goals/{goal_id}/health",
    response={200: HealthOut, **ERRORS},
    summary="The goal's health and the reasons behind it",
    description=(
        "on_track, at_risk or off_track, from KPI actuals against their interim targets, KPI "
        "forecasts at the deadline, milestones past their planned finish, slack, capacity, the "
        "probability of finishing on time and the latest check-in's confidence."
    ),
)
def get_health(request: HttpRequest, goal_id: int) -> Health:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return assessment.goal_health(goal, org_today(goal.organization))
