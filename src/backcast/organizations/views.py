"""Pages of an organisation: its home, teams and members. Thin: look up, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backcast.organizations.forms import MemberForm, TeamForm
from backcast.organizations.models import Membership, Organization
from backcast.organizations.tenancy import Action, get_for, role_allows, user_pk
from backcast.services import organizations as org_services
from backcast.services.errors import InvalidInput


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The organisations the person belongs to; straight into the only one when there is one."""
    orgs = list(Organization.objects.restrict(request.user))
    if len(orgs) == 1:
        return redirect("goal-list", slug=orgs[0].slug)
    return render(request, "organizations/home.html", {"organizations": orgs})


def org_context(request: HttpRequest, org: Organization) -> dict[str, object]:
    membership = (
        Membership.objects.restrict(request.user)
        .filter(organization=org, user_id=user_pk(request.user))
        .first()
    )
    role = membership.role if membership else ""
    return {
        "org": org,
        "role": role,
        "can_administer": role_allows(role, Action.ADMINISTER),
        "teams": org.teams.prefetch_related("members"),
        "memberships": org.memberships.select_related("user"),
    }


@login_required
@require_http_methods(["GET"])
def org_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's home: its teams and members."""
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    context = org_context(request, org) | {"team_form": TeamForm(), "member_form": MemberForm()}
    return render(request, "organizations/detail.html", context)


@login_required
@require_POST
def team_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Create a team (admins only); on a fault, the page again with the error by the field."""
    org = get_for(Organization.objects.all(), request.user, Action.ADMINISTER, slug=slug)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = org_services.create_team(request.user, slug, form.cleaned_data["name"])
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("org-detail", slug=slug)
    context = org_context(request, org) | {"team_form": form, "member_form": MemberForm()}
    return render(request, "organizations/detail.html", context, status=400)


@login_required
@require_POST
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a member or change a role (admins only)."""
    org = get_for(Organization.objects.all(), request.user, Action.ADMINISTER, slug=slug)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            membership = org_services.add_member(
                request.user, slug, form.cleaned_data["email"], form.cleaned_data["role"]
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{membership.user} is now {membership.get_role_display().lower()}.")
            return redirect("org-detail", slug=slug)
    context = org_context(request, org) | {"team_form": TeamForm(), "member_form": form}
    return render(request, "organizations/detail.html", context, status=400)
