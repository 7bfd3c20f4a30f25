"""The one permission choke point: every lookup of tenant data goes through ``restrict``.

A model that belongs to an organisation uses :class:`TenantQuerySet` as its manager and names the
path to its organisation in ``tenant_path``. ``Model.objects.restrict(user, action)`` then returns
only what that user may do that action on, and :func:`get_for` turns "not visible" into 404 and
"visible but not allowed" into 403. Nothing else in Backcast checks roles inline.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


class Role(models.TextChoices):
    """A member's role inside one organisation, from least to most trusted."""

    VIEWER = "viewer", "Viewer"
    CONTRIBUTOR = "contributor", "Contributor"
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"


ROLE_RANK: dict[str, int] = {Role.VIEWER: 0, Role.CONTRIBUTOR: 1, Role.OWNER: 2, Role.ADMIN: 3}


class Action(StrEnum):
    """What a person wants to do with a tenant object, mapped to the least role that may."""

    VIEW = "view"  # read goals, plans, reports
    CONTRIBUTE = "contribute"  # post check-ins and readings, update milestones
    PLAN = "plan"  # create and change goals, KPIs and plans
    ADMINISTER = "administer"  # members, teams and organisation settings


MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.VIEWER,
    Action.CONTRIBUTE: Role.CONTRIBUTOR,
    Action.PLAN: Role.OWNER,
    Action.ADMINISTER: Role.ADMIN,
}


def roles_allowed(action: Action) -> list[str]:
    """The roles that may perform ``action``."""
    floor = ROLE_RANK[MINIMUM_ROLE[action]]
    return [role for role, rank in ROLE_RANK.items() if rank >= floor]


def role_allows(role: str, action: Action) -> bool:
    """Whether a member with ``role`` may perform ``action``."""
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[MINIMUM_ROLE[action]]


def member_org_ids(user: AnyUser, action: Action) -> models.QuerySet[Any]:
    """Subquery of the ids of the organisations where ``user`` may perform ``action``."""
    from backcast.organizations.models import Membership

    return Membership.objects.filter(
        user_id=user_pk(user), role__in=roles_allowed(action), user__is_active=True
    ).values("organization_id")


def user_pk(user: AnyUser) -> int:
    """The primary key of a logged-in user; 0 (nobody) for an anonymous visitor."""
    return int(user.pk) if user.is_authenticated and user.pk is not None else 0


M = TypeVar("M", bound=models.Model)


class TenantQuerySet(models.QuerySet[M]):
    """A queryset that knows how to scope itself to what a user may see or do."""

    def restrict(self, user: AnyUser, action: Action = Action.VIEW) -> Self:
        """Only the rows of organisations where ``user`` holds a role allowing ``action``.

        Anonymous and inactive users see nothing. Staff status grants nothing here. A model that
        hangs under a goal names the way to it in ``trash_path``: the rows of a goal in the trash
        are hidden along with it (the goal's own manager hides the goal).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        path: str = getattr(self.model, "tenant_path")  # noqa: B009 - declared by each model
        scoped = self.filter(**{f"{path}__in": member_org_ids(user, action)})
        trash: str | None = getattr(self.model, "trash_path", None)
        return scoped.filter(**{f"{trash}__deleted_at__isnull": True}) if trash else scoped


def get_for(queryset: TenantQuerySet[M], user: AnyUser, action: Action, **lookup: Any) -> M:
    """Fetch one object for ``user`` to perform ``action`` on.

    Raises :class:`Http404` when the user cannot even see it (another organisation's data looks
    exactly like data that does not exist) and :class:`PermissionDenied` when the user can see it
    but their role does not allow the action.
    """
    try:
        obj = queryset.restrict(user, Action.VIEW).get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("not found") from None
    if action is not Action.VIEW:
        allowed = queryset.restrict(user, action).filter(pk=obj.pk)
        # The row is locked already if it was asked for; locking again here would lock every
        # joined row (exists() drops select_for_update's ``of``), e.g. a KPI's goal, and deadlock
        # with commits that check a foreign key to it (tests/services/test_readings_concurrent.py).
        allowed.query.select_for_update = False
        if not allowed.exists():
            raise PermissionDenied(f"your role does not allow you to {action.value} here")
    return obj
