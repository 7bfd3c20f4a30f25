"""Use cases for goals: create, change, delete. Each checks the actor's role through tenancy."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.timezone import now

from backcast.accounts.models import User
from backcast.goals.models import KPI, Cadence, Goal, Milestone
from backcast.organizations.models import Membership, Organization, Team
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.platform.errors import InvalidInput, check_one_line, check_version

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

GOAL_FIELDS = {
    "title",
    "description",
    "deadline",
    "start",
    "owner",
    "team",
    "parent",
    "cadence",
    "level",
    "contributors",
}


def clean_title(value: Any, field: str = "title", limit: int = 200) -> str:
    """A non-blank title of at most ``limit`` characters, on one line (no control characters)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must not be empty", field)
    if len(value.strip()) > limit:
        raise InvalidInput(f"must be at most {limit} characters", field)
    return check_one_line(value.strip(), field)


def member_of(org: Organization, email_or_id: Any, field: str) -> User | None:
    """The member of ``org`` named by e-mail or id; None for None; an error for anyone else."""
    if email_or_id in (None, ""):
        return None
    if isinstance(email_or_id, str) and "@" in email_or_id:
        lookup: dict[str, Any] = {"user__email": email_or_id.strip().lower()}
    elif isinstance(email_or_id, int):
        lookup = {"user_id": email_or_id}
    else:
        raise InvalidInput(f"{email_or_id!r} is neither an e-mail address nor a user id", field)
    membership = Membership.objects.select_related("user").filter(organization=org, **lookup).first()
    if membership is None:
        raise InvalidInput(f"{email_or_id!r} is not a member of {org.name}", field)
    return membership.user


def find_team(org: Organization, team: Any) -> Team | None:
    """The team of ``org`` named by id or slug; None for None; an error for anything else."""
    if team in (None, ""):
        return None
    lookup: dict[str, Any] = {"pk": team} if isinstance(team, int) else {"slug": str(team)}
    found = Team.objects.filter(organization=org, **lookup).first()
    if found is None:
        raise InvalidInput(f"no team {team!r} in {org.name}", "team")
    return found


def goal_with_room(
    actor: AnyUser, goal_id: int, rows: type[KPI] | type[Milestone], limit: int, what: str
) -> Goal:
    """The goal to add one of ``rows`` to (owners and admins), refused once it holds ``limit`` of
    them; counted under the goal's row lock, so two requests at once cannot both take the last place."""
    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    count = rows.objects.filter(goal=goal).count()
    if count >= limit:
        raise InvalidInput(f"a goal may have at most {limit:,} {what}; this one has {count:,} already")
    return goal


def organization_for(actor: AnyUser, slug: str | None) -> Organization:
    """The organisation a new goal goes into: the one named, or the actor's only one."""
    if slug:
        return get_for(Organization.objects.all(), actor, Action.PLAN, slug=slug)
    orgs = list(Organization.objects.restrict(actor, Action.PLAN)[:2])
    if len(orgs) != 1:
        raise InvalidInput("name the organisation (its slug): you plan in none or in several", "organization")
    return orgs[0]


def apply_goal_fields(goal: Goal, org: Organization, data: dict[str, Any]) -> list[User] | None:
    """Validate and set goal fields from ``data``; returns the contributors to set, if given."""
    if "title" in data:
        goal.title = clean_title(data["title"])
    if "description" in data:
        goal.description = str(data["description"] or "")
    if "deadline" in data:
        if not isinstance(data["deadline"], date):
            raise InvalidInput("must be a date (YYYY-MM-DD)", "deadline")
        goal.deadline = data["deadline"]
    if "start" in data:
        goal.start = data["start"]
    if goal.start is not None and goal.deadline is not None and goal.deadline < goal.start:
        raise InvalidInput(f"{goal.deadline} is before the start {goal.start}", "deadline")
    if "owner" in data:
        goal.owner = member_of(org, data["owner"], "owner")
    if "cadence" in data:
        if data["cadence"] not in Cadence.values:
            raise InvalidInput(f"choose one of {', '.join(Cadence.values)}", "cadence")
        goal.cadence = data["cadence"]
    if "level" in data:
        if data["level"] not in Goal.Level.values:
            raise InvalidInput(f"choose one of {', '.join(Goal.Level.values)}", "level")
        goal.level = data["level"]
    if "team" in data:
        goal.team = find_team(org, data["team"])
    if "parent" in data:
        set_parent(goal, org, data["parent"])
    if "contributors" in data:
        return [
            u
            for u in (member_of(org, c, "contributors") for c in data["contributors"] or [])
            if u is not None
        ]
    return None


def set_parent(goal: Goal, org: Organization, parent_id: Any) -> None:
    """Align ``goal`` under another goal or objective of the same organisation, without loops."""
    if parent_id in (None, ""):
        goal.parent = None
        return
    parent = (
        Goal.objects.filter(organization=org, pk=parent_id).first() if isinstance(parent_id, int) else None
    )
    if parent is None:
        raise InvalidInput(f"no goal {parent_id!r} in this organisation", "parent")
    ancestor: Goal | None = parent
    while ancestor is not None:
        if goal.pk is not None and ancestor.pk == goal.pk:
            raise InvalidInput(
                f"{parent.title!r} is aligned under this goal already; that would make a loop", "parent"
            )
        ancestor = ancestor.parent
    goal.parent = parent


@transaction.atomic
def create_goal(actor: AnyUser, data: dict[str, Any], organization: str | None = None) -> Goal:
    """Create a goal in the actor's organisation (owners and admins). The actor owns it by default."""
    org = organization_for(actor, organization)
    if "deadline" not in data or data["deadline"] is None:
        raise InvalidInput("a goal needs a deadline", "deadline")
    if "title" not in data:
        raise InvalidInput("must not be empty", "title")
    goal = Goal(organization=org)
    contributors = apply_goal_fields(goal, org, data)
    if "owner" not in data:
        goal.owner_id = user_pk(actor) or None
    goal.save()
    if contributors:
        goal.contributors.set(contributors)
    return goal


@transaction.atomic
def update_goal(
    actor: AnyUser, goal_id: int, data: dict[str, Any], *, expected_version: int | None = None
) -> Goal:
    """Change some fields of a goal; refused with :class:`InvalidInput` without writing anything.

    With ``expected_version`` (the version the editor read) the change is refused with
    :class:`Conflict` when the goal has moved on since: the row is locked before the compare, so
    of two editors starting from the same version exactly one wins. Without it, a blind write.
    """
    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    check_version(goal, expected_version, f"The goal {goal.title!r}")
    contributors = apply_goal_fields(
        goal, goal.organization, {k: v for k, v in data.items() if k in GOAL_FIELDS}
    )
    goal.version += 1
    goal.updated_at = now()
    goal.save()
    if contributors is not None:
        goal.contributors.set(contributors)
    return goal


@transaction.atomic
def delete_goal(actor: AnyUser, goal_id: int) -> None:
    """Move a goal to the trash (owners and admins): hidden with everything under it, restorable
    for the trash's retention period (``services.goals.trash``), then purged with its KPIs,
    readings, milestones and check-ins. Goals aligned under it stay where they are, and are
    unaligned by the purge."""
    from backcast.services.goals.trash import trash_goal

    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    trash_goal(actor, goal)
