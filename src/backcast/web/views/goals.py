"""Goal pages: the dashboard of an organisation's goals, a goal's page and its timeline, and their forms.

Thin: each handler looks up through tenancy, calls one service, and on a fault renders the page
again with the error by the field and the input kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from backcast.goals.models import KPI, Goal
from backcast.organizations.models import Membership, Organization
from backcast.organizations.tenancy import Action, get_for, role_allows, user_pk
from backcast.services.goals import checkins as checkin_services
from backcast.services.goals import goals as goal_services
from backcast.services.goals import kpis as kpi_services
from backcast.services.goals import milestones as milestone_services
from backcast.services.goals import trash as trash_services
from backcast.services.platform.clock import org_today
from backcast.services.platform.errors import Conflict, InvalidInput
from backcast.web.forms.goals import (
    CheckInForm,
    GoalForm,
    KPIForm,
    MilestoneForm,
    ReadingForm,
    VersionedForm,
    goal_values,
)
from backcast.web.pages.dashboard import Filters, build_dashboard
from backcast.web.pages.goal_page import goal_overview
from backcast.web.pages.timeline import goal_timeline as goal_timeline_data

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

F = TypeVar("F", bound=VersionedForm)
HEALTH_FILTERS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "none": "Not assessed",
}
FIELD_ALIASES = {
    "estimate": "likely",
    "after[0]": "after",
    "readings[0].value": "value",
    "readings[0].date": "date",
}


def add_service_error(form: forms.BaseForm, exc: InvalidInput) -> None:
    """Put a service's fault by the form field it names (or at the top of the form)."""
    field = FIELD_ALIASES.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message if field in form.fields else str(exc))


def role_in(request: HttpRequest, org: Organization) -> str:
    membership = Membership.objects.filter(organization=org, user_id=user_pk(request.user)).first()
    return membership.role if membership else ""


@login_required
@require_http_methods(["GET"])
def goal_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's dashboard: every goal with health, progress, slack and next milestones.

    Filterable by team (slug), owner (id) and health, and paged (``page``, from 1; out of range
    means the nearest page); the alignment tree keeps the objectives the page's goals serve. htmx
    swaps just ``#results`` when a filter changes (back to the first page).
    """
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    team, owner = request.GET.get("team", ""), request.GET.get("owner", "")
    status, page = request.GET.get("health", ""), request.GET.get("page", "")
    filters = Filters(
        team=team,
        owner=int(owner) if owner.isdigit() else None,
        health=status if status in HEALTH_FILTERS else "",
    )
    board = build_dashboard(request.user, org, org_today(org), filters, int(page) if page.isdigit() else 1)
    context = {
        "org": org,
        "board": board,
        "filters": filters,
        "teams": org.teams.all(),
        "owners": org.memberships.select_related("user"),
        "health_choices": HEALTH_FILTERS.items(),
        "team": team,
        "owner": owner,
        "can_plan": role_allows(role_in(request, org), Action.PLAN),
    }
    return render(request, "goals/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Define the end goal: title, deadline, owner, alignment."""
    org = get_for(Organization.objects.all(), request.user, Action.PLAN, slug=slug)
    form = GoalForm(request.POST or None, org=org, initial={"owner": user_pk(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            goal = goal_services.create_goal(request.user, form.cleaned_data, org.slug)
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Goal created. Next: the KPIs that prove it.")
            return redirect("goal-detail", goal_id=goal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "goals/form.html", {"org": org, "form": form, "goal": None}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Change a goal's fields, from the version the page showed (a stale save is a conflict, 409)."""
    goal = get_for(Goal.objects.select_related("organization"), request.user, Action.PLAN, pk=goal_id)
    form = GoalForm(request.POST or None, org=goal.organization, goal=goal, initial=goal_values(goal))
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected, before = data.pop("version"), data.pop("loaded")
        try:
            kept = save_goal_form(request.user, goal.pk, form, data, expected, before)
        except InvalidInput as exc:
            add_service_error(form, exc)
        except Conflict:
            goal = get_for(Goal.objects.select_related("organization"), request.user, Action.PLAN, pk=goal_id)
            form = goal_conflict_form(
                form, goal, before, lambda data: GoalForm(data, org=goal.organization, goal=goal)
            )
            status = 409
        else:
            messages.success(request, "Goal saved." + kept_note(form, kept))
            return redirect("goal-detail", goal_id=goal.pk)
    return render(
        request, "goals/form.html", {"org": goal.organization, "form": form, "goal": goal}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, goal_id: int) -> HttpResponse:
    """Ask, then move a goal to the organisation's trash (owners and admins; undoable for the trash's
    retention period, ``TRASH_RETENTION_DAYS``)."""
    goal = get_for(Goal.objects.select_related("organization"), request.user, Action.PLAN, pk=goal_id)
    if request.method == "POST":
        goal_services.delete_goal(request.user, goal.pk)
        messages.success(
            request,
            f"“{goal.title}” is in the trash: restore it from Trash within "
            f"{trash_services.retention_words()} if that was a mistake.",
        )
        return redirect("goal-list", slug=goal.organization.slug)
    context = {"goal": goal, "org": goal.organization, "retention": trash_services.retention_words()}
    return render(request, "goals/delete.html", context)


def save_goal_form(
    actor: AnyUser, goal_id: int, form: VersionedForm, data: dict[str, Any], expected: int | None, before: str
) -> tuple[str, ...]:
    """Save a goal form's ``data`` from the version the page showed; returns the fields someone
    else changed meanwhile whose values were kept.

    From a stale page the save is merged three ways (:meth:`VersionedForm.merge`): only the
    fields this person changed are written, over the goal as it is now, so a change someone else
    made to a field this person never touched stands. Raises :class:`Conflict`, writing nothing,
    when both changed one field differently, when the page did not say what it showed, or when
    the goal moved on again during the merge.
    """
    try:
        goal_services.update_goal(actor, goal_id, data, expected_version=expected)
    except Conflict as exc:
        current = exc.current
        assert isinstance(current, Goal)  # update_goal's conflicts carry the goal as it stands
        merge = form.merge(before, goal_values(current))
        if merge is None or merge.clashes:
            raise
        if merge.mine:
            changes = {name: data[name] for name in merge.mine if name in data}
            goal_services.update_goal(actor, goal_id, changes, expected_version=current.version)
        return merge.theirs
    return ()


def kept_note(form: VersionedForm, kept: tuple[str, ...]) -> str:
    """What a merged save says of the other person's changes it kept (nothing when none)."""
    return f" Changed by someone else meanwhile and kept: {form.labels(kept)}." if kept else ""


def goal_conflict_form(stale: VersionedForm, goal: Goal, before: str, make: Callable[[QueryDict], F]) -> F:
    """The form again after a stale save that clashed: the input kept, over the current version.

    Fields only someone else changed show their value now, so saving again keeps it; fields
    both changed keep this person's input, with a note of the value now and when the goal last
    changed (there is no record of who). Saving again is then a deliberate choice for those. An
    old page that did not say what it showed gets a note by every field that differs now.
    """
    current = goal_values(goal)
    merge = stale.merge(before, current)
    when = timezone.localtime(goal.updated_at, ZoneInfo(goal.organization.timezone))
    at = f"at {when:%H:%M} on {when.day} {when:%b}"
    form = make(stale.rebased(current, goal.version, merge.theirs if merge else ()))
    theirs = (
        f" Their other changes are in the form: {stale.labels(merge.theirs)}."
        if merge and merge.theirs
        else ""
    )
    form.note_conflict(
        merge.clashes if merge else stale.differing(current),
        current,
        f"Someone else changed this goal {at}, after you opened this page, so nothing was saved. "
        "Your input is kept below and, by each field you both changed, its value now. Save again "
        f"to put yours in its place, or cancel to keep theirs.{theirs}",
        f"by someone else {at}",
    )
    return form


def detail_context(request: HttpRequest, goal: Goal, **forms_: forms.BaseForm) -> dict[str, Any]:
    role = role_in(request, goal.organization)
    today = org_today(goal.organization)
    return {
        "goal": goal,
        "org": goal.organization,
        "overview": goal_overview(goal, today),
        "checkins": goal.checkins.select_related("author", "milestone")[:20],
        "can_plan": role_allows(role, Action.PLAN),
        "can_contribute": role_allows(role, Action.CONTRIBUTE),
        "kpi_form": forms_.get("kpi_form") or KPIForm(),
        "milestone_form": forms_.get("milestone_form") or MilestoneForm(goal=goal),
        "checkin_form": forms_.get("checkin_form") or CheckInForm(),
        "reading_form": forms_.get("reading_form") or ReadingForm(initial={"date": today}),
        "reading_kpi": forms_.get("reading_kpi"),
    }


@login_required
@require_http_methods(["GET"])
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The goal page: plan verdict, health, SMART check, KPI charts, milestones, check-ins, forms."""
    goal = get_for(
        Goal.objects.select_related("organization", "owner", "team", "parent"),
        request.user,
        Action.VIEW,
        pk=goal_id,
    )
    return render(request, "goals/detail.html", detail_context(request, goal))


@login_required
@require_http_methods(["GET"])
def goal_timeline(request: HttpRequest, goal_id: int) -> HttpResponse:
    """The backward plan as a Gantt (critical path, today, deadline) and each resource's load."""
    goal = get_for(
        Goal.objects.select_related("organization", "owner", "team", "parent"),
        request.user,
        Action.VIEW,
        pk=goal_id,
    )
    timeline = goal_timeline_data(request.user, goal, org_today(goal.organization))
    return render(
        request, "goals/timeline.html", {"goal": goal, "org": goal.organization, "timeline": timeline}
    )


def goal_for_post(request: HttpRequest, goal_id: int, action: Action) -> Goal:
    return get_for(
        Goal.objects.select_related("organization", "owner", "team", "parent"),
        request.user,
        action,
        pk=goal_id,
    )


@login_required
@require_POST
def kpi_create(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = goal_for_post(request, goal_id, Action.PLAN)
    form = KPIForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None}
        try:
            kpi_services.add_kpi(request.user, goal.pk, data)
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"KPI “{data['name']}” added.")
            return redirect("goal-detail", goal_id=goal.pk)
    return render(request, "goals/detail.html", detail_context(request, goal, kpi_form=form), status=400)


@login_required
@require_POST
def reading_create(request: HttpRequest, kpi_id: int) -> HttpResponse:
    kpi = get_for(KPI.objects.select_related("goal"), request.user, Action.CONTRIBUTE, pk=kpi_id)
    form = ReadingForm(request.POST)
    if form.is_valid():
        reading = kpi_services.ReadingIn(date=form.cleaned_data["date"], value=form.cleaned_data["value"])
        try:
            kpi_services.record_readings(request.user, kpi.pk, [reading])
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Reading recorded for {kpi.name}.")
            return redirect("goal-detail", goal_id=kpi.goal_id)
    goal = goal_for_post(request, kpi.goal_id, Action.VIEW)
    context = detail_context(request, goal, reading_form=form) | {"reading_kpi": kpi.pk}
    return render(request, "goals/detail.html", context, status=400)


@login_required
@require_POST
def milestone_create(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = goal_for_post(request, goal_id, Action.PLAN)
    form = MilestoneForm(request.POST, goal=goal)
    if form.is_valid():
        try:
            milestone_services.add_milestone(request.user, goal.pk, form.service_data())
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Milestone “{form.cleaned_data['title']}” added.")
            return redirect("goal-detail", goal_id=goal.pk)
    return render(
        request, "goals/detail.html", detail_context(request, goal, milestone_form=form), status=400
    )


@login_required
@require_POST
def checkin_create(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = goal_for_post(request, goal_id, Action.CONTRIBUTE)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            checkin_services.post_checkin(request.user, goal.pk, form.cleaned_data)
        except InvalidInput as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Check-in posted.")
            return redirect("goal-detail", goal_id=goal.pk)
    return render(request, "goals/detail.html", detail_context(request, goal, checkin_form=form), status=400)
