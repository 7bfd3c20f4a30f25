"""Use cases for organisations, memberships and teams. Each runs in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.text import slugify
from django.utils.timezone import now

from backcast.accounts.models import User
from backcast.activity.context import quiet
from backcast.activity.models import Verb
from backcast.activity.recording import write
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Membership, Organization, Team
from backcast.organizations.tenancy import Action, Role, get_for, user_pk
from backcast.services.platform.errors import InvalidInput, check_one_line

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

    For the instance's operator only (``backcast user create``, the demo): it does no permission
    check and asks nobody's consent. People inside an organisation go through invitations
    (``services.platform.invitations``), and admins change the roles of members with :func:`set_member_role`.
    """
    checked = check_role(role)
    membership, _ = Membership.objects.update_or_create(
        organization=org, user=user, defaults={"role": checked}
    )
    return membership


@transaction.atomic
def set_member_role(actor: AnyUser, org_slug: str, email: str, role: str) -> Membership:
    """An admin changes the role of someone who is a member already.

    Nobody is added here: an address that is not a member is refused with the same words whether
    or not it has an account (adding people is what invitations are for). An admin cannot demote
    themself, so an organisation never loses its last admin by accident.
    """
    org = get_for(Organization.objects.all(), actor, Action.ADMINISTER, slug=org_slug)
    checked = check_role(role)
    address = email.strip().lower()
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(organization=org, user__email=address)
        .first()
    )
    if membership is None:
        raise InvalidInput(f"{email!r} is not a member of {org.name}; invite them to join instead", "email")
    if membership.user_id == actor.pk and checked != Role.ADMIN:
        raise InvalidInput("you cannot change your own role; ask another admin", "role")
    if membership.role != checked:
        membership.role = checked
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def leave_organization(actor: AnyUser, org_slug: str) -> Organization:
    """The actor leaves the organisation; refused for its last active admin.

    What they held in it is let go, each change in the trail: their place in its teams, among
    its goals' contributors, and as owner of its goals and milestones (an owner must be a
    member; the goals and milestones show as without one until someone takes them on). From
    then on it sends them nothing: every notification checks membership when it is sent.
    """
    org = get_for(Organization.objects.all(), actor, Action.VIEW, slug=org_slug)
    admins = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(organization=org, role=Role.ADMIN, user__is_active=True)
        .values_list("user_id", flat=True)
    )
    mine = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(organization=org, user_id=user_pk(actor))
    )
    if mine.role == Role.ADMIN and set(admins) <= {mine.user_id}:
        raise InvalidInput(
            f"you are the last admin of {org.name}: make another member admin before you leave",
            "organization",
        )
    release(org, mine.user)
    membership_id = mine.pk
    with quiet():  # one event in the leaver's words rather than "deleted membership"
        mine.delete()
    write(
        action=Verb.DELETED,
        object_type="membership",
        object_id=membership_id,
        object_label=str(mine.user),
        organization_id=org.pk,
        changes={"role": [mine.role, None]},
        detail="left",
        actor=actor,
    )
    return org


def release(org: Organization, user: User) -> None:
    """Take ``user`` out of the organisation's teams, contributors and owners (signals record it)."""
    for team in Team.objects.filter(organization=org, members=user):
        team.members.remove(user)
    for goal in Goal.all_objects.filter(organization=org, contributors=user):
        goal.contributors.remove(user)
    at = now()
    for goal in Goal.all_objects.select_for_update(of=("self",)).filter(organization=org, owner=user):
        goal.owner, goal.version, goal.updated_at = None, goal.version + 1, at
        goal.save(update_fields=["owner", "version", "updated_at"])
    for milestone in Milestone.all_objects.select_for_update(of=("self",)).filter(
        goal__organization=org, owner=user
    ):
        milestone.owner, milestone.version = None, milestone.version + 1
        milestone.save(update_fields=["owner", "version"])


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
