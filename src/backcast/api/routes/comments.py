"""Comments on goals and their milestones."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from backcast.api.goal_schemas import CommentIn, CommentOut, CommentPatch
from backcast.api.inputs import Pagination
from backcast.api.schemas import Created, Error
from backcast.goals.models import Comment, Goal
from backcast.organizations.tenancy import Action, get_for
from backcast.services.goals import comments as comment_services

router = Router(tags=["comments"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


@router.get(
    "/goals/{goal_id}/comments", response={200: list[CommentOut], **ERRORS}, summary="Comments, oldest first"
)
@paginate(Pagination)
def list_comments(request: HttpRequest, goal_id: int) -> QuerySet[Comment]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return goal.comments.select_related("author")


@router.post("/goals/{goal_id}/comments", response={201: Created, **ERRORS}, summary="Comment on a goal")
def create_comment(request: HttpRequest, goal_id: int, payload: CommentIn) -> Status[Created]:
    comment = comment_services.add_comment(request.user, goal_id, payload.dict())
    return Status(201, Created(id=comment.pk))


@router.patch("/comments/{comment_id}", response={200: CommentOut, **ERRORS}, summary="Edit your comment")
def patch_comment(request: HttpRequest, comment_id: int, payload: CommentPatch) -> Comment:
    return comment_services.edit_comment(request.user, comment_id, payload.dict())


@router.delete("/comments/{comment_id}", response={204: None, **ERRORS}, summary="Delete a comment")
def delete_comment(request: HttpRequest, comment_id: int) -> Status[None]:
    comment_services.delete_comment(request.user, comment_id)
    return Status(204, None)
