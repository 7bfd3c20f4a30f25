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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backcast import limits
from backcast.goals.models import Demand, Goal, Milestone, Resource
from backcast.services.goals import milestones as milestone_services
from backcast.services.goals.milestones import MilestoneFields
from backcast.services.goals.resources import capacity as clean_capacity
from backcast.services.platform.errors import InvalidInput
from backcast.services.platform.specs import given
from backcast.services.reporting.plans import load_rows

CHANGE_KEYS = ("milestones", "add", "remove", "capacity", "deadline", "start")


@contextmanager
def placed(place: str) -> Iterator[None]:
    """Name the place in the changes of a fault a reused validator reports by its own field."""
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput(exc.message, f"{place}.{exc.field}" if exc.field else place) from exc


def entries(value: Any, place: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInput("must be a list", place)
    return list(value)


def milestone_in(value: Any, rows: Mapping[int, Milestone], place: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in rows:
        raise InvalidInput(f"no milestone {value!r} in this goal", place)
    return int(value)


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


def size(value: Any) -> int:
    """How many entries a list of changes holds (0 for anything else: that fault is named later)."""
    return len(value) if isinstance(value, list | tuple) else 0


def check_size(raw: Mapping[str, Any]) -> None:
    """Refuse changes larger than a scenario may hold (``backcast.limits``), before any is checked.

    Counted on the lists as given, so checking, planning and adopting a scenario are bounded
    whatever it holds: milestones changed, added and removed together, milestones added and their
    links (adopting adds each through the milestone services, the costliest step), and capacities.
    """
    named = sum(size(raw.get(key)) for key in ("milestones", "add", "remove"))
    if named > limits.SCENARIO_MILESTONES:
        raise InvalidInput(
            f"a scenario may change at most {limits.SCENARIO_MILESTONES:,} milestones (changed, added "
            f"and removed together); this one changes {named:,}",
            "changes",
        )
    added = raw.get("add")
    new = size(added)
    if new > limits.SCENARIO_NEW_MILESTONES:
        raise InvalidInput(
            f"a scenario may add at most {limits.SCENARIO_NEW_MILESTONES:,} milestones; this one adds {new:,}",
            "changes.add",
        )
    links = 0
    for entry in added if isinstance(added, list | tuple) else []:
        if isinstance(entry, Mapping):
            links += size(entry.get("after")) + size(entry.get("before"))
    if links > limits.SCENARIO_NEW_LINKS:
        raise InvalidInput(
            f"a scenario's new milestones may have at most {limits.SCENARIO_NEW_LINKS:,} links (after "
            f"and before together); these have {links:,}",
            "changes.add",
        )
    capacities = size(raw.get("capacity"))
    if capacities > limits.SCENARIO_CAPACITIES:
        raise InvalidInput(
            f"a scenario may change the capacity of at most {limits.SCENARIO_CAPACITIES:,} resources; "
            f"this one changes {capacities:,}",
            "changes.capacity",
        )


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


def estimate_json(m: Milestone) -> list[int] | None:
    if m.likely is None:
        return None
    return [int(m.optimistic or 0), int(m.likely), int(m.pessimistic or 0)]


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
    ``changes.milestones[0].duration``. Changes larger than a scenario may hold are refused
    first, whole (:func:`check_size`).
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be an object of changes", "changes")
    unknown = sorted(set(raw) - set(CHANGE_KEYS))
    if unknown:
        raise InvalidInput(f"unknown change {unknown[0]!r}; use {', '.join(CHANGE_KEYS)}", "changes")
    check_size(raw)
    rows = {m.pk: m for m in Milestone.objects.filter(goal=goal)}
    resources = {r.pk: r for r in Resource.objects.filter(organization_id=goal.organization_id)}
    out: dict[str, Any] = {"milestones": [], "add": [], "remove": [], "capacity": []}

    for k, value in enumerate(entries(raw.get("remove"), "changes.remove")):
        pk = milestone_in(value, rows, f"changes.remove[{k}]")
        if pk in out["remove"]:
            raise InvalidInput(f"milestone {pk} is listed twice", f"changes.remove[{k}]")
        out["remove"].append(pk)
    removed = set(out["remove"])

    capacity: dict[int, int] = {}
    for k, entry in enumerate(entries(raw.get("capacity"), "changes.capacity")):
        place = f"changes.capacity[{k}]"
        if not isinstance(entry, Mapping):
            raise InvalidInput("must be an object with resource and capacity", place)
        resource = resource_in(entry.get("resource"), resources, f"{place}.resource")
        if resource.pk in capacity:
            raise InvalidInput(f"{resource.name} is listed twice", f"{place}.resource")
        with placed(place):
            capacity[resource.pk] = clean_capacity(entry.get("capacity"))
        others = (
            Demand.objects.filter(resource=resource, units__gt=capacity[resource.pk])
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
        out["capacity"].append({"resource": resource.pk, "capacity": capacity[resource.pk]})

    changed: set[int] = set()
    for k, entry in enumerate(entries(raw.get("milestones"), "changes.milestones")):
        place = f"changes.milestones[{k}]"
        if not isinstance(entry, Mapping):
            raise InvalidInput("must be an object with id, and duration or estimate", place)
        pk = milestone_in(entry.get("id"), rows, f"{place}.id")
        if pk in removed or pk in changed:
            what = "is removed too: change it or remove it" if pk in removed else "is changed twice"
            raise InvalidInput(f"milestone {pk} {what}", f"{place}.id")
        fields = {key: entry[key] for key in ("duration", "estimate") if key in entry}
        if fields.get("duration", 0) is None:
            del fields["duration"]
        if not fields:
            raise InvalidInput("give a duration or an estimate", f"{place}.duration")
        scratch = copy.copy(rows[pk])
        scratch.goal = goal
        with placed(place):
            milestone_services.apply_milestone_fields(scratch, given(MilestoneFields, fields))
        override: dict[str, Any] = {"id": pk}
        if "duration" in fields:
            override["duration"] = scratch.duration
        if "estimate" in fields:
            override["estimate"] = estimate_json(scratch)
        out["milestones"].append(override)
        changed.add(pk)

    for k, entry in enumerate(entries(raw.get("add"), "changes.add")):
        out["add"].append(
            clean_addition(goal, entry, f"changes.add[{k}]", rows, removed, resources, capacity)
        )

    for key in ("deadline", "start"):
        value = raw.get(key)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise InvalidInput("must be a date (YYYY-MM-DD)", f"changes.{key}") from None
        if value is not None and not isinstance(value, date):
            raise InvalidInput("must be a date (YYYY-MM-DD)", f"changes.{key}")
        out[key] = value.isoformat() if value is not None else None
    deadline = date.fromisoformat(out["deadline"]) if out["deadline"] else goal.deadline
    start = date.fromisoformat(out["start"]) if out["start"] else goal.start
    if start is not None and deadline < start:
        raise InvalidInput(f"{deadline} is before the start {start}", "changes.deadline")
    return out


def clean_addition(
    goal: Goal,
    entry: Any,
    place: str,
    rows: Mapping[int, Milestone],
    removed: set[int],
    resources: Mapping[int, Resource],
    capacity: Mapping[int, int],
) -> dict[str, Any]:
    """One new milestone of a scenario, checked (see :func:`clean_changes`)."""
    if not isinstance(entry, Mapping):
        raise InvalidInput("must be an object with title, duration or estimate, after, before, demand", place)
    if "title" not in entry:
        raise InvalidInput("must not be empty", f"{place}.title")
    if entry.get("duration") is None and entry.get("estimate") is None:
        raise InvalidInput("give a duration in working days or an estimate", f"{place}.duration")
    scratch = Milestone(goal=goal)
    with placed(place):
        fields = {key: entry[key] for key in ("title", "duration", "estimate") if key in entry}
        milestone_services.apply_milestone_fields(scratch, given(MilestoneFields, fields))
    links: dict[str, list[int]] = {}
    for side in ("after", "before"):
        links[side] = []
        for n, value in enumerate(entries(entry.get(side), f"{place}.{side}")):
            pk = milestone_in(value, rows, f"{place}.{side}[{n}]")
            if pk in removed:
                raise InvalidInput(f"milestone {pk} is removed in this scenario", f"{place}.{side}[{n}]")
            if pk not in links[side]:
                links[side].append(pk)
    both = set(links["after"]) & set(links["before"])
    if both:
        raise InvalidInput(f"milestone {min(both)} cannot come both before and after it", f"{place}.before")
    demand = entry.get("demand") or {}
    if not isinstance(demand, Mapping):
        raise InvalidInput("must map resources to units per working day", f"{place}.demand")
    units_by_id: dict[str, int] = {}
    for name, units in demand.items():
        where = f"{place}.demand.{name}"
        resource = resource_in(name, resources, where)
        if isinstance(units, bool) or not isinstance(units, int) or units < 0:
            raise InvalidInput(f"must be a whole number of units >= 0, got {units!r}", where)
        limit = capacity.get(resource.pk, resource.capacity)
        if units > limit:
            raise InvalidInput(f"{units} units is above {resource.name}'s capacity of {limit}", where)
        if units:
            units_by_id[str(resource.pk)] = units
    return {
        "title": scratch.title,
        "duration": scratch.duration,
        "estimate": estimate_json(scratch),
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
