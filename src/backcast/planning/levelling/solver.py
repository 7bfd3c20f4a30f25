"""``solve``: the entry point that combines the levelling methods under one budget.

1. A latest-finish-time serial SGS pass, justified: a good schedule in milliseconds, at any size.
2. On small networks, CP-SAT hinted with it, for part of the time in deterministic units: it often
   proves the optimum at once (and then the call returns); skipped when OR-Tools is missing.
3. The genetic algorithm with justification, for a number of schedules derived from the rest of
   the time limit and the network's size, so the same input and seed give the same answer.

Every stage stops as soon as a lower bound (critical path or resource work) is reached, and the
wall clock caps the whole call in case the machine is much slower than the rates assume.
"""

from __future__ import annotations

import random
import time

from backcast.planning.levelling.budget import Budget, schedules_for
from backcast.planning.levelling.exact import improve_exactly
from backcast.planning.levelling.genetic import Evolution
from backcast.planning.levelling.problem import (
    LevellingProblem,
    Network,
    compile_problem,
    latest_starts,
    lower_bound,
    makespan,
    path_bound,
    priority_order,
)
from backcast.planning.levelling.profile import NoSchedule
from backcast.planning.levelling.sgs import forward_pass, justify, left_shift, serial_sgs

# CP-SAT proves optimality on small networks within a fraction of a second; on larger ones (PSPLIB
# j120) the genetic algorithm's extra schedules were worth more than CP-SAT's time on one core.
EXACT_MAX_ACTIVITIES = 60
# The share of the time limit CP-SAT gets when it runs; the genetic algorithm gets the rest.
EXACT_SHARE = 0.5
# Share of the time limit the search may use by the wall clock, leaving room to finish up, and
# the share its schedule count is sized for (lower, so that the count, not the clock, ends it).
WALL_SHARE = 0.9
COUNT_SHARE = 0.8
# CP-SAT deterministic-time units per wall-clock second on the reference machine.
DETERMINISTIC_PER_SECOND = 0.3
# Justification passes of the first schedule.
FIRST_PASSES = 8


def solve(problem: LevellingProblem, *, time_limit: float = 1.0, seed: int = 0) -> list[int]:
    """Start period (>= 0) of every activity of a levelled, left-justified schedule.

    Every lag holds, at every period the demands of the activities running then fit every
    capacity, and the makespan is as small as the methods find within ``time_limit`` seconds
    (returning at once when a lower bound is reached or the optimum is proven). No activity can
    start earlier alone without breaking a lag or a capacity. Zero-duration activities use no
    capacity. The same input, limit and seed give the same schedule unless the machine is too
    slow for the limit. Raises ``ValueError`` if some activity's demand exceeds a capacity (no
    schedule exists), naming the activity index and resource index, or if the input is malformed;
    with capacity changes, :class:`~.profile.NoSchedule` when the first schedule finds no window
    of enough capacity for an activity.
    """
    deadline = time.perf_counter() + time_limit * WALL_SHARE
    net = compile_problem(problem)
    best = first_schedule(net)
    bound = lower_bound(net)
    if makespan(net, best) <= bound:
        return best
    share = 0.0
    if net.n <= EXACT_MAX_ACTIVITIES:
        share = EXACT_SHARE
        found, proven = improve_exactly(
            net,
            best,
            bound,
            deterministic_time=time_limit * share * DETERMINISTIC_PER_SECOND,
            wall_time=min(time_limit * share, deadline - time.perf_counter()),
            seed=seed,
        )
        if found is not None:
            best = min(left_justified_forms(net, found), key=lambda s: makespan(net, s))
        if proven:
            return best
    count = schedules_for(time_limit * COUNT_SHARE * (1 - share), net, makespan(net, best))
    budget = Budget(count, deadline, bound)
    evolved = Evolution(net, random.Random(seed), budget).run(best)
    return evolved if makespan(net, evolved) < makespan(net, best) else best


def left_justified_forms(net: Network, found: list[int]) -> list[list[int]]:
    """Left-justified forms of a feasible schedule: a forward pass on its order (which capacity
    changes can leave with no room for some activity) and a left shift (which always works)."""
    shifted = left_shift(net, found)
    try:
        return [forward_pass(net, found), shifted]
    except NoSchedule:
        return [shifted]


def first_schedule(net: Network) -> list[int]:
    """The latest-finish-time serial SGS schedule, justified: fast and already decent."""
    latest = latest_starts(net, path_bound(net))
    d = net.durations
    order = priority_order(net, [latest[j] + d[j] for j in range(net.n)])
    return justify(net, net.reversed(), serial_sgs(net, order), FIRST_PASSES)
