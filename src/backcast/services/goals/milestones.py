"""Use cases for milestones, their dependencies and resource demands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from django.db import transaction
from django.db.models import F
from pydantic import BaseModel, Field, field_validator

from backcast import limits
from backcast.goals.models import Demand, Dependency, Goal, Milestone, Resource
from backcast.organizations.tenancy import Action, get_for
from backcast.planning.graph import path as graph_path
from backcast.services.goals.goals import clean_title, goal_with_room, member_of
from backcast.services.platform.errors import InvalidInput, check_version
from backcast.services.platform.specs import Inner, a_date, given, max_length, one_of
from backcast.services.reporting.activity import recorded_as_change

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser

Link = tuple[int, str, int]  # (the milestone it follows, kind, lag)


def whole_days(value: Any) -> int:
    """A whole number of working days, at least 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number of working days >= 0, got {value!r}")
    return int(value)


def milestone_title(value: Any) -> str:
    return clean_title(value, "title", max_length(Milestone, "title"))


def days(value: Any) -> int | None:
    """A duration in working days, or None (not given)."""
    return None if value is None else whole_days(value)


def estimate_of(value: Any) -> list[int] | None:
    """A three-point estimate [optimistic, likely, pessimistic] in working days, or None."""
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ValueError("must be three numbers: optimistic, likely, pessimistic")
    o, m, p = (whole_days(v) for v in value)
    if not o <= m <= p:
        raise ValueError(f"must be ordered optimistic <= likely <= pessimistic, got {list(value)}")
    return [o, m, p]


def units_of(demand: dict[Any, Any]) -> dict[Any, int]:
    """A demand's units per working day, each a whole number (its resources are the service's to find)."""
    for name, units in demand.items():
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise Inner(f"must be a whole number of units >= 0, got {units!r}", str(name))
    return demand


def link_of(entry: Any) -> Link:
    """An ``after`` entry as (milestone id, kind, lag): an id, or {id, lag, type}."""
    if isinstance(entry, dict):
        ident, lag, kind = entry.get("id"), entry.get("lag", 0), entry.get("type", "FS")
    else:
        ident, lag, kind = entry, 0, "FS"
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise ValueError(f"must be a milestone id, got {ident!r}")
    if isinstance(lag, bool) or not isinstance(lag, int):
        raise ValueError(f"lag must be a whole number of working days, got {lag!r}")
    if kind not in Dependency.Kind.values:
        raise ValueError(f"type must be one of {', '.join(Dependency.Kind.values)}, got {kind!r}")
    return ident, str(kind), lag


class MilestoneFields(BaseModel):
    """A milestone's fields as people set them, each checked by itself: ``Milestone.FIELDS``, its
    three-point estimate as one field, and its links (``after``) and demand.

    The API's request bodies are made of these fields. Who the owner is, which milestone the
    parent, the links' and demand's rows: the service finds them among the goal's and the
    organisation's rows (:func:`apply_milestone_fields`, :func:`set_predecessors`,
    :func:`set_demand`).
    """

    title: str
    duration: int | None = Field(None, ge=0, description="Working days; 0 makes a checkpoint")
    estimate: list[int] | None = Field(None, description="[optimistic, likely, pessimistic] working days")
    after: list[Link] = Field([], description="Milestone ids this one follows (finish-to-start)")
    owner: int | str | None = None
    demand: dict[str, int] = Field({}, description="Resource name -> units used on each working day")
    pinned_start: date | None = None
    pinned_finish: date | None = None
    parent: int | None = None
    status: Literal["not_started", "in_progress", "done"] = "not_started"
    actual_start: date | None = None
    actual_finish: date | None = None

    _title = field_validator("title", mode="plain")(milestone_title)
    _duration = field_validator("duration", mode="plain")(days)
    _estimate = field_validator("estimate", mode="plain")(estimate_of)

    @field_validator("after", mode="plain")
    @classmethod
    def _after(cls, value: Any) -> list[Link]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("must be a list of milestone ids")
        links = []
        for index, entry in enumerate(value):
            try:
                links.append(link_of(entry))
            except ValueError as exc:
                raise Inner(str(exc), f"[{index}]") from None
        return links

    @field_validator("demand", mode="plain")
    @classmethod
    def _demand(cls, value: Any) -> dict[str, int]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("must map resource names to units per working day")
        return units_of(value)

    @field_validator("owner", "parent", mode="plain")
    @classmethod
    def _row(cls, value: Any) -> Any:
        return value  # looked up among the rows by the service

    @field_validator("pinned_start", "pinned_finish", "actual_start", "actual_finish", mode="plain")
    @classmethod
    def _date(cls, value: Any) -> date | None:
        return a_date(value)

    @field_validator("status", mode="plain")
    @classmethod
    def _status(cls, value: Any) -> str:
        return one_of(value, Milestone.Status.values)


def apply_milestone_fields(milestone: Milestone, fields: Mapping[str, Any]) -> None:
    """Set checked fields (:class:`MilestoneFields`, as :func:`given` returns them) on the milestone.

    An estimate without a duration takes its likely value. The owner must be a member of the
    organisation, the pinned and the actual dates in order, the parent another milestone of the goal.
    """
    if "owner" in fields:
        milestone.owner = member_of(milestone.goal.organization, fields["owner"], "owner")
    for name, value in fields.items():
        if name in Milestone.FIELDS and name not in ("owner", "parent", "duration"):
            setattr(milestone, name, value)
    if fields.get("duration") is not None:
        milestone.duration = fields["duration"]
    if "estimate" in fields:
        estimate = fields["estimate"]
        milestone.optimistic, milestone.likely, milestone.pessimistic = estimate or (None, None, None)
        if estimate is not None and fields.get("duration") is None:
            milestone.duration = estimate[1]
    for what in ("pinned", "actual"):
        start, finish = getattr(milestone, f"{what}_start"), getattr(milestone, f"{what}_finish")
        if start and finish and finish < start:
            raise InvalidInput(f"{finish} is before the {what} start {start}", f"{what}_finish")
    if "parent" in fields:
        milestone.parent = parent_in(milestone, fields["parent"])


def parent_in(milestone: Milestone, parent: Any) -> Milestone | None:
    """The other milestone of the goal that ``parent`` names, or None for None."""
    if parent is None:
        return None
    found = (
        Milestone.objects.filter(goal=milestone.goal, pk=parent).first() if isinstance(parent, int) else None
    )
    if found is None or found.pk == milestone.pk:
        raise InvalidInput(f"no other milestone {parent!r} in this goal", "parent")
    return found


def set_predecessors(milestone: Milestone, links: list[Link]) -> None:
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


def set_demand(milestone: Milestone, demand: Mapping[Any, int]) -> None:
    """Replace the milestone's demand: {resource name or id: units per working day}, as checked by
    :class:`MilestoneFields`; each resource must be the organisation's, with the capacity for it."""
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
    goal = goal_with_room(actor, goal_id, Milestone, limits.GOAL_MILESTONES, "milestones")
    if "title" not in data:
        raise InvalidInput("must not be empty", "title")
    if data.get("duration") is None and data.get("estimate") is None:
        raise InvalidInput("give a duration in working days or an estimate", "duration")
    fields = given(MilestoneFields, data)
    milestone = Milestone(goal=goal)
    apply_milestone_fields(milestone, fields)
    milestone.save()
    set_predecessors(milestone, fields.get("after", []))
    set_demand(milestone, fields.get("demand", {}))
    return milestone


@transaction.atomic
def update_milestone(
    actor: AnyUser, milestone_id: int, data: dict[str, Any], *, expected_version: int | None = None
) -> Milestone:
    """Change a milestone: owners and admins anything, contributors only its status and actual dates.

    Its links (``after``) and demand count as the milestone's own: changing them moves its
    version on too, and an edit made from before ``expected_version`` is refused (:func:`check_version`).
    """
    base = Milestone.objects.select_for_update(of=("self",)).select_related("goal__organization")
    planning_fields = set(data) - {"status", "actual_start", "actual_finish"}
    milestone = get_for(base, actor, Action.PLAN if planning_fields else Action.CONTRIBUTE, pk=milestone_id)
    check_version(milestone, expected_version, f"The milestone {milestone.title!r}")
    fields = given(MilestoneFields, data)
    apply_milestone_fields(milestone, fields)
    milestone.version += 1
    milestone.save()
    if "after" in fields:
        set_predecessors(milestone, fields["after"])
    if "demand" in fields:
        set_demand(milestone, fields["demand"])
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
        link = link_of(entry)
    except ValueError as exc:
        raise InvalidInput(str(exc), "predecessor") from exc
    try:
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
