"""``plan_backward``: a plan's dates worked back from its deadline, levelled, judged and at risk.

The engine ties the pieces together. It checks the plan, compiles it to integer working-day
indices (0 is the first working day on or after ``start``; ``end`` is the day after the last
working day on or before the deadline), runs the unconstrained passes for slack and the critical
path, levels the backward plan when milestones use resources, names what makes an infeasible
plan infeasible, and optionally simulates the schedule risk. Dates appear only at the end.

Conventions: a milestone of duration ``d`` starting on day ``s`` finishes on ``s + d - 1``, so a
checkpoint (``d = 0``) finishes the working day before its start: the day it is reached by, and
the day after which its successors may begin.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from backcast.planning.calendar import OutOfRange
from backcast.planning.graph import reaches
from backcast.planning.levelled import OPEN, Units, bottlenecks, forward_finish, levelled_starts, whole_units
from backcast.planning.levelling.profile import NoSchedule
from backcast.planning.model import Network, Plan, PlanError, check_plan, compile_network
from backcast.planning.risk import Edge, edge_order, resource_flow_edges, simulate
from backcast.planning.schedule import Timing, critical_path, unconstrained

DEFAULT_TIME_LIMIT = 1.0


class PlannedMilestone(NamedTuple):
    """One milestone's dates: ``start``/``finish`` of the plan (levelled when resources are used).

    ``earliest_*`` are from ``start`` and ``latest_*`` from the deadline, both without capacity
    limits; ``slack`` is latest start minus earliest start in working days (negative: the
    dependencies alone cannot fit it between start and deadline). A named tuple rather than a
    frozen dataclass: a plan can have a hundred thousand of them, and tuples build several
    times faster.
    """

    id: str
    title: str
    duration: int
    start: dt.date
    finish: dt.date
    earliest_start: dt.date
    earliest_finish: dt.date
    latest_start: dt.date
    latest_finish: dt.date
    slack: int
    critical: bool


@dataclass(frozen=True, slots=True)
class Overload:
    """Why the plan cannot start in time: a bottleneck ``resource`` (None: the dependencies).

    ``milestones`` are the ones to act on (those using the resource that would have to begin
    before the start, or the critical chain); ``days_won`` how many working days the plan would
    shorten by if the resource had no limit (for the dependencies: the days short).
    """

    resource: str | None
    capacity: float | None
    milestones: tuple[str, ...]
    days_won: int
    message: str


@dataclass(frozen=True, slots=True)
class Risk:
    """The Monte Carlo schedule risk: on-time probability and finish-date percentiles.

    ``links_dropped`` counts resource hand-overs of the levelled plan that could not be kept
    because a lead or a finish-to-finish link runs the other way (they would form a loop); it is
    almost always 0, and when it is not, those pairs may share a resource beyond its capacity in
    some runs.
    """

    runs: int
    seed: int | None
    probability_on_time: float
    finish_p50: dt.date
    finish_p80: dt.date
    finish_p95: dt.date
    links_dropped: int = 0


@dataclass(frozen=True, slots=True)
class PlanResult:
    """The verdict and the dates of a plan.

    ``required_start`` is the day work must begin for the (levelled) plan to meet the deadline;
    ``earliest_finish`` the day that plan ends if work begins on ``start`` instead; ``feasible``
    whether ``required_start`` is on or after ``start``; ``spare_days`` the working days between
    them (negative when short). ``overloads`` is empty when the plan is feasible.
    """

    goal: str
    start: dt.date
    deadline: dt.date
    feasible: bool
    levelled: bool
    required_start: dt.date
    earliest_finish: dt.date
    spare_days: int
    critical_path: tuple[str, ...]
    milestones: tuple[PlannedMilestone, ...]
    overloads: tuple[Overload, ...]
    risk: Risk | None = None


@dataclass(frozen=True, slots=True)
class Frame:
    """The integer frame of a plan: its network, day indices and (when levelled) its units."""

    net: Network
    first: dt.date  # the working day of index 0
    end: int  # index of the day after the last working day on or before the deadline
    units: Units | None
    floors: dict[int, int]  # milestone -> earliest start index of its own (not_before)
    caps: dict[int, int]  # milestone -> latest end index of its own (the day after not_after)


def plan_backward(
    plan: Plan,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    seed: int = 0,
    runs: int = 0,
    risk_seed: int | None = None,
) -> PlanResult:
    """Plan ``plan`` backward from its deadline; raises :class:`PlanError` if it cannot be planned.

    ``time_limit`` (seconds) and ``seed`` bound and fix the levelling search; ``runs > 0`` adds a
    schedule-risk simulation of that many runs, reproducible with ``risk_seed``.
    """
    with garbage_collection_paused():
        try:
            return _plan_backward(plan, time_limit, seed, runs, risk_seed)
        except OutOfRange as exc:
            raise PlanError(
                ("milestones",), "the plan runs outside the years 1 to 9999: check the durations and lags"
            ) from exc


def _plan_backward(plan: Plan, time_limit: float, seed: int, runs: int, risk_seed: int | None) -> PlanResult:
    check_plan(plan, cycles=False)
    frame = make_frame(plan)
    net = frame.net
    timing = unconstrained(net, begin=0, end=frame.end, floors=frame.floors, caps=frame.caps)
    if frame.units is None:
        starts = timing.latest
    else:
        try:
            starts = levelled_starts(
                net, frame.units, end=frame.end, caps=frame.caps, time_limit=time_limit, seed=seed
            )
        except NoSchedule as error:
            raise no_window(plan, error.activity) from None
    begin = min(starts)
    critical = timing.critical()
    early = [j for j, floor in frame.floors.items() if starts[j] < floor]
    feasible = begin >= 0 and not early
    overloads = () if feasible else diagnose(plan, frame, timing, starts, critical, early)
    first, cal = frame.first, plan.calendar
    risk = assess_risk(plan, frame, starts, runs, risk_seed) if runs else None
    return PlanResult(
        goal=plan.goal,
        start=plan.start,
        deadline=plan.deadline,
        feasible=feasible,
        levelled=frame.units is not None,
        required_start=cal.add(first, begin),
        earliest_finish=cal.add(first, finish_from_start(frame, starts, time_limit, seed)),
        spare_days=begin,
        critical_path=tuple(net.ids[j] for j in critical_path(net, critical)),
        milestones=dated_milestones(plan, frame, timing, starts, critical),
        overloads=overloads,
        risk=risk,
    )


def no_window(plan: Plan, j: int) -> PlanError:
    """The fault of a milestone that no window of changed capacity before the deadline can hold.

    Only a demand above a resource's base capacity (the capacity before every change, where the
    backward plan runs out of changes) can find no window, so ``changed`` is never empty.
    """
    m = plan.milestones[j]
    changed = [r for r in plan.resources if r.changes and m.demand.get(r.id, 0) > r.capacity]
    names = ", ".join(f"{m.demand[r.id]:g} {r.id}" for r in changed)
    return PlanError(
        ("milestones", j, "demand", changed[0].id),
        f"milestone {m.id!r} needs {names} a day for {m.duration} working days in a row, more than the "
        "base capacity, and the plan finds no such window of changed capacity before the deadline",
    )


def finish_from_start(frame: Frame, starts: Sequence[int], time_limit: float, seed: int) -> int:
    """The last working day (index) of the levelled plan when work begins on the start.

    With constant capacities that is the backward plan moved to begin on day 0; with capacity
    that changes, moving it would put work on other days' capacity, so the plan is levelled
    forward from day 0 instead (with pinned starts as release days).
    """
    units = frame.units
    if units is None or not units.windows:
        return frame.end - 1 - min(starts)
    try:
        return forward_finish(frame.net, units, frame.floors, time_limit=time_limit / 4, seed=seed) - 1
    except NoSchedule:
        return frame.end - 1 - min(starts)


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small lists and tuples.

    They form no cycles, but their sheer number triggers collections that walk every object of
    the plan again and again: on a 100,000-milestone plan that was half the engine time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def make_frame(plan: Plan) -> Frame:
    """Index 0 at the first working day from ``start``; the end just after the deadline's day."""
    cal = plan.calendar
    first = cal.on_or_after(plan.start)
    end = cal.count(first, cal.on_or_before(plan.deadline)) + 1
    net = compile_network(plan)
    levelled = any(units > 0 and m.duration > 0 for m in plan.milestones for units in m.demand.values())
    floors = {
        j: cal.count(first, cal.on_or_after(m.not_before))
        for j, m in enumerate(plan.milestones)
        if m.not_before is not None
    }
    caps = {
        j: cal.count(first, cal.on_or_before(m.not_after)) + 1
        for j, m in enumerate(plan.milestones)
        if m.not_after is not None
    }
    spans = [
        [
            (
                cal.count(first, cal.on_or_after(c.start)),
                OPEN if c.end is None else cal.count(first, cal.on_or_before(c.end)),
            )
            for c in r.changes
        ]
        for r in plan.resources
    ]
    return Frame(net, first, end, whole_units(plan, spans) if levelled else None, floors, caps)


def dated_milestones(
    plan: Plan, frame: Frame, timing: Timing, starts: Sequence[int], critical: Sequence[bool]
) -> tuple[PlannedMilestone, ...]:
    """Every milestone with its dates, in the plan's order.

    All the indices fall in one span of working days, so that span is turned into dates in one
    vectorised call and each date is then a list look-up.
    """
    d = frame.net.durations
    columns = [starts, timing.earliest, timing.latest]
    lo = min(min(c) for c in columns) - 1  # a checkpoint finishes the day before its start
    hi = max(max(c) for c in columns) + max(d)
    table = plan.calendar.dates(frame.first, range(lo, hi + 1))
    start, finish, es, ef, ls, lf = (
        [table[b + shift - lo] for b, shift in zip(begins, shifts, strict=True)]
        for begins in columns
        for shifts in ([0] * len(d), [dj - 1 for dj in d])
    )
    return tuple(
        map(
            PlannedMilestone,
            [m.id for m in plan.milestones],
            [m.title for m in plan.milestones],
            d,
            start,
            finish,
            es,
            ef,
            ls,
            lf,
            timing.slack,
            critical,
        )
    )


def diagnose(
    plan: Plan,
    frame: Frame,
    timing: Timing,
    starts: Sequence[int],
    critical: Sequence[bool],
    early: Sequence[int] = (),
) -> tuple[Overload, ...]:
    """Why the plan does not fit: pinned starts it breaks, the dependency chain, bottleneck resources.

    ``early`` are milestones the plan needs to start before their own earliest start (pin). The
    chain is to blame when the unconstrained plan already starts too early. A resource is a
    bottleneck when lifting its limit alone shortens the levelled plan; its milestones to act on
    are those that would have to begin before the start.
    """
    net, first, cal = frame.net, frame.first, plan.calendar
    found: list[Overload] = []
    for j in early:
        m = plan.milestones[j]
        short = frame.floors[j] - starts[j]
        found.append(
            Overload(
                resource=None,
                capacity=None,
                milestones=(m.id,),
                days_won=short,
                message=(
                    f"{m.id} may not start before {m.not_before}, but the plan needs it to start by "
                    f"{cal.add(first, starts[j])}, {short} working days earlier: unpin it, shorten "
                    "what follows it, or move the deadline."
                ),
            )
        )
    chain_begin = min(timing.latest)
    if chain_begin < 0:
        path = [net.ids[j] for j in critical_path(net, list(critical))]
        found.append(
            Overload(
                resource=None,
                capacity=None,
                milestones=tuple(path),
                days_won=-chain_begin,
                message=(
                    f"The dependency chain {' -> '.join(path)} alone needs to begin on "
                    f"{cal.add(first, chain_begin)}, {-chain_begin} working days before the start "
                    f"{plan.start}: shorten or overlap these milestones, or move the deadline."
                ),
            )
        )
    units = frame.units
    if units is None:
        return tuple(found)
    days_short = -min(starts)
    if days_short <= max(0, -chain_begin):
        return tuple(found)  # capacity costs nothing here: the chain or a pin explains it
    used = [r for r in range(len(plan.resources)) if any(row[r] for row in units.demands)]
    blamed = bottlenecks(net, units, used, end=frame.end, caps=frame.caps) or [(r, 0) for r in used]
    for r, won in blamed:
        resource = plan.resources[r]
        early = [
            j for j in range(len(starts)) if starts[j] < 0 and units.demands[j][r] and net.durations[j] > 0
        ]
        names = tuple(net.ids[j] for j in early)
        listed = ", ".join(f"{net.ids[j]} ({plan.milestones[j].demand[resource.id]:g} a day)" for j in early)
        message = (
            f"{resource.id}: a capacity of {resource.capacity:g} a day makes the plan begin "
            f"{days_short} working days before the start {plan.start}"
            + (f"; without its limit the plan would be {won} working days shorter" if won else "")
            + (f". Milestones using it before the start: {listed}" if listed else "")
            + f". Raise {resource.id}'s capacity, lower these demands, or move the deadline to "
            f"{cal.add(first, frame.end - 1 + days_short)} or later."
        )
        found.append(Overload(resource.id, resource.capacity, names, won, message))
    return tuple(found)


def assess_risk(plan: Plan, frame: Frame, starts: Sequence[int], runs: int, seed: int | None) -> Risk:
    """Simulate ``runs`` plans forward from ``start`` with durations drawn from the estimates.

    A levelled plan keeps its resource decisions: the order in which milestones hand resource
    units to each other becomes extra finish-to-start links, so no run overloads a resource.
    """
    net, milestones = frame.net, plan.milestones
    index = {m.id: j for j, m in enumerate(milestones)}
    edges = [Edge(index[dep.on], j, dep.kind, dep.lag) for j, m in enumerate(milestones) for dep in m.after]
    dropped = 0
    if frame.units is not None:
        links = resource_flow_edges(net.durations, frame.units.demands, frame.units.peaks(), starts)
        edges, dropped = with_links(len(milestones), edges, links)
    order = edge_order(len(milestones), edges)
    result = simulate(
        net.durations,
        [m.estimate for m in milestones],
        edges,
        order,
        start=0,
        deadline_end=frame.end,
        runs=runs,
        seed=seed,
    )
    day = plan.calendar.dates(frame.first, [result.finish_p50, result.finish_p80, result.finish_p95])
    return Risk(runs, seed, result.probability_on_time, day[0], day[1], day[2], links_dropped=dropped)


def with_links(n: int, edges: list[Edge], links: Sequence[Edge]) -> tuple[list[Edge], int]:
    """``edges`` plus every resource link that does not close a loop, and how many were dropped.

    Links run forward in time, so they only loop through a dependency that runs backward (a
    lead, or finish-to-finish onto a longer milestone). The common case costs one ordering; the
    rare one adds links one at a time, skipping any whose successor already reaches its
    predecessor.
    """
    try:
        edge_order(n, [*edges, *links])
    except ValueError:
        pass
    else:
        return [*edges, *links], 0
    succs: list[list[int]] = [[] for _ in range(n)]
    for e in edges:
        succs[e.pred].append(e.succ)
    kept, dropped = list(edges), 0
    for link in links:
        if reaches(succs, link.succ, link.pred):
            dropped += 1
            continue
        kept.append(link)
        succs[link.pred].append(link.succ)
    return kept, dropped
