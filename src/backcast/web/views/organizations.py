"""Pages of an organisation: its home, teams, members and invitations, leaving it, and the page
an invitation's link opens. Thin: look up, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from backcast.accounts.models import User
from backcast.organizations.models import Membership, Organization
from backcast.organizations.tenancy import Action, get_for, role_allows, user_pk
from backcast.services.platform import invitations as invitation_services
from backcast.services.platform import organizations as org_services
from backcast.services.platform.errors import InvalidInput
from backcast.web.forms.organizations import InviteForm, JoinForm, RoleForm, TeamForm


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
    can_administer = role_allows(role, Action.ADMINISTER)
    return {
        "org": org,
        "role": role,
        "can_administer": can_administer,
        "teams": org.teams.prefetch_related("members"),
        "memberships": org.memberships.select_related("user"),
        "invitations": (
            invitation_services.pending_invitations(request.user, org.slug) if can_administer else []
        ),
        "now": timezone.now(),
    }


def detail_page(request: HttpRequest, org: Organization, status: int = 200, **forms: Any) -> HttpResponse:
    """The organisation's page, with the forms given (bound, with their errors) or blank ones."""
    context = org_context(request, org) | {
        "team_form": TeamForm(),
        "invite_form": InviteForm(),
        "role_form": RoleForm(org=org),
    }
    return render(request, "organizations/detail.html", context | forms, status=status)


def show_fault(form: Any, exc: InvalidInput) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
@require_http_methods(["GET"])
def org_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An organisation's home: its teams and members; for admins, its invitations too."""
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    return detail_page(request, org)


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
            show_fault(form, exc)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("org-detail", slug=slug)
    return detail_page(request, org, 400, team_form=form)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str) -> HttpResponse:
    """Change a member's role (admins only). Nobody is added here: people join by invitation."""
    org = get_for(Organization.objects.all(), request.user, Action.ADMINISTER, slug=slug)
    form = RoleForm(request.POST, org=org)
    if form.is_valid():
        try:
            membership = org_services.set_member_role(
                request.user, slug, form.cleaned_data["member"], form.cleaned_data["role"]
            )
        except InvalidInput as exc:
            show_fault(form, exc if exc.field != "email" else InvalidInput(exc.message, "member"))
        else:
            messages.success(request, f"{membership.user} is now {membership.get_role_display().lower()}.")
            return redirect("org-detail", slug=slug)
    return detail_page(request, org, 400, role_form=form)


@login_required
@require_POST
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite an address (admins only); the same answer whether or not it has an account."""
    org = get_for(Organization.objects.all(), request.user, Action.ADMINISTER, slug=slug)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitation_services.invite(
                request.user, slug, form.cleaned_data["email"], form.cleaned_data["role"]
            )
        except InvalidInput as exc:
            show_fault(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("org-detail", slug=slug)
    return detail_page(request, org, 400, invite_form=form)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    """Send an invitation again with a new link (admins only)."""
    try:
        invitation = invitation_services.resend_invitation(request.user, slug, invitation_id)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation sent to {invitation.email} again.")
    return redirect("org-detail", slug=slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    """Revoke an invitation: its link stops working (admins only)."""
    try:
        invitation = invitation_services.revoke_invitation(request.user, slug, invitation_id)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("org-detail", slug=slug)


@login_required
@require_POST
def org_leave(request: HttpRequest, slug: str) -> HttpResponse:
    """Leave the organisation; its last admin is refused, on the page, with the reason."""
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    try:
        org_services.leave_organization(request.user, slug)
    except InvalidInput as exc:
        return detail_page(request, org, 400, leave_error=exc.message)
    messages.success(request, f"You left {org.name}.")
    return redirect("home")


INVITATION_KEY = "backcast_invitation"


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    """The page an invitation's link opens: log in and accept, or create the account and join.

    The link's secret is moved from the address into the session at once (after Django's
    password reset), so it stays out of the browser's history, of the ``Referer`` of the pages
    that follow and of the log-in page's ``next``. Every link that cannot be accepted answers the
    same 404. Only the account with the invited address accepts; the page says which address
    that is to whoever holds the link, who received it at that address.
    """
    if "token" in request.GET:
        request.session[INVITATION_KEY] = request.GET["token"]
        return redirect("invitation-accept")
    raw = str(request.session.get(INVITATION_KEY, ""))
    invitation = invitation_services.open_invitation(raw)
    if invitation is None:
        return render(request, "organizations/invitation.html", {"invalid": True}, status=404)
    account = invitation_services.account_for(invitation)
    user = request.user if isinstance(request.user, User) else None
    context: dict[str, Any] = {"invitation": invitation, "has_account": account is not None}
    if user is not None and user.email != invitation.email:
        status = 403 if request.method == "POST" else 200
        return render(
            request, "organizations/invitation.html", context | {"other_account": user}, status=status
        )
    if account is not None and user is None:
        status = 403 if request.method == "POST" else 200
        return render(request, "organizations/invitation.html", context | {"log_in": True}, status=status)
    if user is not None:
        return accept_signed_in(request, user, raw, context)
    return join_as_new(request, raw, context)


def accept_signed_in(request: HttpRequest, user: User, raw: str, context: dict[str, Any]) -> HttpResponse:
    if request.method != "POST":
        return render(request, "organizations/invitation.html", context | {"accept": True})
    try:
        membership = invitation_services.accept_invitation(user, raw)
    except InvalidInput as exc:
        return render(request, "organizations/invitation.html", context | {"error": exc.message}, status=400)
    return joined(request, membership)


def join_as_new(request: HttpRequest, raw: str, context: dict[str, Any]) -> HttpResponse:
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_services.join_with_new_account(
                raw, form.cleaned_data["name"], form.cleaned_data["password"]
            )
        except InvalidInput as exc:
            show_fault(form, exc)
        else:
            login(request, membership.user)
            return joined(request, membership)
    status = 400 if request.method == "POST" else 200
    return render(request, "organizations/invitation.html", context | {"form": form}, status=status)


def joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    request.session.pop(INVITATION_KEY, None)
    org = membership.organization
    messages.success(
        request, f"Welcome to {org.name}: you joined as {membership.get_role_display().lower()}."
    )
    return redirect("org-detail", slug=org.slug)
