"""Re-planning pages: the timeline against a chosen baseline, accepting a plan, and what-if scenarios.

Thin, as the goal pages are: each handler looks up through tenancy, calls one service, and on a
fault renders the page again with the error by the field and the input kept. The timeline
itself is the goals app's page; here it is rendered against another baseline than the latest,
and again with the accept form's error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backcast.goals.models import Goal
from backcast.organizations.tenancy import Action, get_for
from backcast.replanning.models import Scenario
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import InvalidInput
from backcast.services.replanning import baselines, scenarios
from backcast.web.forms.replanning import ScenarioForm
from backcast.web.pages.timeline import goal_timeline


def goal_for(request: HttpRequest, goal_id: int, action: Action) -> Goal:
    return get_for(Goal.objects.select_related("organization"), request.user, action, pk=goal_id)


def scenario_for(request: HttpRequest, scenario_id: int, action: Action) -> Scenario:
    return get_for(
        Scenario.objects.select_related("goal__organization", "created_by"),
        request.user,
        action,
        pk=scenario_id,
    )


def can_plan(request: HttpRequest, goal: Goal) -> bool:
    return Goal.objects.filter(pk=goal.pk).restrict(request.user, Action.PLAN).exists()


def timeline_page(
    request: HttpRequest, goal: Goal, number: int | None, status: int = 200, **extra: Any
) -> HttpResponse:
    timeline = goal_timeline(request.user, goal, org_today(goal.organization), number)
    if number is not None and (timeline.baselines is None or timeline.baselines.chosen is None):
        raise Http404("no such baseline")
    context = {"goal": goal, "org": goal.organization, "timeline": timeline, **extra}
    return render(request, "goals/timeline.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def timeline_baselines(request: HttpRequest, goal_id: int) -> HttpResponse:
    """GET: the timeline against baseline ``?baseline=N``; POST: accept the live plan as a new baseline."""
    if request.method == "GET":
        goal = goal_for(request, goal_id, Action.VIEW)
        number = request.GET.get("baseline", "")
        if number and not number.isdigit():
            raise Http404("no such baseline")
        return timeline_page(request, goal, int(number) if number else None)
    goal = goal_for(request, goal_id, Action.PLAN)
    reason = request.POST.get("reason", "")
    try:
        baseline = baselines.accept_plan(request.user, goal.pk, reason)
    except InvalidInput as exc:
        return timeline_page(request, goal, None, 400, accept_error=exc.message, accept_reason=reason)
    messages.success(
        request, f"Plan accepted as baseline {baseline.number}: variance is now read against it."
    )
    return redirect("goal-timeline", goal_id=goal.pk)


@login_required
@require_http_methods(["GET", "POST"])
def scenario_list(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The goal's what-if scenarios; POST creates one from the form (owners and admins)."""
    goal = goal_for(request, goal_id, Action.PLAN if request.method == "POST" else Action.VIEW)
    allowed = can_plan(request, goal)
    form = ScenarioForm(request.POST or None, goal=goal) if allowed else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.service_data()
        try:
            scenario = scenarios.create_scenario(request.user, goal.pk, data)
        except InvalidInput as exc:
            field = form.field_for(exc.field)
            form.add_error(field, exc.message)
        else:
            messages.success(request, f"Scenario “{scenario.name}” saved: here is how it compares.")
            return redirect("scenario-detail", scenario_id=scenario.pk)
    context = {
        "goal": goal,
        "org": goal.organization,
        "scenarios": goal.scenarios.select_related("created_by").order_by("-created_at", "-pk"),
        "form": form,
        "can_plan": allowed,
    }
    return render(
        request, "replanning/scenarios.html", context, status=400 if request.method == "POST" else 200
    )


def scenario_page(
    request: HttpRequest, scenario: Scenario, status: int = 200, error: str = ""
) -> HttpResponse:
    goal = scenario.goal
    context = {
        "scenario": scenario,
        "goal": goal,
        "org": goal.organization,
        "comparison": scenarios.compare_scenario(scenario, org_today(goal.organization)),
        "can_plan": can_plan(request, goal),
        "error": error,
    }
    return render(request, "replanning/scenario.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def scenario_detail(request: HttpRequest, scenario_id: int) -> HttpResponse:
    """A scenario against the live plan: finish, required start, probability on time, load, milestones."""
    return scenario_page(request, scenario_for(request, scenario_id, Action.VIEW))


@login_required
@require_POST
def scenario_adopt(request: HttpRequest, scenario_id: int) -> HttpResponse:
    """Make the scenario the plan (all its changes or none) and keep it as a baseline."""
    scenario = scenario_for(request, scenario_id, Action.PLAN)
    try:
        baseline = scenarios.adopt_scenario(request.user, scenario.pk)
    except InvalidInput as exc:
        return scenario_page(request, scenario, 400, exc.message)
    messages.success(request, f"Scenario “{scenario.name}” adopted and kept as baseline {baseline.number}.")
    return redirect("goal-timeline", goal_id=scenario.goal_id)


@login_required
@require_POST
def scenario_discard(request: HttpRequest, scenario_id: int) -> HttpResponse:
    """Throw a scenario away; the goal is untouched."""
    scenario = scenario_for(request, scenario_id, Action.PLAN)
    scenarios.discard_scenario(request.user, scenario.pk)
    messages.success(request, f"Scenario “{scenario.name}” discarded.")
    return redirect("scenario-list", goal_id=scenario.goal_id)
