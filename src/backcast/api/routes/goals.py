"""Goals and their check-ins."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from backcast.api.goal_schemas import CheckInIn, CheckInOut, GoalIn, GoalOut, GoalPatch, SmartLetterOut
from backcast.api.plan_schemas import FindingOut, HealthOut, PlanOut
from backcast.api.schemas import Created, Error
from backcast.goals.models import CheckIn, Goal
from backcast.organizations.tenancy import Action, TenantQuerySet, get_for
from backcast.services import assessment
from backcast.services import checkins as checkin_services
from backcast.services import goals as goal_services
from backcast.services import plans as plan_services
from backcast.services.clock import org_today
from backcast.services.progress import goal_progress

router = Router(tags=["goals"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


def goals_for(request: HttpRequest) -> TenantQuerySet[Goal]:
    return (
        Goal.objects.restrict(request.user)
        .select_related("organization", "owner", "team")
        .prefetch_related("contributors")
    )


def goal_out(goal: Goal, progress: dict[int, float | None] | None = None, *, smart: bool = False) -> GoalOut:
    shares = progress if progress is not None else goal_progress([goal])
    letters = (
        [
            SmartLetterOut(letter=c.letter, name=c.name, status=c.status, reasons=list(c.reasons))
            for c in assessment.goal_smart(goal, org_today(goal.organization))
        ]
        if smart
        else None
    )
    return GoalOut(
        id=goal.pk,
        organization=goal.organization.slug,
        title=goal.title,
        description=goal.description,
        level=goal.level,
        deadline=goal.deadline,
        start=goal.start,
        owner=goal.owner.email if goal.owner else None,
        team=goal.team.slug if goal.team else None,
        parent=goal.parent_id,
        cadence=goal.cadence,
        contributors=[u.email for u in goal.contributors.all()],
        version=goal.version,
        updated_at=goal.updated_at,
        progress=shares.get(goal.pk),
        smart=letters,
    )


def checkin_out(c: CheckIn) -> CheckInOut:
    return CheckInOut(
        id=c.pk,
        goal=c.goal_id,
        milestone=c.milestone_id,
        author=c.author.email if c.author else None,
        status=c.status,
        confidence=c.confidence,
        note=c.note,
        blockers=c.blockers,
        created_at=c.created_at,
    )


@router.get("/goals", response=list[GoalOut], summary="Goals you can see")
@paginate(LimitOffsetPagination)
def list_goals(
    request: HttpRequest, organization: str | None = None, team: str | None = None
) -> list[GoalOut]:
    goals = goals_for(request)
    if organization:
        goals = goals.filter(organization__slug=organization)
    if team:
        goals = goals.filter(team__slug=team)
    rows = list(goals)
    shares = goal_progress(rows)
    return [goal_out(g, shares) for g in rows]


@router.post("/goals", response={201: Created, **ERRORS}, summary="Create a goal (owners and admins)")
def create_goal(request: HttpRequest, payload: GoalIn) -> Status[Created]:
    data = payload.dict(exclude_unset=True)
    organization = data.pop("organization", None)
    goal = goal_services.create_goal(request.user, data, organization)
    return Status(201, Created(id=goal.pk))


@router.get("/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="One goal")
def get_goal(request: HttpRequest, goal_id: int) -> GoalOut:
    return goal_out(get_for(goals_for(request), request.user, Action.VIEW, pk=goal_id), smart=True)


@router.patch("/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="Change a goal")
def patch_goal(request: HttpRequest, goal_id: int, payload: GoalPatch) -> GoalOut:
    goal_services.update_goal(request.user, goal_id, payload.dict(exclude_unset=True))
    return goal_out(get_for(goals_for(request), request.user, Action.VIEW, pk=goal_id), smart=True)


@router.delete("/goals/{goal_id}", response={204: None, **ERRORS}, summary="Delete a goal")
def delete_goal(request: HttpRequest, goal_id: int) -> Status[None]:
    goal_services.delete_goal(request.user, goal_id)
    return Status(204, None)


@router.get(
    "/goals/{goal_id}/checkins", response={200: list[CheckInOut], **ERRORS}, summary="Check-ins, newest first"
)
@paginate(LimitOffsetPagination)
def list_checkins(request: HttpRequest, goal_id: int) -> list[CheckInOut]:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    return [checkin_out(c) for c in goal.checkins.select_related("author")]


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
def get_health(request: HttpRequest, goal_id: int) -> HealthOut:
    goal = get_for(Goal.objects.all(), request.user, Action.VIEW, pk=goal_id)
    verdict = assessment.goal_health(goal, org_today(goal.organization))
    return HealthOut(
        status=verdict.status,
        findings=[FindingOut(status=f.status, signal=f.signal, text=f.text) for f in verdict.findings],
    )
