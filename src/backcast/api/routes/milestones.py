"""Milestones, with their dependencies and demand."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from backcast import limits
from backcast.api.goal_schemas import (
    DependencyIn,
    DependencyOut,
    MilestoneConflict,
    MilestoneIn,
    MilestoneOut,
    MilestonePatch,
)
from backcast.api.inputs import Pagination
from backcast.api.schemas import Created, Error
from backcast.api.versions import IfMatch, etag, expected_version
from backcast.goals.models import Demand, Dependency, Goal, Milestone
from backcast.organizations.tenancy import Action, get_for
from backcast.services.goals import milestones as milestone_services

router = Router(tags=["milestones"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}
Milestones = TypeVar("Milestones", bound=QuerySet[Milestone])


def milestones_read(milestones: Milestones) -> Milestones:
    """``milestones`` as ``MilestoneOut`` reads them: with their owners, links (in the order they
    were made) and demand, in three queries whatever their number."""
    return (
        milestones.select_related("owner")
        .prefetch_related(Prefetch("predecessor_links", queryset=Dependency.objects.order_by("id")))
        .prefetch_related(Prefetch("demands", queryset=Demand.objects.select_related("resource")))
    )


def after_data(data: dict[str, Any]) -> dict[str, Any]:
    """Links as the service takes them: ids or {id, lag, type} dicts."""
    if data.get("after") is not None:
        data["after"] = [a if isinstance(a, int) else dict(a) for a in data["after"]]
    return data


@router.get(
    "/goals/{goal_id}/milestones",
    response={200: list[MilestoneOut], **ERRORS},
    summary="Milestones of a goal",
)
@paginate(Pagination)
def list_milestones(request: HttpRequest, goal_id: int) -> QuerySet[Milestone]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return milestones_read(goal.milestones.all())


GOAL_LIMITS = (
    f"A goal holds at most {limits.GOAL_MILESTONES:,} milestones and {limits.GOAL_DEPENDENCIES:,} "
    "dependencies: past either, the request is refused with 400 naming the limit and nothing is written."
)


@router.post(
    "/goals/{goal_id}/milestones",
    response={201: Created, **ERRORS},
    summary="Add a milestone",
    description=f"With its dependencies (`after`) and demand, all or nothing. {GOAL_LIMITS}",
)
def create_milestone(request: HttpRequest, goal_id: int, payload: MilestoneIn) -> Status[Created]:
    milestone = milestone_services.add_milestone(
        request.user, goal_id, after_data(payload.dict(exclude_unset=True))
    )
    return Status(201, Created(id=milestone.pk))


def current_milestone(request: HttpRequest, milestone_id: int) -> MilestoneOut:
    """The milestone as ``GET /milestones/{id}`` answers it (also the ``current`` of a 409)."""
    milestones = milestones_read(Milestone.objects.all())
    return MilestoneOut.model_validate(get_for(milestones, request.user, Action.VIEW, pk=milestone_id))


@router.get(
    "/milestones/{milestone_id}",
    response={200: MilestoneOut, **ERRORS},
    summary="One milestone",
    description='With its version as the `ETag` header ("v3"), for `If-Match` on a PATCH.',
)
def get_milestone(request: HttpRequest, response: HttpResponse, milestone_id: int) -> MilestoneOut:
    milestone = current_milestone(request, milestone_id)
    response["ETag"] = etag(milestone.version)
    return milestone


@router.patch(
    "/milestones/{milestone_id}",
    response={200: MilestoneOut, 409: MilestoneConflict, **ERRORS},
    summary="Change a milestone",
    description=(
        "Only the fields sent change (`after` and `demand` replace the milestone's links and "
        "demand). `version` in the body or `If-Match` with the GET's ETag: if someone else "
        "changed the milestone since (its links included), nothing is written and the answer is "
        "409 with the current milestone. Without either, a blind write."
    ),
)
def patch_milestone(
    request: HttpRequest,
    response: HttpResponse,
    milestone_id: int,
    payload: MilestonePatch,
    if_match: IfMatch = None,
) -> MilestoneOut:
    data = after_data(payload.dict(exclude_unset=True))
    expected = expected_version(data.pop("version", None), if_match)
    milestone_services.update_milestone(request.user, milestone_id, data, expected_version=expected)
    milestone = current_milestone(request, milestone_id)
    response["ETag"] = etag(milestone.version)
    return milestone


@router.delete("/milestones/{milestone_id}", response={204: None, **ERRORS}, summary="Delete a milestone")
def delete_milestone(request: HttpRequest, milestone_id: int) -> Status[None]:
    milestone_services.delete_milestone(request.user, milestone_id)
    return Status(204, None)


@router.get(
    "/goals/{goal_id}/dependencies",
    response={200: list[DependencyOut], **ERRORS},
    summary="Dependencies between the goal's milestones",
)
@paginate(Pagination)
def list_dependencies(request: HttpRequest, goal_id: int) -> QuerySet[Dependency]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return Dependency.objects.filter(successor__goal=goal).order_by("pk")


@router.post(
    "/goals/{goal_id}/dependencies",
    response={201: Created, **ERRORS},
    summary="Add a dependency (refused if it would close a cycle)",
    description=GOAL_LIMITS,
)
def create_dependency(request: HttpRequest, goal_id: int, payload: DependencyIn) -> Status[Created]:
    dependency = milestone_services.add_dependency(request.user, goal_id, payload.dict())
    return Status(201, Created(id=dependency.pk))


@router.delete("/dependencies/{dependency_id}", response={204: None, **ERRORS}, summary="Remove a dependency")
def delete_dependency(request: HttpRequest, dependency_id: int) -> Status[None]:
    milestone_services.remove_dependency(request.user, dependency_id)
    return Status(204, None)
