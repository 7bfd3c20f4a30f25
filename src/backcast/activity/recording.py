"""Writing events: who acts, which goal and organisation, and folding one action's changes together."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from backcast.activity.context import current_actor, current_scope
from backcast.activity.models import Event, Verb
from backcast.goals.models import Goal

if TYPE_CHECKING:
    from backcast.accounts.models import User
    from backcast.organizations.tenancy import AnyUser


def plain(value: Any) -> Any:
    """A value as JSON keeps it: dates as ISO strings, decimals as floats."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def goal_facts(goal_id: int | None) -> tuple[int | None, str]:
    """The organisation and title of a goal, in the trash or not; (None, "") when it is gone."""
    if goal_id is None:
        return None, ""
    row = Goal.all_objects.filter(pk=goal_id).values_list("organization_id", "title").first()
    return (row[0], row[1]) if row else (None, "")


def who(actor: AnyUser | None) -> tuple[User | None, str]:
    """The person an explicit ``actor`` names, or whoever the scope says acts."""
    from backcast.accounts.models import User

    if isinstance(actor, User) and actor.is_authenticated and actor.pk is not None:
        return actor, actor.display_name
    return current_actor()


def fold(earlier: dict[str, Any], later: dict[str, Any], *, created: bool) -> dict[str, Any]:
    """One event's changes followed by another's: the first ``before`` and the last ``after``."""
    merged = dict(earlier)
    for name, (before, after) in later.items():
        first = merged[name][0] if name in merged else before
        merged[name] = [None if created else first, after]
    if not created:
        merged = {name: pair for name, pair in merged.items() if pair[0] != pair[1]}
    return merged


def write(
    *,
    action: str,
    object_type: str,
    object_id: int | None,
    object_label: str,
    goal_id: int | None = None,
    organization_id: int | None = None,
    goal_title: str | None = None,
    changes: dict[str, Any] | None = None,
    detail: str = "",
    actor: AnyUser | None = None,
) -> Event | None:
    """Write one event (or fold a change into the event the same scope wrote for that object).

    The organisation comes from the goal when not given; without either nothing is written (an
    object of no organisation has no feed to be in). Changes to one object within one scope by
    the same person fold into one event: a creation absorbs the changes that follow it.
    """
    org_id, title = goal_facts(goal_id) if goal_id is not None else (None, "")
    organization_id = organization_id or org_id
    if organization_id is None:
        return None
    user, label = who(actor)
    changes = {name: [plain(b), plain(a)] for name, (b, a) in (changes or {}).items()}
    scope = current_scope()
    key = (object_type, object_id or 0)
    if scope is not None and object_id is not None and action == Verb.CHANGED and key in scope.written:
        earlier = Event.objects.filter(pk=scope.written[key]).first()  # gone if its transaction rolled back
        if (
            earlier is not None
            and (earlier.object_type, earlier.object_id) == key  # SQLite may reuse a rolled-back id
            and earlier.action in (Verb.CREATED, Verb.CHANGED)
            and earlier.actor_id == (user.pk if user else None)
        ):
            earlier.changes = fold(earlier.changes, changes, created=earlier.action == Verb.CREATED)
            earlier.object_label = object_label[:300]
            earlier.save(update_fields=["changes", "object_label"])
            return earlier
    if action == Verb.CHANGED and not changes and not detail:
        return None
    event = Event.objects.create(
        organization_id=organization_id,
        goal_id=goal_id,
        goal_title=(goal_title if goal_title is not None else title)[:200],
        actor=user,
        actor_label=label[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:300],
        changes=changes,
        detail=detail[:300],
    )
    if scope is not None and object_id is not None:
        scope.written[key] = event.pk
    return event
