"""Organisations the caller belongs to, their teams and members."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from backcast.api.inputs import Pagination
from backcast.api.schemas import (
    Created,
    Error,
    MemberIn,
    MemberOut,
    OrganizationOut,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
    TeamIn,
    TeamOut,
)
from backcast.goals.models import Resource
from backcast.organizations.models import Membership, Organization, Team
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.goals import resources as resource_services
from backcast.services.platform import organizations as org_services

router = Router(tags=["organizations"])
ERRORS: dict[int, Any] = {400: Error, 403: Error, 404: Error}


@router.get("", response=list[OrganizationOut], summary="Organisations you belong to")
@paginate(Pagination)
def list_organizations(request: HttpRequest) -> QuerySet[Membership]:
    memberships = Membership.objects.restrict(request.user).filter(user_id=user_pk(request.user))
    return memberships.select_related("organization").order_by("organization__name")


@router.get("/{slug}", response={200: OrganizationOut, **ERRORS}, summary="One organisation")
def get_organization(request: HttpRequest, slug: str) -> Membership:
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    return Membership.objects.select_related("organization").get(
        organization=org, user_id=user_pk(request.user)
    )


@router.get("/{slug}/teams", response={200: list[TeamOut], **ERRORS}, summary="Teams of an organisation")
@paginate(Pagination)
def list_teams(request: HttpRequest, slug: str) -> QuerySet[Team]:
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    return Team.objects.restrict(request.user).filter(organization=org).prefetch_related("members")


@router.post("/{slug}/teams", response={201: Created, **ERRORS}, summary="Create a team (admins)")
def create_team(request: HttpRequest, slug: str, payload: TeamIn) -> Status[Created]:
    team = org_services.create_team(request.user, slug, payload.name)
    return Status(201, Created(id=team.pk))


@router.get("/{slug}/members", response={200: list[MemberOut], **ERRORS}, summary="Members and their roles")
@paginate(Pagination)
def list_members(request: HttpRequest, slug: str) -> QuerySet[Membership]:
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    return Membership.objects.restrict(request.user).filter(organization=org).select_related("user")


@router.put(
    "/{slug}/members",
    response={200: MemberOut, **ERRORS},
    summary="Change a member's role (admins)",
    description=(
        "Only for people who are members already: anyone else is refused alike, with or without "
        "an account. People join by accepting an invitation (`POST /organizations/{slug}/invitations`)."
    ),
)
def set_member(request: HttpRequest, slug: str, payload: MemberIn) -> Membership:
    return org_services.set_member_role(request.user, slug, payload.email, payload.role)


@router.delete(
    "/{slug}/members/me",
    response={204: None, **ERRORS},
    summary="Leave the organisation",
    description=(
        "Refused (400) for its last admin. You leave its teams, its goals' contributors, and the "
        "goals and milestones you owned are left without an owner; it notifies you no more."
    ),
)
def leave(request: HttpRequest, slug: str) -> Status[None]:
    org_services.leave_organization(request.user, slug)
    return Status(204, None)


@router.get(
    "/{slug}/resources", response={200: list[ResourceOut], **ERRORS}, summary="Resources and their capacity"
)
@paginate(Pagination)
def list_resources(request: HttpRequest, slug: str) -> QuerySet[Resource]:
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    return Resource.objects.restrict(request.user).filter(organization=org).select_related("team")


@router.post(
    "/{slug}/resources", response={201: Created, **ERRORS}, summary="Add a resource (owners and admins)"
)
def create_resource(request: HttpRequest, slug: str, payload: ResourceIn) -> Status[Created]:
    resource = resource_services.create_resource(request.user, slug, payload.dict())
    return Status(201, Created(id=resource.pk))


@router.patch(
    "/{slug}/resources/{resource_id}", response={200: ResourceOut, **ERRORS}, summary="Change a resource"
)
def patch_resource(request: HttpRequest, slug: str, resource_id: int, payload: ResourcePatch) -> Resource:
    org = get_for(Organization.objects.all(), request.user, Action.VIEW, slug=slug)
    if not Resource.objects.filter(organization=org, pk=resource_id).exists():
        raise Http404("not found")
    return resource_services.update_resource(request.user, resource_id, payload.dict(exclude_unset=True))
