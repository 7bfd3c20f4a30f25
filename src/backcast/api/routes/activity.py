"""The audit trail (a goal's and an organisation's activity, one object's history) and the trash."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from backcast.activity.models import Event
from backcast.api.activity_schemas import EventOut, RestoredOut, TrashItemOut
from backcast.api.inputs import Pagination
from backcast.api.schemas import Error
from backcast.services.goals import trash as trash_services
from backcast.services.reporting import activity as activity_services

router = Router(tags=["activity"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}
FILTERS = (
    "Newest first. `kind` keeps one kind of object (goal, kpi, checkpoint, milestone, dependency, "
    "demand, resource, checkin, comment, baseline, scenario, membership, team); `person` the "
    "changes of one user (id)."
)


@router.get(
    "/goals/{goal_id}/activity",
    response={200: list[EventOut], **ERRORS},
    summary="Every change to a goal and what is under it",
    description=FILTERS,
)
@paginate(Pagination)
def goal_activity(
    request: HttpRequest, goal_id: int, kind: str | None = None, person: int | None = None
) -> QuerySet[Event]:
    filters = activity_services.FeedFilter.parse(kind, person)
    return activity_services.goal_activity(request.user, goal_id, filters)[1]


@router.get(
    "/organizations/{slug}/activity",
    response={200: list[EventOut], **ERRORS},
    summary="Every change in an organisation, deleted goals' included",
    description=FILTERS,
)
@paginate(Pagination)
def organization_activity(
    request: HttpRequest, slug: str, kind: str | None = None, person: int | None = None
) -> QuerySet[Event]:
    filters = activity_services.FeedFilter.parse(kind, person)
    return activity_services.organization_activity(request.user, slug, filters)[1]


@router.get(
    "/goals/{goal_id}/history", response={200: list[EventOut], **ERRORS}, summary="A goal's own changes"
)
@paginate(Pagination)
def goal_history(request: HttpRequest, goal_id: int) -> QuerySet[Event]:
    return activity_services.history(request.user, "goal", goal_id)


@router.get(
    "/milestones/{milestone_id}/history",
    response={200: list[EventOut], **ERRORS},
    summary="A milestone's own changes (also while it is in the trash)",
)
@paginate(Pagination)
def milestone_history(request: HttpRequest, milestone_id: int) -> QuerySet[Event]:
    return activity_services.history(request.user, "milestone", milestone_id)


@router.get("/kpis/{kpi_id}/history", response={200: list[EventOut], **ERRORS}, summary="A KPI's own changes")
@paginate(Pagination)
def kpi_history(request: HttpRequest, kpi_id: int) -> QuerySet[Event]:
    return activity_services.history(request.user, "kpi", kpi_id)


@router.get(
    "/organizations/{slug}/trash",
    response={200: list[TrashItemOut], **ERRORS},
    summary=f"Deleted goals and milestones, restorable for {trash_services.retention_words()}",
)
@paginate(Pagination)
def trash(request: HttpRequest, slug: str) -> list[TrashItemOut]:
    _, items = trash_services.trash_of(request.user, slug)
    return [
        TrashItemOut(
            kind=i.kind,
            id=i.id,
            title=i.title,
            goal=i.goal_id,
            goal_title=i.goal_title,
            deleted_at=i.deleted_at,
            deleted_by=i.deleted_by,
            purge_at=i.purge_at,
        )
        for i in items
    ]


@router.post(
    "/goals/{goal_id}/restore",
    response={200: RestoredOut, **ERRORS},
    summary="Take a goal out of the trash (owners and admins)",
)
def restore_goal(request: HttpRequest, goal_id: int) -> RestoredOut:
    goal = trash_services.restore_goal(request.user, goal_id)
    return RestoredOut(kind="goal", id=goal.pk, title=goal.title)


@router.post(
    "/milestones/{milestone_id}/restore",
    response={200: RestoredOut, **ERRORS},
    summary="Take a milestone out of the trash (owners and admins); 400 while its goal is in it",
)
def restore_milestone(request: HttpRequest, milestone_id: int) -> RestoredOut:
    milestone = trash_services.restore_milestone(request.user, milestone_id)
    return RestoredOut(kind="milestone", id=milestone.pk, title=milestone.title)
