"""The plan model: a goal's deadline, its milestones, their dependencies and the resources they use.

What the plan-file reader and the web app both build, and what the scheduler reads. Building a
:class:`Plan` checks nothing; :func:`check_plan` does, raising :class:`PlanError` with the place
of the first fault (a path such as ``("milestones", 3, "after", 0)``) so each interface can name
it its own way: the reader as a place in the file, the API as a field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from backcast.planning import graph
from backcast.planning.calendar import WorkCalendar

Kind = Literal["FS", "SS", "FF"]
KINDS: tuple[Kind, ...] = ("FS", "SS", "FF")
Place = tuple[str | int, ...]


class PlanError(ValueError):
    """A plan that cannot be planned: ``place`` is where, ``message`` what is wrong."""

    def __init__(self, place: Place, message: str) -> None:
        super().__init__(message)
        self.place = place
        self.message = message


@dataclass(frozen=True, slots=True)
class Dependency:
    """This milestone depends on milestone ``on``.

    ``FS`` (finish-to-start, the default): it may start on the working day after ``on``
    finishes, plus ``lag`` working days (negative: a lead). ``SS``: it may start ``lag`` working
    days after ``on`` starts. ``FF``: it may finish ``lag`` working days after ``on`` finishes.
    """

    on: str
    lag: int = 0
    kind: Kind = "FS"


@dataclass(frozen=True, slots=True)
class Milestone:
    """A piece of work of ``duration`` working days (0: a checkpoint).

    ``estimate`` is the optional (optimistic, likely, pessimistic) duration for the risk
    simulation; ``demand`` the units of each resource used on every working day it runs.
    ``not_before`` pins its start to that day or later; ``not_after`` pins its finish to that
    day or earlier (an interim deadline).
    """

    id: str
    title: str
    duration: int
    estimate: tuple[float, float, float] | None = None
    demand: Mapping[str, float] = field(default_factory=dict)
    after: tuple[Dependency, ...] = ()
    not_before: dt.date | None = None
    not_after: dt.date | None = None


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """``capacity`` units a day from ``start`` to ``end`` (inclusive; ``None``: from then on).

    A hire, a loan or a shutdown (capacity 0). Named ``from`` and ``to`` in plan files.
    """

    start: dt.date
    end: dt.date | None
    capacity: float


@dataclass(frozen=True, slots=True)
class Resource:
    """People or crews: ``capacity`` units available on each working day, unless changed.

    The capacity on a day is that of the last of ``changes`` whose window holds the day, else
    ``capacity``: later entries override earlier ones, so a shutdown listed after a hire wins.
    """

    id: str
    capacity: float
    title: str = ""
    changes: tuple[CapacityChange, ...] = ()

    def peak(self) -> float:
        """The most units the resource ever has on a day: no demand above it can ever run."""
        return max([self.capacity, *(c.capacity for c in self.changes)])


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the planner needs: work back from ``deadline``, never before ``start``."""

    goal: str
    deadline: dt.date
    start: dt.date
    milestones: tuple[Milestone, ...]
    resources: tuple[Resource, ...] = ()
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


def check_plan(plan: Plan, *, cycles: bool = True) -> None:
    """Raise :class:`PlanError` at the first fault, in the order a person would fix them.

    Dates (the deadline before the start, no working day between them), duplicate resource and
    milestone ids, negative capacities, capacity changes that end before they begin, durations,
    demands and unordered estimates, unknown resources and milestones, demand above the most
    capacity the resource ever has (a demand above some days' capacity only keeps the milestone
    off those days), a milestone depending on itself, and cycles
    (naming the milestones on the cycle). ``cycles=False`` leaves cycles to
    :func:`compile_network`, which finds them anyway while ordering the milestones.
    """
    _check_dates(plan)
    capacity = _check_resources(plan.resources)
    changed = frozenset(r.id for r in plan.resources if r.changes)
    milestones = plan.milestones
    ids: dict[str, int] = {}
    for k, m in enumerate(milestones):
        if m.id in ids:
            raise PlanError(
                ("milestones", k, "id"), f"duplicate id {m.id!r} (also milestone {ids[m.id] + 1})"
            )
        ids[m.id] = k
    for k, m in enumerate(milestones):
        if m.duration < 0 or m.estimate is not None or m.demand or m.not_after:
            _check_milestone(k, m, capacity, changed)
    kinds = set(KINDS)
    for k, m in enumerate(milestones):
        for n, dep in enumerate(m.after):
            if dep.on not in ids or dep.on == m.id or dep.kind not in kinds:
                raise _dependency_fault(("milestones", k, "after", n), m, dep, ids)
    if cycles:
        _check_cycles(plan.milestones)


def _dependency_fault(place: Place, m: Milestone, dep: Dependency, ids: Mapping[str, int]) -> PlanError:
    if dep.on not in ids:
        return PlanError(place, f"unknown milestone {dep.on!r}")
    if dep.on == m.id:
        return PlanError(place, f"milestone {m.id!r} cannot depend on itself")
    return PlanError(place, f"unknown dependency type {dep.kind!r} (use FS, SS or FF)")


def _check_cycles(milestones: Sequence[Milestone]) -> None:
    cycle = find_cycle(milestones)
    if cycle:
        where = next(k for k, m in enumerate(milestones) if m.id == cycle[0])
        path = " -> ".join([*cycle, cycle[0]])
        raise PlanError(("milestones", where, "after"), f"the dependencies form a cycle: {path}")


def _check_dates(plan: Plan) -> None:
    if plan.deadline < plan.start:
        raise PlanError(("deadline",), f"the deadline {plan.deadline} is before the start {plan.start}")
    first = plan.calendar.on_or_after(plan.start)
    if first > plan.deadline:
        raise PlanError(
            ("deadline",), f"no working day between the start {plan.start} and the deadline {plan.deadline}"
        )
    if not plan.milestones:
        raise PlanError(("milestones",), "the plan has no milestones")


def _check_resources(resources: Sequence[Resource]) -> dict[str, float]:
    capacity: dict[str, float] = {}
    for k, r in enumerate(resources):
        if r.id in capacity:
            raise PlanError(("resources", k, "id"), f"duplicate resource id {r.id!r}")
        if not 0 <= r.capacity < math.inf:
            raise PlanError(
                ("resources", k, "capacity"), f"capacity must be a number 0 or more, not {r.capacity}"
            )
        if not _decimals_ok(r.capacity):
            raise PlanError(("resources", k, "capacity"), f"use at most three decimals, not {r.capacity}")
        for n, change in enumerate(r.changes):
            _check_change(("resources", k, "changes", n), change)
        capacity[r.id] = r.peak()
    return capacity


def _check_change(place: Place, change: CapacityChange) -> None:
    if not isinstance(change.start, dt.date):
        raise PlanError((*place, "from"), f"from must be a date, not {change.start!r}")
    if change.end is not None and not isinstance(change.end, dt.date):
        raise PlanError((*place, "to"), f"to must be a date, not {change.end!r}")
    if change.end is not None and change.end < change.start:
        raise PlanError(
            (*place, "to"), f"the change ends on {change.end}, before it begins on {change.start}"
        )
    if not 0 <= change.capacity < math.inf:
        raise PlanError((*place, "capacity"), f"capacity must be a number 0 or more, not {change.capacity}")
    if not _decimals_ok(change.capacity):
        raise PlanError((*place, "capacity"), f"use at most three decimals, not {change.capacity}")


def _check_milestone(k: int, m: Milestone, capacity: Mapping[str, float], changed: frozenset[str]) -> None:
    if m.duration < 0:
        raise PlanError(
            ("milestones", k, "duration"), f"duration must be 0 or more working days, not {m.duration}"
        )
    if m.not_before and m.not_after and m.not_after < m.not_before:
        raise PlanError(
            ("milestones", k, "not_after"),
            f"must finish no later than {m.not_after}, which is before its earliest start {m.not_before}",
        )
    if m.estimate is not None:
        low, likely, high = m.estimate
        if not 0 <= low <= likely <= high < math.inf:
            raise PlanError(
                ("milestones", k, "estimate"),
                f"estimate must be optimistic <= likely <= pessimistic, all 0 or more, not [{low}, {likely}, {high}]",
            )
    for resource, units in m.demand.items():
        place: Place = ("milestones", k, "demand", resource)
        if resource not in capacity:
            raise PlanError(place, f"unknown resource {resource!r}")
        if not 0 <= units < math.inf:
            raise PlanError(place, f"demand must be a number 0 or more, not {units}")
        if not _decimals_ok(units):
            raise PlanError(place, f"use at most three decimals, not {units}")
        if m.duration > 0 and units > capacity[resource]:
            raise PlanError(
                place,
                f"milestone {m.id!r} needs {units:g} {resource} a day but the capacity is {capacity[resource]:g}"
                + (" on its best day" if resource in changed else ""),
            )


def _decimals_ok(value: float) -> bool:
    """At most three decimals: levelling counts units in thousandths at the finest."""
    return Fraction(str(value)).denominator <= 1000


def find_cycle(milestones: Sequence[Milestone]) -> list[str]:
    """The ids on one dependency cycle, in dependency order, or ``[]`` when there is none.

    Ids must be unique and dependencies must name known milestones; the cycle begins with the
    milestone listed first in the plan.
    """
    index = {m.id: k for k, m in enumerate(milestones)}
    succs: dict[int, list[int]] = {k: [] for k in range(len(milestones))}
    for j, m in enumerate(milestones):
        for d in m.after:
            succs[index[d.on]].append(j)
    return [milestones[k].id for k in graph.find_cycle(range(len(milestones)), succs)]


@dataclass(frozen=True, slots=True)
class Network:
    """A checked plan as integer lists: the form the passes read in their hot loops.

    ``preds[j]`` holds ``(i, delta)`` for each dependency of ``j``: the start-to-start
    constraint ``start[j] >= start[i] + delta`` in working days that every dependency kind
    reduces to. ``topo`` is a topological order. Successor lists are not kept: the passes push
    along ``preds`` instead, which halves the work of compiling a large plan.
    """

    ids: list[str]
    durations: list[int]
    preds: list[list[tuple[int, int]]]
    topo: list[int]

    @property
    def lags(self) -> list[tuple[int, int, int]]:
        """Every constraint as ``(i, j, delta)``."""
        return [(i, j, delta) for j, row in enumerate(self.preds) for i, delta in row]


def start_lag(kind: Kind, lag: int, before: int, after: int) -> int:
    """The start-to-start lag of a dependency of ``kind`` from a milestone of duration ``before``.

    A finish of a milestone of duration ``d`` starting at ``s`` is ``s + d - 1`` (inclusive), so
    finish-to-start ``s_j >= s_i + d_i + lag``; start-to-start ``s_j >= s_i + lag``;
    finish-to-finish ``s_j + d_j >= s_i + d_i + lag``.
    """
    if kind == "FS":
        return before + lag
    if kind == "SS":
        return lag
    return before - after + lag


def compile_network(plan: Plan) -> Network:
    """The :class:`Network` of a plan already passed by :func:`check_plan` (cycles aside).

    Raises :class:`PlanError` naming the milestones of a cycle when the dependencies have one.
    """
    milestones = plan.milestones
    index = {m.id: k for k, m in enumerate(milestones)}
    durations = [m.duration for m in milestones]
    preds: list[list[tuple[int, int]]] = [
        [
            (
                i,
                durations[i] + dep.lag
                if dep.kind == "FS"
                else start_lag(dep.kind, dep.lag, durations[i], dj),
            )
            for dep in m.after
            for i in (index[dep.on],)
        ]
        for m, dj in zip(milestones, durations, strict=True)
    ]
    try:
        topo = topological_order(preds)
    except ValueError:
        _check_cycles(milestones)
        raise  # pragma: no cover - _check_cycles always raises when the order fails
    return Network([m.id for m in milestones], durations, preds, topo)


def topological_order(preds: Sequence[Sequence[tuple[int, int]]]) -> list[int]:
    """Milestones without pending predecessors in the order they become ready (Kahn's algorithm).

    ``ValueError`` on a cycle (``check_plan`` reports cycles with names before this runs).
    """
    succs: list[list[int]] = [[] for _ in preds]
    for j, row in enumerate(preds):
        for i, _ in row:
            succs[i].append(j)
    order = graph.topological_order(len(preds), succs)
    if order is None:
        raise ValueError("the dependencies form a cycle")
    return order
