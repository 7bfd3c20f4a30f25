"""A scenario's changes: checked against the goal, stored as JSON, and applied to copies of its rows.

:func:`clean_changes` validates what a person asks for (faults name their place, such as
``changes.milestones[0].duration``) and returns the normalised JSON a
:class:`~backcast.replanning.models.Scenario` keeps. :func:`load_draft` reads a goal's plan rows
as :func:`backcast.services.reporting.plans.build_plan` does; :func:`apply_changes` returns a changed copy
of them, writing nothing, so the same rows plan the live plan and the what-if side by side.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from backcast import limits
from backcast.goals.models import Demand, Goal, Milestone, Resource
from backcast.services.goals import milestones as milestone_services
from backcast.services.goals.milestones import MilestoneFields, days, estimate_of, milestone_title, units_of
from backcast.services.goals.resources import capacity as clean_capacity
from backcast.services.platform.errors import InvalidInput
from backcast.services.platform.specs import Inner, a_date, given, joined, parse
from backcast.services.reporting.plans import load_rows


def size(value: Any) -> int:
    """How many entries a list of changes holds (0 for anything else: that fault is named later)."""
    return len(value) if isinstance(value, list | tuple) else 0


def oversize(raw: Mapping[str, Any]) -> Inner | None:
    """What makes changes larger than a scenario may hold (``backcast.limits``), at its place
    under ``changes``; None when they fit.

    Counted on the lists as given, so checking, planning and adopting a scenario are bounded
    whatever it holds: milestones changed, added and removed together, milestones added and their
    links (adopting adds each through the milestone services, the costliest step), and capacities.
    """
    named = sum(size(raw.get(key)) for key in ("milestones", "add", "remove"))
    if named > limits.SCENARIO_MILESTONES:
        return Inner(
            f"a scenario may change at most {limits.SCENARIO_MILESTONES:,} milestones (changed, added "
            f"and removed together); this one changes {named:,}",
            "",
        )
    added = raw.get("add")
    new = size(added)
    if new > limits.SCENARIO_NEW_MILESTONES:
        return Inner(
            f"a scenario may add at most {limits.SCENARIO_NEW_MILESTONES:,} milestones; this one adds {new:,}",
            "add",
        )
    links = 0
    for entry in added if isinstance(added, list | tuple) else []:
        if isinstance(entry, Mapping):
            links += size(entry.get("after")) + size(entry.get("before"))
    if links > limits.SCENARIO_NEW_LINKS:
        return Inner(
            f"a scenario's new milestones may have at most {limits.SCENARIO_NEW_LINKS:,} links (after "
            f"and before together); these have {links:,}",
            "add",
        )
    capacities = size(raw.get("capacity"))
    if capacities > limits.SCENARIO_CAPACITIES:
        return Inner(
            f"a scenario may change the capacity of at most {limits.SCENARIO_CAPACITIES:,} resources; "
            f"this one changes {capacities:,}",
            "capacity",
        )
    return None


def check_size(raw: Mapping[str, Any]) -> None:
    """Refuse changes larger than a scenario may hold (:func:`oversize`), before any is checked."""
    fault = oversize(raw)
    if fault is not None:
        raise InvalidInput(fault.message, joined("changes", fault.where))


def check_goal_size(draft: Draft) -> None:
    """Refuse changes that would take the goal past its milestones or dependencies limit."""
    for what, count, limit in (
        ("milestones", len(draft.milestones), limits.GOAL_MILESTONES),
        ("dependencies", len(draft.links), limits.GOAL_DEPENDENCIES),
    ):
        if count > limit:
            raise InvalidInput(
                f"a goal may have at most {limit:,} {what}; with these changes it would have {count:,}",
                "changes",
            )


def entries(value: Any) -> list[Any]:
    """A list of changes as given: none for None, a list or a tuple as it is."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list")
    return list(value)


def an_object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"must be an object with {what}")
    return dict(raw)


def milestone_id(value: Any) -> int:
    """A milestone named by its id; whether the goal has it is checked against its rows."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"no milestone {value!r} in this goal")
    return int(value)


def milestone_ids(value: Any) -> list[int]:
    ids = entries(value)
    for n, ident in enumerate(ids):
        try:
            milestone_id(ident)
        except ValueError as exc:
            raise Inner(str(exc), f"[{n}]") from None
    return ids


class MilestoneChange(BaseModel):
    """A new duration or estimate for one of the goal's milestones."""

    id: int = Field(description="A milestone of the goal")
    duration: int | None = Field(None, ge=0, description="Working days")
    estimate: list[int] | None = Field(
        None, description="[optimistic, likely, pessimistic] working days; null drops the estimate"
    )

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, raw: Any) -> dict[str, Any]:
        return {"id": None} | an_object(raw, "id, and duration or estimate")  # no id: no milestone

    _id = field_validator("id", mode="plain")(milestone_id)
    _duration = field_validator("duration", mode="plain")(days)
    _estimate = field_validator("estimate", mode="plain")(estimate_of)

    @model_validator(mode="after")
    def _duration_or_estimate(self) -> MilestoneChange:
        if self.duration is None and "estimate" not in self.model_fields_set:
            raise Inner("give a duration or an estimate", "duration")
        return self


class AddedMilestone(BaseModel):
    """A new milestone, finish-to-start after and before milestones of the goal."""

    title: str
    duration: int | None = Field(None, ge=0)
    estimate: list[int] | None = None
    after: list[int] = Field(default_factory=list, description="Milestones it follows (finish-to-start)")
    before: list[int] = Field(default_factory=list, description="Milestones that follow it (finish-to-start)")
    demand: dict[str, int] = Field(
        default_factory=dict, description="Units a day by resource id or name (answers use ids)"
    )

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, raw: Any) -> dict[str, Any]:
        entry = an_object(raw, "title, duration or estimate, after, before, demand")
        if "title" not in entry:
            raise Inner("must not be empty", "title")
        if entry.get("duration") is None and entry.get("estimate") is None:
            raise Inner("give a duration in working days or an estimate", "duration")
        return entry

    _title = field_validator("title", mode="plain")(milestone_title)
    _duration = field_validator("duration", mode="plain")(days)
    _estimate = field_validator("estimate", mode="plain")(estimate_of)
    _links = field_validator("after", "before", mode="plain")(milestone_ids)

    @field_validator("demand", mode="plain")
    @classmethod
    def _demand(cls, value: Any) -> dict[Any, int]:
        if not value:
            return {}
        if not isinstance(value, Mapping):
            raise ValueError("must map resources to units per working day")
        return units_of(dict(value))


class CapacityChange(BaseModel):
    """A new capacity for one of the organisation's resources."""

    resource: int | str = Field(description="A resource of the organisation, by id or name (answers use ids)")
    capacity: int = Field(ge=0, description="Units available each working day")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, raw: Any) -> dict[str, Any]:
        return {"resource": None, "capacity": None} | an_object(raw, "resource and capacity")

    @field_validator("resource", mode="plain")
    @classmethod
    def _resource(cls, value: Any) -> Any:
        return value  # found among the organisation's resources, by id or name (resource_in)

    @field_validator("capacity", mode="plain")
    @classmethod
    def _capacity(cls, value: Any) -> int:
        return clean_capacity(value)


class ScenarioChanges(BaseModel):
    """What a scenario changes, each entry checked by itself; :func:`clean_changes` checks them
    against the goal's rows. Changes larger than a scenario may hold are refused first, whole."""

    milestones: list[MilestoneChange] = []
    add: list[AddedMilestone] = []
    remove: list[int] = Field(
        default_factory=list, description="Milestones to remove (with their sub-milestones)"
    )
    capacity: list[CapacityChange] = Field(
        default_factory=list, description="The organisation's resources: adopting changes them for every goal"
    )
    deadline: date | None = None
    start: date | None = None

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, raw: Any) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise ValueError("must be an object of changes")
        unknown = sorted(set(raw) - set(cls.model_fields))
        if unknown:
            raise ValueError(f"unknown change {unknown[0]!r}; use {', '.join(cls.model_fields)}")
        fault = oversize(raw)
        if fault is not None:
            raise fault
        return dict(raw)

    _entries = field_validator("milestones", "add", "capacity", mode="before")(entries)
    _remove = field_validator("remove", mode="plain")(milestone_ids)

    @field_validator("deadline", "start", mode="plain")
    @classmethod
    def _date(cls, value: Any) -> date | None:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError("must be a date (YYYY-MM-DD)") from None
        return a_date(value)


def milestone_in(pk: int, rows: Mapping[int, Milestone], place: str) -> None:
    if pk not in rows:
        raise InvalidInput(f"no milestone {pk!r} in this goal", place)


def resource_in(value: Any, resources: Mapping[int, Resource], place: str) -> Resource:
    """A resource of the organisation by id (or digits) or by name."""
    found: Resource | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        found = resources.get(value)
    elif isinstance(value, str):
        found = (
            resources.get(int(value))
            if value.isdigit()
            else next((r for r in resources.values() if r.name == value), None)
        )
    if found is None:
        raise InvalidInput(f"no resource {value!r} in this organisation", place)
    return found


def clean_changes(goal: Goal, raw: Any) -> dict[str, Any]:
    """The changes of a scenario, checked against the goal as it is now, as plain JSON.

    ``milestones``: ``[{id, duration?, estimate?}]``, overrides of existing milestones
    (``estimate`` ``[optimistic, likely, pessimistic]`` or null to drop it; an estimate without
    a duration sets the duration to its likely value, as on the milestone itself). ``add``:
    ``[{title, duration? , estimate?, after: [id], before: [id], demand: {resource: units}}]``,
    new milestones finish-to-start after and before existing ones (``demand`` by resource id or
    name; stored by id). ``remove``: milestone ids (their sub-milestones go too). ``capacity``:
    ``[{resource, capacity}]`` (the organisation's resource: adopting changes it for every goal
    that uses it). ``deadline``, ``start``: dates. Faults name their place, such as
    ``changes.milestones[0].duration``: first those of an entry by itself (:class:`ScenarioChanges`),
    then those against the goal's rows. Changes larger than a scenario may hold are refused
    first, whole (:func:`oversize`).
    """
    changes = parse(ScenarioChanges, raw, place="changes")
    rows = {m.pk: m for m in Milestone.objects.filter(goal=goal)}
    resources = {r.pk: r for r in Resource.objects.filter(organization_id=goal.organization_id)}
    out: dict[str, Any] = {"milestones": [], "add": [], "remove": [], "capacity": []}

    for k, pk in enumerate(changes.remove):
        milestone_in(pk, rows, f"changes.remove[{k}]")
        if pk in out["remove"]:
            raise InvalidInput(f"milestone {pk} is listed twice", f"changes.remove[{k}]")
        out["remove"].append(pk)
    removed = set(out["remove"])

    capacity: dict[int, int] = {}
    for k, c in enumerate(changes.capacity):
        place = f"changes.capacity[{k}]"
        resource = resource_in(c.resource, resources, f"{place}.resource")
        if resource.pk in capacity:
            raise InvalidInput(f"{resource.name} is listed twice", f"{place}.resource")
        capacity[resource.pk] = c.capacity
        others = (
            Demand.objects.filter(resource=resource, units__gt=c.capacity)
            .exclude(milestone_id__in=removed)
            .select_related("milestone__goal")
            .first()
        )
        if others is not None:
            raise InvalidInput(
                f"{others.milestone.title!r} of {others.milestone.goal.title!r} needs {others.units} "
                f"{resource.name} a day",
                f"{place}.capacity",
            )
        out["capacity"].append({"resource": resource.pk, "capacity": c.capacity})

    changed: set[int] = set()
    for k, o in enumerate(changes.milestones):
        place = f"changes.milestones[{k}].id"
        milestone_in(o.id, rows, place)
        if o.id in removed or o.id in changed:
            what = "is removed too: change it or remove it" if o.id in removed else "is changed twice"
            raise InvalidInput(f"milestone {o.id} {what}", place)
        override: dict[str, Any] = {"id": o.id}
        if o.duration is not None:
            override["duration"] = o.duration
        if "estimate" in o.model_fields_set:
            override["estimate"] = o.estimate
        out["milestones"].append(override)
        changed.add(o.id)

    for k, a in enumerate(changes.add):
        out["add"].append(addition(a, f"changes.add[{k}]", rows, removed, resources, capacity))

    for key in ("deadline", "start"):
        value = getattr(changes, key)
        out[key] = value.isoformat() if value is not None else None
    deadline = changes.deadline or goal.deadline
    start = changes.start or goal.start
    if start is not None and deadline < start:
        raise InvalidInput(f"{deadline} is before the start {start}", "changes.deadline")
    return out


def addition(
    a: AddedMilestone,
    place: str,
    rows: Mapping[int, Milestone],
    removed: set[int],
    resources: Mapping[int, Resource],
    capacity: Mapping[int, int],
) -> dict[str, Any]:
    """One new milestone of a scenario, checked against the goal's rows (see :func:`clean_changes`)."""
    links: dict[str, list[int]] = {"after": [], "before": []}
    for side, ids in (("after", a.after), ("before", a.before)):
        for n, pk in enumerate(ids):
            milestone_in(pk, rows, f"{place}.{side}[{n}]")
            if pk in removed:
                raise InvalidInput(f"milestone {pk} is removed in this scenario", f"{place}.{side}[{n}]")
            if pk not in links[side]:
                links[side].append(pk)
    both = set(links["after"]) & set(links["before"])
    if both:
        raise InvalidInput(f"milestone {min(both)} cannot come both before and after it", f"{place}.before")
    units_by_id: dict[str, int] = {}
    for name, units in a.demand.items():
        where = f"{place}.demand.{name}"
        resource = resource_in(name, resources, where)
        limit = capacity.get(resource.pk, resource.capacity)
        if units > limit:
            raise InvalidInput(f"{units} units is above {resource.name}'s capacity of {limit}", where)
        if units:
            units_by_id[str(resource.pk)] = units
    likely = a.estimate[1] if a.estimate else 0  # one of them is given (AddedMilestone)
    return {
        "title": a.title,
        "duration": a.duration if a.duration is not None else likely,
        "estimate": a.estimate,
        "after": links["after"],
        "before": links["before"],
        "demand": units_by_id,
    }


@dataclass(slots=True)
class Draft:
    """A goal's plan rows (as ``services.reporting.plans.build_plan`` loads them), possibly changed in memory.

    ``resources`` are those in play (used, or with a capacity change), one object per resource
    so a capacity change reaches every demand; ``capacity_before`` their capacities before the
    changes. ``stale`` lists changes that no longer fit the goal; ``notes`` what else the
    changes imply. Added milestones have ids -1, -2, ... (their place in ``add``).
    """

    goal: Goal
    milestones: list[Milestone]
    links: list[tuple[int, int, str, int]]
    demands: list[Demand]
    resources: dict[int, Resource]
    capacity_before: dict[int, int]
    stale: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_draft(goal: Goal) -> Draft:
    """The goal's rows as ``services.reporting.plans.load_rows`` reads them (so plans share a cache key)."""
    milestones, links, demands = load_rows(goal)
    resources: dict[int, Resource] = {}
    for d in demands:
        d.resource = resources.setdefault(d.resource_id, d.resource)
    capacity = {pk: r.capacity for pk, r in resources.items()}
    return Draft(goal, milestones, links, demands, resources, capacity)


def apply_changes(base: Draft, changes: Mapping[str, Any]) -> Draft:
    """A copy of ``base`` with ``changes`` applied; ``base`` and the database stay as they are."""
    goal = copy.copy(base.goal)
    if changes.get("deadline"):
        goal.deadline = date.fromisoformat(changes["deadline"])
    if changes.get("start"):
        goal.start = date.fromisoformat(changes["start"])
    rows = {m.pk: m for m in base.milestones}
    stale: list[str] = []
    notes: list[str] = []
    removed = removal(rows, changes.get("remove", []), stale, notes)
    milestones = [copy.copy(m) for m in base.milestones if m.pk not in removed]
    live = {m.pk: m for m in milestones}
    for m in milestones:
        m.goal = goal
    wanted = {c["resource"] for c in changes.get("capacity", [])}
    wanted |= {int(rid) for a in changes.get("add", []) for rid in a["demand"]}
    resources = {pk: copy.copy(r) for pk, r in base.resources.items()}
    missing = wanted - set(resources)
    if missing:
        for r in Resource.objects.filter(organization_id=goal.organization_id, pk__in=missing):
            resources[r.pk] = r
    capacity_before = {pk: r.capacity for pk, r in resources.items()}
    demands = []
    for d in base.demands:
        if d.milestone_id not in removed:
            d = copy.copy(d)
            d.resource = resources[d.resource_id]
            demands.append(d)
    links = [link for link in base.links if link[0] not in removed and link[1] not in removed]

    for c in changes.get("capacity", []):
        if c["resource"] in resources:
            resources[c["resource"]].capacity = c["capacity"]
        else:
            stale.append(f"resource {c['resource']} (capacity change) is no longer in the organisation")
    for o in changes.get("milestones", []):
        target = live.get(o["id"])
        if target is None:
            stale.append(gone(o["id"], "to change", rows))
            continue
        milestone_services.apply_milestone_fields(
            target, given(MilestoneFields, {k: o[k] for k in ("duration", "estimate") if k in o})
        )
    for k, a in enumerate(changes.get("add", [])):
        new = Milestone(pk=-(k + 1), goal=goal, title=a["title"], duration=a["duration"])
        if a.get("estimate"):
            new.optimistic, new.likely, new.pessimistic = a["estimate"]
        milestones.append(new)
        for pred in a["after"]:
            if pred in live:
                links.append((pred, new.pk, "FS", 0))
            else:
                stale.append(gone(pred, f"before {a['title']!r}", rows))
        for succ in a["before"]:
            if succ in live:
                links.append((new.pk, succ, "FS", 0))
            else:
                stale.append(gone(succ, f"after {a['title']!r}", rows))
        for rid, units in a["demand"].items():
            if int(rid) in resources:
                demands.append(Demand(milestone_id=new.pk, resource=resources[int(rid)], units=units))
            else:
                stale.append(f"resource {rid} (used by {a['title']!r}) is no longer in the organisation")
    return Draft(goal, milestones, links, demands, resources, capacity_before, stale, notes)


def gone(pk: int, role: str, rows: Mapping[int, Milestone]) -> str:
    """Why a change naming milestone ``pk`` no longer applies."""
    if pk in rows:
        return f"{rows[pk].title!r} ({role}) is removed with the milestone it is part of"
    return f"milestone {pk} ({role}) is no longer in this goal"


def removal(rows: Mapping[int, Milestone], ids: list[int], stale: list[str], notes: list[str]) -> set[int]:
    """The milestones a removal takes away: those named and, as deleting does, their sub-milestones."""
    removed: set[int] = set()
    for pk in ids:
        if pk in rows:
            removed.add(pk)
        else:
            stale.append(f"milestone {pk} (to remove) is no longer in this goal")
    children: dict[int, list[int]] = defaultdict(list)
    for m in rows.values():
        if m.parent_id is not None:
            children[m.parent_id].append(m.pk)
    stack = sorted(removed)
    while stack:
        for child in children[stack.pop()]:
            if child not in removed:
                removed.add(child)
                stack.append(child)
                notes.append(f"{rows[child].title!r} goes too: it is part of a milestone removed")
    return removed
