"""An independent checker of levelled schedules, for tests, benchmarks and defensive callers.

It recomputes everything from the :class:`LevellingProblem` itself (not the compiled network),
so a bug in the solver's precomputation cannot hide a broken schedule.
"""

from __future__ import annotations

from collections.abc import Sequence

from backcast.planning.levelling.problem import LevellingProblem
from backcast.planning.levelling.profile import capacity_at


def violations(problem: LevellingProblem, starts: Sequence[int]) -> list[str]:
    """Every way ``starts`` breaks the problem, one sentence each; empty when the schedule is valid.

    Checks the number of starts, starts >= 0, every lag, and the load of every resource at every
    period, at that period's capacity (activities of zero duration use nothing).
    """
    n = len(problem.durations)
    if len(starts) != n:
        return [f"{len(starts)} starts for {n} activities"]
    found = [f"activity {j} starts at {s} < 0" for j, s in enumerate(starts) if s < 0]
    for i, j, delta in problem.lags:
        if starts[j] < starts[i] + delta:
            found.append(f"lag ({i}, {j}, {delta}) broken: {starts[j]} < {starts[i]} + {delta}")
    load: dict[tuple[int, int], int] = {}
    for j, (dur, row) in enumerate(zip(problem.durations, problem.demands, strict=True)):
        for r, q in enumerate(row):
            if q:
                for t in range(starts[j], starts[j] + dur):
                    load[t, r] = load.get((t, r), 0) + q
    for (t, r), used in sorted(load.items()):
        capacity = capacity_at(problem.capacities, problem.steps, r, t)
        if used > capacity:
            found.append(f"resource {r} overloaded at period {t}: {used} > {capacity}")
    return found
