"""Request and response shapes of the API (kept apart from the models they describe)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from backcast.api.inputs import Input
from backcast.goals.models import Resource
from backcast.organizations.models import Membership, Team


class Error(Schema):
    """Every 4xx answers with a message, and the field at fault when there is one."""

    detail: str
    field: str | None = None


class Me(Schema):
    id: int
    email: str
    name: str


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str
    timezone: str
    role: str = Field(description="The caller's role in this organisation")

    # Read from the caller's membership: the organisation's fields and the role.
    @staticmethod
    def resolve_id(obj: Membership) -> int:
        return obj.organization.pk

    @staticmethod
    def resolve_name(obj: Membership) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_slug(obj: Membership) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_timezone(obj: Membership) -> str:
        return obj.organization.timezone


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    members: list[str] = Field(description="E-mail addresses of the team's members")

    @staticmethod
    def resolve_members(obj: Team) -> list[str]:
        return [u.email for u in obj.members.all()]


class TeamIn(Input):
    name: str = Field(min_length=1, max_length=120)


class MemberOut(Schema):
    email: str
    name: str
    role: str
    joined: datetime

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_name(obj: Membership) -> str:
        return obj.user.name

    @staticmethod
    def resolve_joined(obj: Membership) -> datetime:
        return obj.created_at


class MemberIn(Input):
    email: str
    role: str


class Created(Schema):
    id: int


class ResourceIn(Input):
    name: str
    capacity: int = Field(1, ge=0, description="Units available on each working day")
    team: int | str | None = None


class ResourcePatch(Input):
    name: str | None = None
    capacity: int | None = Field(None, ge=0)
    team: int | str | None = None


class ResourceOut(Schema):
    id: int
    name: str
    capacity: int
    team: str | None

    @staticmethod
    def resolve_team(obj: Resource) -> str | None:
        return obj.team.slug if obj.team else None
