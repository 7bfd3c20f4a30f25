"""The resource-levelled backward plan: as late as possible, within every capacity.

Planning backward from a deadline is the levelling problem run in reverse: read time backward
from the day after the deadline and "as early as possible" becomes "as late as possible". So the
network is mirrored (a lag ``start[j] >= start[i] + delta`` becomes
``start'[i] >= start'[j] + delta + d[j] - d[i]``), solved by :func:`levelling.solve`, and read
back. Fractional capacities and demands (half a person) are scaled to whole units per resource.
Capacity that changes over time is mirrored with the network: the backward problem's period
``p`` is working day ``end - 1 - p``, so its steps are the days' capacities read backward.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from backcast.planning.levelling import LevellingProblem, solve
from backcast.planning.levelling.problem import compile_problem
from backcast.planning.levelling.solver import first_schedule
from backcast.planning.model import Network, Plan

OPEN = sys.maxsize  # the last day of a change with no end
Window = tuple[int, int, int]  # first and last working-day index (inclusive), units a day


@dataclass(frozen=True, slots=True)
class Units:
    """Integer demands ``demands[j][r]`` and capacities per resource, after scaling fractions.

    ``windows[r]`` are the resource's capacity changes in working-day indices, in the plan's
    order (a later one overrides an earlier one); empty for every resource when none changes.
    """

    demands: list[list[int]]
    capacities: list[int]
    scales: list[int]
    windows: list[list[Window]] = field(default_factory=list)

    def peaks(self) -> list[int]:
        """The most units each resource has on any day."""
        if not self.windows:
            return self.capacities
        return [max([c, *(u for _, _, u in w)]) for c, w in zip(self.capacities, self.windows, strict=True)]


def whole_units(plan: Plan, spans: Sequence[Sequence[tuple[int, int]]] = ()) -> Units:
    """Scale each resource's capacity and demands by the least common denominator of its numbers.

    ``spans[r][n]`` is change ``n`` of resource ``r`` as first and last working-day index (the
    engine turns dates into indices once). :func:`check_plan` allows at most three decimals, so
    a scale never exceeds 1,000.
    """
    ids = [r.id for r in plan.resources]
    column = {rid: r for r, rid in enumerate(ids)}
    exact = [[Fraction(0)] * len(ids) for _ in plan.milestones]
    for j, m in enumerate(plan.milestones):
        for rid, units in m.demand.items():
            exact[j][column[rid]] = Fraction(str(units))
    capacities = [Fraction(str(r.capacity)) for r in plan.resources]
    changes = [[Fraction(str(c.capacity)) for c in r.changes] for r in plan.resources]
    scales = []
    for r in range(len(ids)):
        denominators = [row[r].denominator for row in exact] + [c.denominator for c in changes[r]]
        scales.append(math.lcm(capacities[r].denominator, *denominators))
    demands = [[int(row[r] * scales[r]) for r in range(len(ids))] for row in exact]
    windows = [
        [(a, b, int(c * scales[r])) for (a, b), c in zip(spans[r], changes[r], strict=True)]
        for r in range(len(ids))
    ]
    base = [int(c * s) for c, s in zip(capacities, scales, strict=True)]
    return Units(demands, base, scales, windows if any(windows) else [])


def backward_steps(units: Units, end: int) -> list[list[tuple[int, int]]]:
    """The capacity steps of the backward problem, whose period ``p`` is working day ``end - 1 - p``.

    Each resource's days are painted from its base capacity with its changes in order (the last
    one holding a day wins) from its first change to the deadline, then read backward; days
    before every change keep the base capacity, which becomes the capacity after the last step.
    """
    steps: list[list[tuple[int, int]]] = []
    for base, windows in zip(units.capacities, units.windows, strict=True):
        first = min((a for a, _, _ in windows if a < end), default=end)
        days = [base] * (end - first)
        for a, b, u in windows:
            lo, hi = max(a, first), min(b, end - 1)
            days[lo - first : hi - first + 1] = [u] * max(0, hi - lo + 1)
        row: list[tuple[int, int]] = []
        for p, u in enumerate([*days[::-1], base]):
            if p == 0 or u != row[-1][1]:
                row.append((p, u))
        steps.append(row)
    return steps


def mirrored(
    net: Network,
    units: Units,
    *,
    end: int,
    caps: Mapping[int, int] | None = None,
    without: int | None = None,
) -> LevellingProblem:
    """The levelling problem in backward time; ``without`` drops one resource's limit (a what-if).

    A milestone's own end cap (finish no later than) is a release time in backward time: an
    extra zero-length activity at time 0 (it has no predecessors, so every left-justified
    schedule puts it there) with a lag to the milestone.
    """
    d = list(net.durations)
    lags = [(j, i, delta + d[j] - d[i]) for i, j, delta in net.lags]
    demands = [list(row) for row in units.demands]
    capacities = units.capacities
    if without is not None:
        demands = [[0 if r == without else q for r, q in enumerate(row)] for row in demands]
    if caps:
        origin = len(d)
        d.append(0)
        demands.append([0] * len(capacities))
        lags += [(origin, j, end - min(end, cap)) for j, cap in sorted(caps.items())]
    steps = backward_steps(units, end) if units.windows else []
    return LevellingProblem(d, demands, capacities, lags, steps)


def levelled_starts(
    net: Network,
    units: Units,
    *,
    end: int,
    caps: Mapping[int, int] | None = None,
    time_limit: float,
    seed: int,
) -> list[int]:
    """The latest starts (indices) under capacity: every milestone ends by ``end`` (and its cap)."""
    backward = solve(mirrored(net, units, end=end, caps=caps), time_limit=time_limit, seed=seed)
    d = net.durations
    return [end - b - dj for b, dj in zip(backward, d, strict=False)]


def forward_finish(
    net: Network, units: Units, floors: Mapping[int, int], *, time_limit: float, seed: int
) -> int:
    """The end (index after the last day) of the plan levelled forward from day 0.

    ``floors`` are the milestones' own earliest starts: lags from an extra activity at day 0.
    Steps are the days' capacities from day 0 on; :class:`NoSchedule` when a milestone finds no
    window of enough capacity.
    """
    d = list(net.durations)
    demands = [list(row) for row in units.demands]
    lags = list(net.lags)
    origin = len(d)
    d.append(0)
    demands.append([0] * len(units.capacities))
    lags += [(origin, j, floor) for j, floor in sorted(floors.items()) if floor > 0]
    starts = solve(
        LevellingProblem(d, demands, units.capacities, lags, forward_steps(units)),
        time_limit=time_limit,
        seed=seed,
    )
    return max(s + dj for s, dj in zip(starts, d, strict=True))


def forward_steps(units: Units) -> list[list[tuple[int, int]]]:
    """The capacity steps from day 0 on: each day painted with the last change that holds it."""
    steps: list[list[tuple[int, int]]] = []
    for base, windows in zip(units.capacities, units.windows, strict=True):
        bounds = sorted(
            {0, *(max(0, a) for a, _, _ in windows), *(b + 1 for _, b, _ in windows if 0 <= b < OPEN)}
        )
        row: list[tuple[int, int]] = []
        for p in bounds:
            u = base
            for a, b, units_a_day in windows:
                if a <= p <= b:
                    u = units_a_day
            if not row or row[-1][1] != u:
                row.append((p, u))
        steps.append(row)
    return steps


def quick_span(problem: LevellingProblem) -> int:
    """The length of a fast heuristic levelled plan (one justified priority-rule pass)."""
    net = compile_problem(problem)
    starts = first_schedule(net)
    return max((s + dj for s, dj in zip(starts, net.durations, strict=True)), default=0)


def bottlenecks(
    net: Network, units: Units, used: Sequence[int], *, end: int, caps: Mapping[int, int] | None = None
) -> list[tuple[int, int]]:
    """``(resource, working days won)`` for each resource whose limit alone lengthens the plan.

    Each resource in ``used`` is lifted in turn and the plan re-levelled with one fast pass; the
    days the plan shortens by are what that resource costs. Best first; empty when no single
    resource is to blame (the dependencies are, or several resources together).
    """
    base = quick_span(mirrored(net, units, end=end, caps=caps))
    gains = [(r, base - quick_span(mirrored(net, units, end=end, caps=caps, without=r))) for r in used]
    return sorted(((r, g) for r, g in gains if g > 0), key=lambda rg: (-rg[1], rg[0]))
