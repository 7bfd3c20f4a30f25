"""The backward-planning wizard: the method's five steps as five screens.

1. Define the end goal (with the SMART check, live as you type), from scratch or a template.
2. Pick the KPIs that prove it. 3. Work the milestones backward from the deadline, with the
plan recomputed at each change. 4. Owners and pinned dates per milestone, and the plan again.
5. The review cadence, then the goal's page.

Design: **the goal is saved at the end of step 1** (through ``create_goal``, or the template
service), as a goal its creator owns, and every later step saves through the services as soon
as it is submitted. Nothing lives in the session, so nothing is lost when the browser closes:
each step has its own URL (``/goals/<id>/plan-wizard/<step>/``), any step can be opened again
later, and the start page (``/o/<slug>/plan/``) lists the person's goals that still miss KPIs,
milestones or owners with the step to resume at. A goal planned with the wizard is an ordinary
goal, with nothing to "finish" or clean up; leaving half-way leaves a goal with less in it.

Every screen works without JavaScript (forms post, the server redirects, errors come back by the
field with the input kept, the SMART check shows after Next); with htmx (which ``base.html``
loads), step 1 also asks the server for the SMART check of the values typed so far, a GET that
saves nothing, and swaps it into the page.
Access: every view looks up through tenancy with ``Action.PLAN`` (owners and admins): someone
outside the organisation gets 404, a viewer or contributor 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.goals import goals as goal_services
from backcast.services.goals import kpis as kpi_services
from backcast.services.goals import wizard as wizard_services
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import Conflict, InvalidInput
from backcast.services.reporting.assessment import goal_smart
from backcast.web.forms.wizard import (
    CadenceStepForm,
    GoalStepForm,
    KpiStepForm,
    MilestoneStepForm,
    OwnerDatesForm,
)
from backcast.web.views.goals import goal_conflict_form, kept_note, save_goal_form

STEPS = (
    (1, "End goal", "Define the end goal"),
    (2, "KPIs", "Pick the KPIs that prove it"),
    (3, "Milestones", "Work the milestones backward"),
    (4, "Owners and dates", "Set owners and dates"),
    (5, "Review cadence", "Set the review cadence"),
)


def step_url(goal: Goal, step: int) -> str:
    return reverse("wizard-step", kwargs={"goal_id": goal.pk, "step": step})


def render_step(
    request: HttpRequest,
    org: Organization,
    goal: Goal | None,
    step: int,
    context: dict[str, Any],
    status: int | None = None,
) -> HttpResponse:
    """A step's page with the step indicator; 400 when a submitted form was refused (or ``status``)."""
    reached = wizard_services.resume_step(goal) if goal is not None else 1
    steps = [
        {
            "number": number,
            "name": name,
            "url": step_url(goal, number) if goal is not None else None,
            "state": "current" if number == step else "done" if number < reached else "todo",
        }
        for number, name, _ in STEPS
    ]
    base = {
        "org": org,
        "goal": goal,
        "step": step,
        "steps": steps,
        "heading": STEPS[step - 1][2],
        "back": step_url(goal, step - 1) if goal is not None and step > 1 else None,
    }
    failed = request.method == "POST"  # a successful POST has redirected already
    status = status or (400 if failed else 200)
    return render(request, f"goals/wizard/step{step}.html", base | context, status=status)


def draft_of(form: GoalStepForm) -> wizard_services.Draft:
    """Step 1's values as far as they are valid (the rest left empty), for the SMART check."""
    values: Mapping[str, Any] = form.initial
    if form.is_bound:
        form.is_valid()
        values = form.cleaned_data
    return wizard_services.Draft(
        title=values.get("title") or "",
        description=values.get("description") or "",
        owner=values.get("owner"),
        deadline=values.get("deadline"),
        start=values.get("start"),
        parent=values.get("parent"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def wizard_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Step 1 for a new goal; saving it creates the goal and moves on to its KPIs."""
    org = get_for(Organization.objects.all(), request.user, Action.PLAN, slug=slug)
    form = GoalStepForm(request.POST or None, org=org, initial={"owner": user_pk(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            goal = wizard_services.start_goal(
                request.user,
                org.slug,
                form.service_data(),
                template=form.cleaned_data["template"],
                today=org_today(org),
            )
        except InvalidInput as exc:
            form.put_service_error(exc.field, exc.message)
        else:
            messages.success(request, f"“{goal.title}” saved. Next: the KPIs that prove it.")
            return redirect(step_url(goal, 2))
    context = {
        "form": form,
        "checks": wizard_services.draft_smart(org, None, draft_of(form), org_today(org)),
        "smart_url": reverse("wizard-smart-draft", kwargs={"slug": org.slug}),
        "unfinished": wizard_services.unfinished_goals(request.user, org),
    }
    return render_step(request, org, None, 1, context)


@login_required
@require_http_methods(["GET"])
def wizard_smart_draft(request: HttpRequest, slug: str) -> HttpResponse:
    """The SMART check of a new goal's values as typed (htmx partial; saves nothing)."""
    org = get_for(Organization.objects.all(), request.user, Action.PLAN, slug=slug)
    form = GoalStepForm(request.GET, org=org)
    checks = wizard_services.draft_smart(org, None, draft_of(form), org_today(org))
    return render(request, "goals/wizard/_smart.html", {"checks": checks})


@login_required
@require_http_methods(["GET"])
def wizard_goal_smart(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The SMART check of a saved goal with step 1's values as typed (htmx partial)."""
    goal = get_for(Goal.objects.select_related("organization"), request.user, Action.PLAN, pk=goal_id)
    form = GoalStepForm(request.GET, org=goal.organization, goal=goal)
    checks = wizard_services.draft_smart(
        goal.organization, goal, draft_of(form), org_today(goal.organization)
    )
    return render(request, "goals/wizard/_smart.html", {"checks": checks})


@login_required
@require_http_methods(["GET", "POST"])
def wizard_step(request: HttpRequest, goal_id: int, step: int) -> HttpResponse:
    """One step of the wizard for a saved goal: shown, saved, and on to the next."""
    handler = STEP_VIEWS.get(step)
    if handler is None:
        raise Http404("no such step")
    goal = get_for(
        Goal.objects.select_related("organization", "owner", "parent", "team"),
        request.user,
        Action.PLAN,
        pk=goal_id,
    )
    return handler(request, goal)


def goal_step(request: HttpRequest, goal: Goal) -> HttpResponse:
    """Step 1 again: change the end goal's fields."""
    org = goal.organization
    initial = {f: getattr(goal, f) for f in ("title", "description", "deadline", "start")}
    initial |= {"owner": goal.owner_id, "team": goal.team_id, "parent": goal.parent_id}
    form = GoalStepForm(request.POST or None, org=org, goal=goal, initial=initial)
    conflict = False
    if request.method == "POST" and form.is_valid():
        expected, before = form.cleaned_data.get("version"), form.cleaned_data.get("loaded") or ""
        try:
            kept = save_goal_form(request.user, goal.pk, form, form.service_data(), expected, before)
        except InvalidInput as exc:
            form.put_service_error(exc.field, exc.message)
        except Conflict:
            fresh = get_for(
                Goal.objects.select_related("organization"), request.user, Action.PLAN, pk=goal.pk
            )
            form = goal_conflict_form(
                form, fresh, before, lambda data: GoalStepForm(data, org=org, goal=fresh)
            )
            goal, conflict = fresh, True
        else:
            messages.success(request, "End goal saved." + kept_note(form, kept))
            return redirect(step_url(goal, 2))
    context = {
        "form": form,
        "checks": wizard_services.draft_smart(org, goal, draft_of(form), org_today(org)),
        "smart_url": reverse("wizard-goal-smart", kwargs={"goal_id": goal.pk}),
    }
    return render_step(request, org, goal, 1, context, status=409 if conflict else None)


def posted_id(request: HttpRequest, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise Http404("not found")
    return int(value)


def kpis_step(request: HttpRequest, goal: Goal) -> HttpResponse:
    """Step 2: add KPIs one at a time, remove a wrong one; Next also adds a KPI typed in."""
    today = org_today(goal.organization)
    action = request.POST.get("action", "")
    if action == "remove":
        try:
            name = wizard_services.remove_kpi(request.user, goal.pk, posted_id(request, "kpi"))
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"KPI “{name}” removed.")
        return redirect(step_url(goal, 2))
    form = KpiStepForm(request.POST or None, initial={"baseline_date": today})
    if request.method == "POST":
        if action == "next" and not form.has_input():
            return redirect(step_url(goal, 3))
        if form.is_valid():
            try:
                kpi = kpi_services.add_kpi(request.user, goal.pk, form.service_data())
            except InvalidInput as exc:
                form.put_service_error(exc.field, exc.message)
            else:
                messages.success(request, f"KPI “{kpi.name}” added.")
                return redirect(step_url(goal, 3 if action == "next" else 2))
    context = {"form": form, "kpis": goal.kpis.all(), "checks": goal_smart(goal, today)}
    return render_step(request, goal.organization, goal, 2, context)


def milestones_step(request: HttpRequest, goal: Goal) -> HttpResponse:
    """Step 3: milestones added from the end backward; the plan is recomputed after each change."""
    today = org_today(goal.organization)
    action = request.POST.get("action", "")
    if action == "remove":
        try:
            title = wizard_services.remove_milestone(request.user, goal.pk, posted_id(request, "milestone"))
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Milestone “{title}” removed; what followed it keeps its place.")
        return redirect(step_url(goal, 3))
    anchor = Milestone.objects.filter(goal=goal).order_by("-pk").first()
    form = MilestoneStepForm(request.POST or None, goal=goal, anchor=anchor)
    if request.method == "POST":
        if action == "next" and not form.has_input():
            return redirect(step_url(goal, 4))
        if form.is_valid():
            try:
                milestone = wizard_services.add_milestone_before(
                    request.user, goal.pk, form.service_data(), form.cleaned_data["before"]
                )
            except InvalidInput as exc:
                form.put_service_error(exc.field, exc.message)
            else:
                messages.success(request, f"Milestone “{milestone.title}” added; the plan is recomputed.")
                return redirect(step_url(goal, 4 if action == "next" else 3))
    context = {"form": form, "anchor": anchor, "plan": wizard_services.plan_view(goal, today)}
    return render_step(request, goal.organization, goal, 3, context)


def owners_step(request: HttpRequest, goal: Goal) -> HttpResponse:
    """Step 4: an owner and optional pinned dates for every milestone, saved together."""
    today = org_today(goal.organization)
    members = [
        (m.user_id, m.user.display_name)
        for m in goal.organization.memberships.select_related("user").order_by("user__name", "user__email")
    ]
    plan = wizard_services.plan_view(goal, today)
    data = request.POST if request.method == "POST" else None
    forms_ = {r.milestone.pk: OwnerDatesForm(data, milestone=r.milestone, members=members) for r in plan.rows}
    stale: dict[int, Milestone] = {}
    if request.method == "POST" and all(f.is_valid() for f in forms_.values()):
        try:
            # Only the rows the page showed: a milestone added since then keeps what it has.
            shown = {pk: f.cleaned_data for pk, f in forms_.items() if f.add_prefix("owner") in request.POST}
            changed = wizard_services.assign_milestones(request.user, goal.pk, shown)
        except wizard_services.MilestoneFault as exc:
            forms_[exc.milestone_id].put_service_error(exc.field, exc.message)
        except wizard_services.StaleMilestones as exc:
            # The fresh rows: those someone else changed show what they hold now, the rest the input.
            stale = {m.pk: m for m in exc.milestones}
            posted = {pk: f.cleaned_data.get("version") for pk, f in forms_.items() if pk in shown}
            plan = wizard_services.plan_view(goal, today)
            forms_ = {
                r.milestone.pk: OwnerDatesForm(
                    data if posted.get(r.milestone.pk, -1) in (None, r.milestone.version) else None,
                    milestone=r.milestone,
                    members=members,
                )
                for r in plan.rows
            }
        else:
            changes = f"{changed} milestone{'' if changed == 1 else 's'} changed"
            messages.success(request, f"Owners and dates saved ({changes}).")
            return redirect(step_url(goal, 5 if request.POST.get("action") == "next" else 4))
    context = {
        "plan": plan,
        "rows": [(r, forms_[r.milestone.pk]) for r in plan.rows],
        "unowned": sum(1 for r in plan.rows if r.milestone.owner_id is None),
        "stale": stale,
    }
    return render_step(request, goal.organization, goal, 4, context, status=409 if stale else None)


def cadence_step(request: HttpRequest, goal: Goal) -> HttpResponse:
    """Step 5: the review cadence; Finish saves it and opens the goal's page."""
    today = org_today(goal.organization)
    form = CadenceStepForm(request.POST or None, initial={"cadence": goal.cadence})
    if request.method == "POST" and form.is_valid():
        try:
            goal_services.update_goal(request.user, goal.pk, {"cadence": form.cleaned_data["cadence"]})
        except InvalidInput as exc:
            form.put_service_error(exc.field, exc.message)
        else:
            messages.success(request, "Goal planned. Review it at each check-in.")
            return redirect("goal-detail", goal_id=goal.pk)
    context = {
        "form": form,
        "kpis": goal.kpis.all(),
        "plan": wizard_services.plan_view(goal, today),
        "checks": goal_smart(goal, today),
    }
    return render_step(request, goal.organization, goal, 5, context)


STEP_VIEWS = {1: goal_step, 2: kpis_step, 3: milestones_step, 4: owners_step, 5: cadence_step}
