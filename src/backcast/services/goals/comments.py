"""Comments on goals and their milestones: the conversation next to the plan.

Contributors and up may comment; an author may edit or delete their own comment, owners and
admins may delete any (moderation). Bodies are plain text, stored as typed and always shown
escaped; ``@handles`` in them notify the members they name (:mod:`backcast.services.notify.mentions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.timezone import now

from backcast import limits
from backcast.goals.models import Comment, Goal, Milestone
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.notify.mentions import notify_mentions
from backcast.services.platform.errors import InvalidInput

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

MAX_BODY = limits.TEXT_LENGTH


def clean_body(value: Any) -> str:
    """The comment's text, trimmed; empty or over-long text is refused."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must not be empty", "body")
    body = value.strip()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"must be at most {MAX_BODY:,} characters, not {len(body):,}", "body")
    return body


@transaction.atomic
def add_comment(actor: AnyUser, goal_id: int, data: dict[str, Any]) -> Comment:
    """Comment on a goal, or on one of its milestones with ``milestone``."""
    goal = get_for(Goal.objects.all(), actor, Action.CONTRIBUTE, pk=goal_id)
    body = clean_body(data.get("body"))
    milestone = None
    ident = data.get("milestone")
    if ident is not None:
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise InvalidInput(f"must be a milestone id, got {ident!r}", "milestone")
        milestone = Milestone.objects.filter(goal=goal, pk=ident).first()
        if milestone is None:
            raise InvalidInput(f"no milestone {ident} in this goal", "milestone")
    comment = Comment.objects.create(
        goal=goal, milestone=milestone, author_id=user_pk(actor) or None, body=body
    )
    notify_mentions(comment)
    return comment


@transaction.atomic
def edit_comment(actor: AnyUser, comment_id: int, data: dict[str, Any]) -> Comment:
    """Change the text of one's own comment; it is marked as edited."""
    comment = get_for(Comment.objects.select_for_update(), actor, Action.CONTRIBUTE, pk=comment_id)
    if comment.author_id is None or comment.author_id != user_pk(actor):
        raise PermissionDenied("only its author can edit a comment")
    before = comment.body
    comment.body = clean_body(data.get("body"))
    comment.edited_at = now()
    comment.save(update_fields=["body", "edited_at"])
    notify_mentions(comment, before)
    return comment


@transaction.atomic
def delete_comment(actor: AnyUser, comment_id: int) -> None:
    """Delete one's own comment, or any comment as the goal's owner or an admin."""
    comment = get_for(Comment.objects.select_for_update(), actor, Action.CONTRIBUTE, pk=comment_id)
    if comment.author_id is None or comment.author_id != user_pk(actor):
        get_for(Comment.objects.all(), actor, Action.PLAN, pk=comment_id)  # moderators only
    comment.delete()
