"""Milestones, with their dependencies and demand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.pagination import paginate

from backcast import limits
from backcast.api.goal_schemas import (
    DependencyIn,
    DependencyOut,
    Link,
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


def milestones_out(milestones: Iterable[Milestone]) -> list[MilestoneOut]:
    """Milestones with their links and demand, in three queries whatever their number."""
    rows = list(milestones)
    links: dict[int, list[Link]] = defaultdict(list)
    demand: dict[int, dict[str, int]] = defaultdict(dict)

    for dep in Dependency.objects.filter(successor__in=rows).order_by("id"):
        links[dep.successor_id].append(Link(id=dep.predecessor_id, type=dep.kind, lag=dep.lag))
    for d in Demand.objects.filter(milestone__in=rows).select_related("resource"):
        demand[d.milestone_id][d.resource.name] = d.units
    return [
        MilestoneOut(
            id=m.pk,
            goal=m.goal_id,
            title=m.title,
            owner=m.owner.email if m.owner else None,
            duration=m.duration,
            estimate=[m.optimistic, m.likely, m.pessimistic] if m.likely is not None else None,  # type: ignore[list-item]
            after=links[m.pk],
            demand=demand[m.pk],
            pinned_start=m.pinned_start,
            pinned_finish=m.pinned_finish,
            parent=m.parent_id,
            status=m.status,
            actual_start=m.actual_start,
            actual_finish=m.actual_finish,
            version=m.version,
        )
        for m in rows
    ]


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
def list_milestones(request: HttpRequest, goal_id: int) -> list[MilestoneOut]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return milestones_out(goal.milestones.select_related("owner"))


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
    milestone = get_for(Milestone.objects.select_related("owner"), request.user, Action.VIEW, pk=milestone_id)
    return milestones_out([milestone])[0]


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
def list_dependencies(request: HttpRequest, goal_id: int) -> list[DependencyOut]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return [
        DependencyOut(id=d.pk, predecessor=d.predecessor_id, successor=d.successor_id, type=d.kind, lag=d.lag)
        for d in Dependency.objects.filter(successor__goal=goal).order_by("pk")
    ]


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
