"""Check-ins: a person's status, confidence and blockers on a goal or one of its milestones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from backcast import limits
from backcast.goals.models import CheckIn, Goal, Milestone
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.platform.errors import InvalidInput

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser


@transaction.atomic
def post_checkin(actor: AnyUser, goal_id: int, data: dict[str, Any]) -> CheckIn:
    """Record a check-in (contributors and up); its note and blockers are at most
    ``limits.TEXT_LENGTH`` characters each."""
    goal = get_for(Goal.objects.all(), actor, Action.CONTRIBUTE, pk=goal_id)
    for field in ("note", "blockers"):
        text = str(data.get(field) or "")
        if len(text) > limits.TEXT_LENGTH:
            raise InvalidInput(f"must be at most {limits.TEXT_LENGTH:,} characters, not {len(text):,}", field)
    status = data.get("status")
    if status not in CheckIn.Status.values:
        raise InvalidInput(f"choose one of {', '.join(CheckIn.Status.values)}", "status")
    confidence = data.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int) or not 0 <= confidence <= 10:
        raise InvalidInput(f"must be a whole number from 0 to 10, got {confidence!r}", "confidence")
    milestone = None
    if data.get("milestone") is not None:
        milestone = (
            Milestone.objects.filter(goal=goal, pk=data["milestone"]).first()
            if isinstance(data["milestone"], int)
            else None
        )
        if milestone is None:
            raise InvalidInput(f"no milestone {data['milestone']!r} in this goal", "milestone")
    return CheckIn.objects.create(
        goal=goal,
        milestone=milestone,
        author_id=user_pk(actor) or None,
        status=status,
        confidence=confidence,
        note=str(data.get("note") or ""),
        blockers=str(data.get("blockers") or ""),
    )
