"""The resource-levelled backward plan: as late as possible, within every capacity.

Planning backward from a deadline is the levelling problem run in reverse: read time backward
from the day after the deadline and "as early as possible" becomes "as late as possible". So the
network is mirrored (a lag ``start[j] >= start[i] + delta`` becomes
``start'[i] >= start'[j] + delta + d[j] - d[i]``), solved by :func:`levelling.solve`, and read
back. Fractional capacities and demands (half a person) are scaled to whole units per resource.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from backcast.planning.levelling import LevellingProblem, solve
from backcast.planning.levelling.problem import compile_problem
from backcast.planning.levelling.solver import first_schedule
from backcast.planning.model import Network, Plan


@dataclass(frozen=True, slots=True)
class Units:
    """Integer demands ``demands[j][r]`` and capacities per resource, after scaling fractions."""

    demands: list[list[int]]
    capacities: list[int]
    scales: list[int]


def whole_units(plan: Plan) -> Units:
    """Scale each resource's capacity and demands by the least common denominator of its numbers.

    :func:`check_plan` allows at most three decimals, so a scale never exceeds 1,000.
    """
    ids = [r.id for r in plan.resources]
    column = {rid: r for r, rid in enumerate(ids)}
    exact = [[Fraction(0)] * len(ids) for _ in plan.milestones]
    for j, m in enumerate(plan.milestones):
        for rid, units in m.demand.items():
            exact[j][column[rid]] = Fraction(str(units))
    capacities = [Fraction(str(r.capacity)) for r in plan.resources]
    scales = []
    for r in range(len(ids)):
        scales.append(math.lcm(capacities[r].denominator, *(row[r].denominator for row in exact)))
    demands = [[int(row[r] * scales[r]) for r in range(len(ids))] for row in exact]
    return Units(demands, [int(c * s) for c, s in zip(capacities, scales, strict=True)], scales)


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
    return LevellingProblem(d, demands, capacities, lags)


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
