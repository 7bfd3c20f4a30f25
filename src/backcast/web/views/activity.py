"""Pages of the audit trail and the trash. Thin: look up through the services, render.

``/goals/ID/activity/`` and ``/o/SLUG/activity/`` are the feeds (50 events a page, newest first,
narrowed by kind and person); ``?recent=1`` on a goal's feed answers the short box its page
loads with htmx. ``/o/SLUG/trash/`` lists what can be restored; restoring is a POST.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backcast.activity.models import Event
from backcast.activity.wording import KINDS, describe
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Membership, Organization
from backcast.organizations.tenancy import Action, get_for, role_allows, user_pk
from backcast.services.goals import trash as trash_services
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting import activity as activity_services

PAGE_SIZE = 50
RECENT = 5


def rows(events: Iterable[Event], *, with_goal: bool) -> list[tuple[Event, Any]]:
    return [(e, describe(e, with_goal=with_goal)) for e in events]


def feed_context(
    request: HttpRequest, org: Organization, events: QuerySet[Event], *, with_goal: bool
) -> dict[str, Any]:
    number = request.GET.get("page", "")
    page = Paginator(events, PAGE_SIZE).get_page(int(number) if number.isdigit() else 1)
    return {
        "org": org,
        "page": page,
        "rows": rows(page.object_list, with_goal=with_goal),
        "kinds": KINDS.items(),
        "people": org.memberships.select_related("user").order_by("user__name", "user__email"),
        "kind": request.GET.get("kind", ""),
        "person": request.GET.get("person", ""),
    }


@login_required
@require_http_methods(["GET"])
def goal_activity(request: HttpRequest, goal_id: int) -> HttpResponse:
    """A goal's activity: every change to it and to what is under it."""
    filters = activity_services.FeedFilter.parse(request.GET.get("kind"), request.GET.get("person"))
    goal, events = activity_services.goal_activity(request.user, goal_id, filters)
    if request.GET.get("recent"):
        return render(
            request, "activity/_recent.html", {"goal": goal, "rows": rows(events[:RECENT], with_goal=False)}
        )
    context = feed_context(request, goal.organization, events, with_goal=False) | {"goal": goal}
    return render(request, "activity/feed.html", context)


@login_required
@require_http_methods(["GET"])
def org_activity(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's activity, including that of goals deleted since."""
    filters = activity_services.FeedFilter.parse(request.GET.get("kind"), request.GET.get("person"))
    org, events = activity_services.organization_activity(request.user, slug, filters)
    return render(
        request, "activity/feed.html", feed_context(request, org, events, with_goal=True) | {"goal": None}
    )


def trash_page(request: HttpRequest, slug: str, *, status: int = 200, error: str = "") -> HttpResponse:
    org, items = trash_services.trash_of(request.user, slug)
    membership = Membership.objects.filter(organization=org, user_id=user_pk(request.user)).first()
    context = {
        "org": org,
        "items": items,
        "can_plan": role_allows(membership.role if membership else "", Action.PLAN),
        "error": error,
        "retention": trash_services.retention_words(),
    }
    return render(request, "activity/trash.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def org_trash(request: HttpRequest, slug: str) -> HttpResponse:
    """Deleted goals and milestones of the organisation, each restorable for the trash's retention
    period (``TRASH_RETENTION_DAYS``)."""
    return trash_page(request, slug)


@login_required
@require_POST
def goal_restore(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = get_for(Goal.all_objects.select_related("organization"), request.user, Action.VIEW, pk=goal_id)
    try:
        trash_services.restore_goal(request.user, goal.pk)
    except InvalidInput as exc:
        return trash_page(request, goal.organization.slug, status=400, error=exc.message)
    messages.success(request, f"Goal “{goal.title}” restored.")
    return redirect("goal-detail", goal_id=goal.pk)


@login_required
@require_POST
def milestone_restore(request: HttpRequest, milestone_id: int) -> HttpResponse:
    base = Milestone.all_objects.select_related("goal__organization")
    milestone = get_for(base, request.user, Action.VIEW, pk=milestone_id)
    try:
        trash_services.restore_milestone(request.user, milestone.pk)
    except InvalidInput as exc:
        return trash_page(request, milestone.goal.organization.slug, status=400, error=exc.message)
    messages.success(request, f"Milestone “{milestone.title}” restored.")
    return redirect("goal-detail", goal_id=milestone.goal_id)
