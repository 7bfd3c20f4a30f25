"""Use cases for milestones, their dependencies and resource demands."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F

from backcast import limits
from backcast.goals.models import Demand, Dependency, Goal, Milestone, Resource
from backcast.organizations.tenancy import Action, get_for
from backcast.planning.graph import path as graph_path
from backcast.services.goals.goals import clean_title, member_of
from backcast.services.platform.errors import InvalidInput, check_version
from backcast.services.reporting.activity import recorded_as_change

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

MILESTONE_FIELDS = {
    "title",
    "owner",
    "duration",
    "estimate",
    "pinned_start",
    "pinned_finish",
    "status",
    "actual_start",
    "actual_finish",
    "parent",
}


def whole_days(value: Any, field: str) -> int:
    """A whole number of working days, at least 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"must be a whole number of working days >= 0, got {value!r}", field)
    return int(value)


def apply_milestone_fields(milestone: Milestone, data: dict[str, Any]) -> None:
    """Validate and set milestone fields. An estimate without a duration takes its likely value."""
    org = milestone.goal.organization
    if "title" in data:
        milestone.title = clean_title(data["title"])
    if "owner" in data:
        milestone.owner = member_of(org, data["owner"], "owner")
    if "duration" in data and data["duration"] is not None:
        milestone.duration = whole_days(data["duration"], "duration")
    if "estimate" in data:
        estimate = data["estimate"]
        if estimate is None:
            milestone.optimistic = milestone.likely = milestone.pessimistic = None
        else:
            if not isinstance(estimate, list | tuple) or len(estimate) != 3:
                raise InvalidInput("must be three numbers: optimistic, likely, pessimistic", "estimate")
            o, m, p = (whole_days(v, "estimate") for v in estimate)
            if not o <= m <= p:
                raise InvalidInput(
                    f"must be ordered optimistic <= likely <= pessimistic, got {list(estimate)}", "estimate"
                )
            milestone.optimistic, milestone.likely, milestone.pessimistic = o, m, p
            if data.get("duration") is None:
                milestone.duration = m
    for field in ("pinned_start", "pinned_finish", "actual_start", "actual_finish"):
        if field in data:
            if data[field] is not None and not isinstance(data[field], date):
                raise InvalidInput("must be a date (YYYY-MM-DD)", field)
            setattr(milestone, field, data[field])
    if (
        milestone.pinned_start
        and milestone.pinned_finish
        and milestone.pinned_finish < milestone.pinned_start
    ):
        raise InvalidInput(
            f"{milestone.pinned_finish} is before the pinned start {milestone.pinned_start}", "pinned_finish"
        )
    if (
        milestone.actual_start
        and milestone.actual_finish
        and milestone.actual_finish < milestone.actual_start
    ):
        raise InvalidInput(
            f"{milestone.actual_finish} is before the actual start {milestone.actual_start}", "actual_finish"
        )
    if "status" in data:
        if data["status"] not in Milestone.Status.values:
            raise InvalidInput(f"choose one of {', '.join(Milestone.Status.values)}", "status")
        milestone.status = data["status"]
    if "parent" in data:
        parent = data["parent"]
        if parent is None:
            milestone.parent = None
        else:
            found = (
                Milestone.objects.filter(goal=milestone.goal, pk=parent).first()
                if isinstance(parent, int)
                else None
            )
            if found is None or found.pk == milestone.pk:
                raise InvalidInput(f"no other milestone {parent!r} in this goal", "parent")
            milestone.parent = found


def parse_after(after: Any) -> list[tuple[int, str, int]]:
    """``after`` entries as (milestone id, kind, lag): an id, or {id, lag, type}."""
    if after is None:
        return []
    if not isinstance(after, list):
        raise InvalidInput("must be a list of milestone ids", "after")
    links = []
    for index, entry in enumerate(after):
        place = f"after[{index}]"
        if isinstance(entry, dict):
            ident, lag, kind = entry.get("id"), entry.get("lag", 0), entry.get("type", "FS")
        else:
            ident, lag, kind = entry, 0, "FS"
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise InvalidInput(f"must be a milestone id, got {ident!r}", place)
        if isinstance(lag, bool) or not isinstance(lag, int):
            raise InvalidInput(f"lag must be a whole number of working days, got {lag!r}", place)
        if kind not in Dependency.Kind.values:
            raise InvalidInput(
                f"type must be one of {', '.join(Dependency.Kind.values)}, got {kind!r}", place
            )
        links.append((ident, str(kind), lag))
    return links


def set_predecessors(milestone: Milestone, links: list[tuple[int, str, int]]) -> None:
    """Replace the milestone's predecessors, refusing other goals' milestones, cycles and more
    links in the goal than ``limits.GOAL_DEPENDENCIES``."""
    goal_ids = dict(Milestone.objects.filter(pk__in=[i for i, _, _ in links]).values_list("pk", "goal_id"))
    for index, (ident, _, _) in enumerate(links):
        if ident not in goal_ids:
            raise InvalidInput(f"no milestone {ident} in this goal", f"after[{index}]")
        if goal_ids[ident] != milestone.goal_id:
            raise InvalidInput(
                f"milestone {ident} belongs to another goal; dependencies stay inside one goal",
                f"after[{index}]",
            )
        if ident == milestone.pk:
            raise InvalidInput("a milestone cannot depend on itself", f"after[{index}]")
    graph: dict[int, list[int]] = defaultdict(list)
    existing = Dependency.objects.filter(successor__goal_id=milestone.goal_id).exclude(successor=milestone)
    for pred, succ in existing.values_list("predecessor_id", "successor_id"):
        graph[pred].append(succ)
    total = sum(map(len, graph.values())) + len(links)
    if total > limits.GOAL_DEPENDENCIES:
        raise InvalidInput(
            f"a goal may have at most {limits.GOAL_DEPENDENCIES:,} dependencies; this one would have {total:,}",
            "after",
        )
    titles = dict(Milestone.objects.filter(goal_id=milestone.goal_id).values_list("pk", "title"))
    for index, (ident, _, _) in enumerate(links):
        path = graph_path(graph, milestone.pk, ident)
        if path is not None:
            cycle = " -> ".join(repr(titles.get(n, milestone.title)) for n in [*path, milestone.pk])
            raise InvalidInput(f"would close a cycle: {cycle}", f"after[{index}]")
    with recorded_as_change(milestone, "after"):  # one change of the milestone, not a row per link
        Dependency.objects.filter(successor=milestone).delete()
        Dependency.objects.bulk_create(
            Dependency(predecessor_id=i, successor=milestone, kind=k, lag=lag) for i, k, lag in links
        )


def set_demand(milestone: Milestone, demand: Any) -> None:
    """Replace the milestone's demand: {resource name or id: units per working day}."""
    if demand is None:
        demand = {}
    if not isinstance(demand, dict):
        raise InvalidInput("must map resource names to units per working day", "demand")
    resources = Resource.objects.filter(organization_id=milestone.goal.organization_id)
    rows = []
    for name, units in demand.items():
        place = f"demand.{name}"
        resource = (
            resources.filter(pk=int(name)).first()
            if str(name).isdigit()
            else resources.filter(name=name).first()
        )
        if resource is None:
            raise InvalidInput(f"no resource {name!r} in this organisation", place)
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise InvalidInput(f"must be a whole number of units >= 0, got {units!r}", place)
        if units > resource.capacity:
            raise InvalidInput(
                f"{units} units is above {resource.name}'s capacity of {resource.capacity}", place
            )
        if units:
            rows.append(Demand(milestone=milestone, resource=resource, units=units))
    with recorded_as_change(milestone, "demand"):
        Demand.objects.filter(milestone=milestone).delete()
        Demand.objects.bulk_create(rows)


@transaction.atomic
def add_milestone(actor: AnyUser, goal_id: int, data: dict[str, Any]) -> Milestone:
    """Add a milestone with its dependencies (``after``) and demand; all or nothing.

    Refused once the goal holds ``limits.GOAL_MILESTONES`` milestones (counted under the goal's
    row lock, so two requests at once cannot both pass the last place).
    """
    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    count = Milestone.objects.filter(goal=goal).count()
    if count >= limits.GOAL_MILESTONES:
        raise InvalidInput(
            f"a goal may have at most {limits.GOAL_MILESTONES:,} milestones; this one has {count:,} already"
        )
    if "title" not in data:
        raise InvalidInput("must not be empty", "title")
    if data.get("duration") is None and data.get("estimate") is None:
        raise InvalidInput("give a duration in working days or an estimate", "duration")
    milestone = Milestone(goal=goal)
    apply_milestone_fields(milestone, {k: v for k, v in data.items() if k in MILESTONE_FIELDS})
    links = parse_after(data.get("after"))
    milestone.save()
    set_predecessors(milestone, links)
    set_demand(milestone, data.get("demand"))
    return milestone


@transaction.atomic
def update_milestone(
    actor: AnyUser, milestone_id: int, data: dict[str, Any], *, expected_version: int | None = None
) -> Milestone:
    """Change a milestone. Owners and admins change anything; contributors only status and actual dates.

    A stale ``expected_version`` is refused with :class:`Conflict` (see ``update_goal``);
    without one, a blind write. Its links (``after``) and demand count as the milestone's own:
    changing them bumps its version too.
    """
    base = Milestone.objects.select_for_update(of=("self",)).select_related("goal__organization")
    planning_fields = set(data) - {"status", "actual_start", "actual_finish"}
    milestone = get_for(base, actor, Action.PLAN if planning_fields else Action.CONTRIBUTE, pk=milestone_id)
    check_version(milestone, expected_version, f"The milestone {milestone.title!r}")
    apply_milestone_fields(milestone, {k: v for k, v in data.items() if k in MILESTONE_FIELDS})
    milestone.version += 1
    milestone.save()
    if "after" in data:
        set_predecessors(milestone, parse_after(data["after"]))
    if "demand" in data:
        set_demand(milestone, data["demand"])
    return milestone


@transaction.atomic
def delete_milestone(actor: AnyUser, milestone_id: int) -> None:
    """Move a milestone and its sub-milestones to the trash (``services.goals.trash``): their links and
    demand drop out of the plan, so its successors lose that dependency, until it is restored
    (30 days) or purged."""
    from backcast.services.goals.trash import trash_milestone

    milestone = get_for(
        Milestone.objects.select_for_update(of=("self",)), actor, Action.PLAN, pk=milestone_id
    )
    trash_milestone(actor, milestone)


@transaction.atomic
def add_dependency(actor: AnyUser, goal_id: int, data: dict[str, Any]) -> Dependency:
    """Make ``successor`` depend on ``predecessor`` (both of this goal), refusing cycles and repeats."""
    goal = get_for(Goal.objects.select_for_update(), actor, Action.PLAN, pk=goal_id)
    ident = data.get("successor")
    successor = (
        Milestone.objects.filter(goal=goal, pk=ident).first()
        if isinstance(ident, int) and not isinstance(ident, bool)
        else None
    )
    if successor is None:
        raise InvalidInput(f"no milestone {data.get('successor')!r} in this goal", "successor")
    entry = {"id": data.get("predecessor"), "lag": data.get("lag", 0), "type": data.get("type", "FS")}
    try:
        (link,) = parse_after([entry])
        current = list(
            Dependency.objects.filter(successor=successor).values_list("predecessor_id", "kind", "lag")
        )
        if any(pred == link[0] for pred, _, _ in current):
            raise InvalidInput(f"{successor.title!r} already depends on milestone {link[0]}", "predecessor")
        set_predecessors(successor, [*current, link])
    except InvalidInput as exc:  # faults of the link are faults of the predecessor named
        raise InvalidInput(exc.message, "predecessor") from exc
    bump_version(successor.pk)
    return Dependency.objects.get(predecessor_id=link[0], successor=successor)


def bump_version(milestone_id: int) -> None:
    """Move a milestone's version on after a change to its links made outside ``update_milestone``.

    Its ``after`` is part of what a client read, so an edit made from before the change must be
    recognised as stale. An increment in the database, so concurrent bumps are never lost.
    """
    Milestone.objects.filter(pk=milestone_id).update(version=F("version") + 1)


@transaction.atomic
def remove_dependency(actor: AnyUser, dependency_id: int) -> None:
    """Drop one dependency; the milestones stay (the successor's version moves on)."""
    dependency = get_for(Dependency.objects.all(), actor, Action.PLAN, pk=dependency_id)
    dependency.delete()
    bump_version(dependency.successor_id)
