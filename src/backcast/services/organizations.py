"""Use cases for organisations, memberships and teams. Each runs in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify

from backcast.accounts.models import User
from backcast.organizations.models import Membership, Organization, Team
from backcast.organizations.tenancy import Action, Role, get_for
from backcast.services.errors import InvalidInput, check_one_line

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

ROLES = {choice.value for choice in Role}


def check_role(role: str) -> Role:
    """The role named ``role``, or :class:`InvalidInput` listing the valid ones."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}", "role")
    return Role(role)


def unique_slug(base: str, taken: set[str]) -> str:
    """A slug from ``base`` that is not in ``taken``: ``line-2``, ``line-3``... when needed."""
    root = slugify(base)[:50] or "org"
    slug, n = root, 2
    while slug in taken:
        slug, n = f"{root}-{n}", n + 1
    return slug


@transaction.atomic
def create_organization(name: str, *, creator: User | None = None, timezone: str = "UTC") -> Organization:
    """Create an organisation; its creator, if given, becomes its first admin."""
    name = name.strip()
    if not name:
        raise InvalidInput("an organisation needs a name", "name")
    check_one_line(name, "name")
    taken = set(
        Organization.objects.filter(slug__startswith=slugify(name)[:50]).values_list("slug", flat=True)
    )
    org = Organization(name=name, slug=unique_slug(name, taken), timezone=timezone)
    org.full_clean()
    org.save()
    if creator is not None:
        Membership.objects.create(organization=org, user=creator, role=Role.ADMIN)
    return org


def find_or_create_organization(name_or_slug: str) -> tuple[Organization, bool]:
    """The organisation whose slug or name is ``name_or_slug``, created if there is none."""
    existing = (
        Organization.objects.filter(slug=name_or_slug).first()
        or Organization.objects.filter(name__iexact=name_or_slug.strip()).first()
    )
    if existing is not None:
        return existing, False
    return create_organization(name_or_slug), True


@transaction.atomic
def set_membership(org: Organization, user: User, role: str) -> Membership:
    """Give ``user`` the role ``role`` in ``org``, adding the membership if needed.

    Used by the command line and by :func:`add_member`; it does no permission check of its own.
    """
    checked = check_role(role)
    membership, _ = Membership.objects.update_or_create(
        organization=org, user=user, defaults={"role": checked}
    )
    return membership


@transaction.atomic
def add_member(actor: AnyUser, org_slug: str, email: str, role: str) -> Membership:
    """An admin of the organisation adds an existing user by e-mail, or changes their role.

    An admin cannot demote themself, so an organisation never loses its last admin by accident.
    """
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=org_slug)
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise InvalidInput(f"no user with the e-mail address {email!r}", "email")
    if user.pk == actor.pk and role != Role.ADMIN:
        raise InvalidInput("you cannot change your own role; ask another admin", "role")
    return set_membership(org, user, role)


@transaction.atomic
def create_team(actor: AnyUser, org_slug: str, name: str) -> Team:
    """An admin creates a team in their organisation; names are unique inside it."""
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=org_slug)
    name = name.strip()
    if not name:
        raise InvalidInput("a team needs a name", "name")
    if len(name) > Team._meta.get_field("name").max_length:  # type: ignore[operator]
        raise InvalidInput("a team name has at most 120 characters", "name")
    check_one_line(name, "name")
    if org.teams.filter(name__iexact=name).exists():
        raise InvalidInput(f"there is already a team called {name!r}", "name")
    slug = unique_slug(name, set(org.teams.values_list("slug", flat=True)))
    return Team.objects.create(organization=org, name=name, slug=slug)
