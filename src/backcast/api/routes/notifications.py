"""Review participation: who of a goal's owner and contributors checked in, per review period."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from backcast.api.notification_schemas import ParticipationOut
from backcast.api.schemas import Error
from backcast.goals.models import Goal
from backcast.organizations.tenancy import Action, get_for
from backcast.services.notify.reviews import participation
from backcast.services.platform.clock import org_today

router = Router(tags=["reviews"])
ERRORS: dict[int, Any] = {403: Error, 404: Error}


@router.get(
    "/goals/{goal_id}/participation",
    response={200: ParticipationOut, **ERRORS},
    summary="Who checked in during the current and the last review period",
)
def goal_participation(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    goal = get_for(
        Goal.objects.select_related("organization", "owner"), request.user, Action.VIEW, pk=goal_id
    )
    review = participation(goal, org_today(goal.organization))
    # The periods' participation as the service found it: PeriodParticipationOut resolves it.
    return {
        "goal": goal.pk,
        "cadence": review.cadence,
        "today": review.today,
        "current": review.current,
        "last": review.last,
    }
