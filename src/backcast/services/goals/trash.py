"""The trash: deleting a goal or a milestone is undoable for a while, then it is purged for good.

A deletion only marks the row (``deleted_at``, ``deleted_by``): the default managers hide it
(``goals.models.LiveManager``), and with it everything under it, from every page, list, plan,
summary, feed and API answer, while nothing is lost, so :func:`restore_goal` and
:func:`restore_milestone` bring it back as it was. Sub-milestones go to the trash with their
milestone (same instant) and come back with it. After :func:`retention` (``TRASH_RETENTION_DAYS``,
30 days unless configured; read from the settings as it runs), :func:`purge_expired` deletes the
rows for good (the worker calls it on each tick). Every move leaves an event in the audit trail,
which keeps no foreign key to what it describes and so outlives the purge.

The marks are written with ``QuerySet.update`` (no model signal: the event is written here); the
database triggers of ``goals.stamps`` see the update and mark the goal's summary stale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backcast import limits
from backcast.activity.context import SYSTEM, acting_as, quiet
from backcast.activity.models import Verb
from backcast.activity.recording import write
from backcast.goals.models import Dependency, Goal, Milestone
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.planning.graph import find_cycle
from backcast.services.platform.errors import InvalidInput

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser


def retention() -> timedelta:
    """How long what is deleted stays restorable: ``settings.BACKCAST_TRASH_RETENTION_DAYS``."""
    return timedelta(days=int(settings.BACKCAST_TRASH_RETENTION_DAYS))


def retention_words() -> str:
    """The retention period as messages and pages say it: "30 days" (or "1 day")."""
    days = retention().days
    return f"{days} day{'' if days == 1 else 's'}"


def record(verb: str, row: Goal | Milestone, *, detail: str = "", actor: AnyUser | None = None) -> None:
    """The event of a goal or milestone going into the trash, out of it, or out for good."""
    if isinstance(row, Goal):
        kind, goal_id, organization_id, goal_title = "goal", row.pk, row.organization_id, row.title
    else:
        kind, goal_id, organization_id, goal_title = "milestone", row.goal_id, None, None
    write(
        action=verb,
        object_type=kind,
        object_id=row.pk,
        object_label=row.title,
        goal_id=goal_id,
        goal_title=goal_title,
        organization_id=organization_id,
        detail=detail,
        actor=actor,
    )


def put_in(
    actor: AnyUser, row: Goal | Milestone, ids: list[int], when: datetime | None, with_: str = ""
) -> None:
    """Mark ``row`` and the rows ``ids`` deleted with it (``row`` among them), and record it."""
    when = when or timezone.now()
    type(row).all_objects.filter(pk__in=ids).update(deleted_at=when, deleted_by_id=user_pk(actor) or None)
    record(
        Verb.DELETED,
        row,
        detail=f"moved to the trash{with_}, restorable for {retention_words()}",
        actor=actor,
    )


def trash_goal(actor: AnyUser, goal: Goal, when: datetime | None = None) -> None:
    """Put a goal (already checked for the actor) in the trash; its rows stay, hidden with it."""
    put_in(actor, goal, [goal.pk], when)


def subtree(milestone: Milestone, *, deleted_at: datetime | None) -> list[int]:
    """The milestone and its sub-milestones (at any depth) whose ``deleted_at`` is the one given."""
    children: dict[int | None, list[int]] = defaultdict(list)
    rows = Milestone.all_objects.filter(goal_id=milestone.goal_id, deleted_at=deleted_at)
    for pk, parent in rows.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found, stack = [milestone.pk], [milestone.pk]
    while stack:
        for child in children[stack.pop()]:
            found.append(child)
            stack.append(child)
    return found


def trash_milestone(actor: AnyUser, milestone: Milestone, when: datetime | None = None) -> None:
    """Put a milestone and its sub-milestones in the trash; their links drop out of the plan."""
    ids = subtree(milestone, deleted_at=None)
    more = len(ids) - 1
    put_in(
        actor, milestone, ids, when, f" with {more} sub-milestone{'s' if more > 1 else ''}" if more else ""
    )
    touch_successors(ids)


def touch_successors(ids: list[int]) -> None:
    """Move on the version of every milestone that follows one of ``ids`` (outside them).

    Their links to ``ids`` leave or rejoin the plan, and a successor's ``after`` is part of what a
    client read: an edit made from before the move must be recognised as stale (409).
    """
    following = Dependency._base_manager.filter(predecessor_id__in=ids).exclude(successor_id__in=ids)
    successors = set(following.values_list("successor_id", flat=True))
    Milestone.all_objects.filter(pk__in=successors).update(version=F("version") + 1)


def check_restorable(
    row: Goal | Milestone, field: str, now: datetime, held: tuple[str, str] | None = None
) -> None:
    """Refuse (``InvalidInput`` on ``field``) to restore a row that is not in the trash, or that
    was deleted a retention period or more before ``now``. ``held`` (a message and its field) is
    what else keeps the row in the trash, checked in between."""
    if row.deleted_at is None:
        raise InvalidInput(f"{row.title!r} is not in the trash", field)
    if held is not None:
        raise InvalidInput(*held)
    if row.deleted_at <= now - retention():
        raise InvalidInput(
            f"{row.title!r} was deleted more than {retention_words()} ago and can no longer be restored",
            field,
        )


def take_out(actor: AnyUser, row: Goal | Milestone, ids: list[int]) -> None:
    """Clear the marks of ``row`` and the rows ``ids`` deleted with it (``row`` among them), and
    record the restore."""
    type(row).all_objects.filter(pk__in=ids).update(deleted_at=None, deleted_by=None)
    record(Verb.RESTORED, row, actor=actor)
    row.deleted_at, row.deleted_by = None, None


@transaction.atomic
def restore_goal(actor: AnyUser, goal_id: int, now: datetime | None = None) -> Goal:
    """Take a goal out of the trash (owners and admins), with everything it had.

    ``InvalidInput`` (field ``goal``) when it is not in the trash or its retention period has passed.
    """
    goal = get_for(Goal.all_objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    check_restorable(goal, "goal", now or timezone.now())
    take_out(actor, goal, [goal.pk])
    return goal


def cycle_after_restore(goal_id: int, returning: set[int]) -> list[int] | None:
    """A cycle the goal's live links would have with the returning milestones' links, closed
    (its first milestone again at the end), or None."""
    live = set(Milestone.objects.filter(goal_id=goal_id).values_list("pk", flat=True)) | returning
    succs: dict[int, list[int]] = defaultdict(list)
    links = Dependency._base_manager.filter(successor__goal_id=goal_id)  # hidden links too
    for pred, succ in links.values_list("predecessor_id", "successor_id"):
        if pred in live and succ in live:
            succs[pred].append(succ)
    cycle = find_cycle(sorted(live), succs)
    return [*cycle, cycle[0]] if cycle else None


def check_room(goal_id: int, returning: set[int]) -> None:
    """Refuse a restore that would take the goal past its milestones or dependencies limit
    (``backcast.limits``): deleting and restoring must not grow a goal past what adding allows.

    A goal already past a limit (made before the limits) still gets back what was deleted from it.
    """
    live = set(Milestone.objects.filter(goal_id=goal_id).values_list("pk", flat=True))
    links = Dependency._base_manager.filter(successor__goal_id=goal_id)  # hidden links too
    pairs = list(links.values_list("predecessor_id", "successor_id"))
    after = live | returning
    for what, before, count, limit in (
        ("milestones", len(live), len(after), limits.GOAL_MILESTONES),
        (
            "dependencies",
            sum(1 for p, s in pairs if p in live and s in live),
            sum(1 for p, s in pairs if p in after and s in after),
            limits.GOAL_DEPENDENCIES,
        ),
    ):
        if before <= limit < count:
            raise InvalidInput(
                f"restoring it would give its goal {count:,} {what}, more than the {limit:,} a goal "
                "may have: delete others first",
                "milestone",
            )


@transaction.atomic
def restore_milestone(actor: AnyUser, milestone_id: int, now: datetime | None = None) -> Milestone:
    """Take a milestone (and the sub-milestones deleted with it) out of the trash (owners and admins).

    Refused (``InvalidInput``) when it is not in the trash, its goal or its parent milestone is
    in the trash (restore that first), its retention period has passed, its dependencies would
    now close a cycle with links made while it was away, or its goal would pass its limits.
    """
    base = Milestone.all_objects.select_for_update(of=("self",)).select_related("goal", "parent")
    milestone = get_for(base, actor, Action.PLAN, pk=milestone_id)
    check_restorable(milestone, "milestone", now or timezone.now(), held_back(milestone))
    ids = subtree(milestone, deleted_at=milestone.deleted_at)
    cycle = cycle_after_restore(milestone.goal_id, set(ids))
    if cycle:
        titles = dict(Milestone.all_objects.filter(pk__in=cycle).values_list("pk", "title"))
        path = " -> ".join(repr(titles[pk]) for pk in cycle)
        raise InvalidInput(
            f"restoring it would close a cycle: {path}; remove one of those links first", "milestone"
        )
    check_room(milestone.goal_id, set(ids))
    take_out(actor, milestone, ids)
    touch_successors(ids)
    return milestone


def held_back(milestone: Milestone) -> tuple[str, str] | None:
    """What keeps a milestone in the trash besides itself (a message and its field): its goal,
    or the parent milestone, in the trash too."""
    if milestone.goal.deleted_at is not None:
        return f"its goal {milestone.goal.title!r} is in the trash: restore the goal first", "goal"
    if milestone.parent is not None and milestone.parent.deleted_at is not None:
        return (
            f"it is part of {milestone.parent.title!r}, which is in the trash: restore that first",
            "parent",
        )
    return None


@dataclass(frozen=True, slots=True)
class TrashItem:
    """A goal or milestone in the trash, and until when it can be restored."""

    kind: str  # "goal" or "milestone"
    id: int
    title: str
    goal_id: int
    goal_title: str
    deleted_at: datetime
    deleted_by: str
    purge_at: datetime


def trash_of(actor: AnyUser, slug: str) -> tuple[Organization, list[TrashItem]]:
    """What is in an organisation's trash (viewers and up see it), most recently deleted first.

    A milestone is listed alone only when its goal is live and it was not deleted with its
    parent milestone (then it comes back with that one).
    """
    org = get_for(Organization.objects.all(), actor, Action.VIEW, slug=slug)
    goals = Goal.all_objects.filter(organization=org, deleted_at__isnull=False).select_related("deleted_by")
    items = [entry("goal", g, g) for g in goals]
    milestones = (
        Milestone.all_objects.filter(
            goal__organization=org, deleted_at__isnull=False, goal__deleted_at__isnull=True
        )
        .select_related("goal", "parent", "deleted_by")
        .order_by("pk")
    )
    items += [
        entry("milestone", m, m.goal)
        for m in milestones
        if m.parent is None or m.parent.deleted_at != m.deleted_at
    ]
    return org, sorted(items, key=lambda i: (i.deleted_at, i.kind, i.id), reverse=True)


def entry(kind: str, row: Goal | Milestone, goal: Goal) -> TrashItem:
    when = row.deleted_at or timezone.now()  # always set on what the trash lists
    who = str(row.deleted_by) if row.deleted_by is not None else "someone no longer here"
    return TrashItem(kind, row.pk, row.title, goal.pk, goal.title, when, who, when + retention())


def purge_expired(now: datetime) -> int:
    """Delete for good what has been in the trash for its retention period or more; returns how
    many items.

    A goal takes its KPIs, readings, milestones, check-ins, comments and baselines with it; a
    milestone its sub-milestones, links, demand, check-ins and comments. One event per goal or
    milestone purged, by "system" (the retention rule, whoever runs it); the trail of what was
    purged stays. Each item goes in its own transaction, taken again under a lock (skipping one
    another worker holds) and checked still expired, so workers running at once, or a restore
    in between, never purge twice or purge what came back.
    """
    cutoff = now - retention()
    count = 0
    with acting_as(None, SYSTEM):
        for pk in list(
            Goal.all_objects.filter(deleted_at__lte=cutoff).order_by("pk").values_list("pk", flat=True)
        ):
            with transaction.atomic():
                goal = (
                    Goal.all_objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, deleted_at__lte=cutoff)
                    .first()
                )
                if goal is None:
                    continue
                record(Verb.PURGED, goal)
                with quiet():
                    goal.delete()
            count += 1
        expiring = (
            Milestone.all_objects.filter(deleted_at__lte=cutoff).order_by("pk").values_list("pk", flat=True)
        )
        for pk in list(expiring):
            with transaction.atomic():
                lock = Milestone.all_objects.select_for_update(skip_locked=True, of=("self",))
                milestone = lock.select_related("parent").filter(pk=pk, deleted_at__lte=cutoff).first()
                if milestone is None or (
                    milestone.parent is not None and milestone.parent.deleted_at == milestone.deleted_at
                ):
                    continue  # purged already (with its goal or parent), restored, or goes with its parent
                record(Verb.PURGED, milestone)
                with quiet():
                    milestone.delete()
            count += 1
    return count
