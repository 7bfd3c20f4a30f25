"""The exact component: OR-Tools CP-SAT (interval variables and cumulative constraints).

CP-SAT proves optimality on small networks and improves on the heuristic within its limit on
larger ones, but it is optional: OR-Tools is imported lazily and, when it is missing or finds
nothing better in time, the caller keeps its heuristic schedule, which is also given to CP-SAT
as a hint and as the upper bound. One worker and a deterministic-time limit keep it reproducible
and polite on shared machines; the wall-clock limit is only a safety cap. Capacity that changes over
time is the most capacity ever, less fixed intervals holding the difference on each stretch of
periods where the capacity is lower.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from backcast.planning.levelling.problem import Network, earliest_starts, latest_starts
from backcast.planning.levelling.profile import peaks, rows


def load_cp_model() -> Any | None:
    """The ``ortools.sat.python.cp_model`` module, or None when OR-Tools cannot be imported."""
    try:
        return importlib.import_module("ortools.sat.python.cp_model")
    except ImportError:
        return None


def improve_exactly(
    net: Network,
    hint: Sequence[int],
    bound: int,
    *,
    deterministic_time: float,
    wall_time: float,
    seed: int,
) -> tuple[list[int] | None, bool]:
    """A schedule shorter than ``hint``'s (or None: no OR-Tools, no time, none found) and whether
    the best makespan known at the end (the new schedule's, else the hint's) is proven optimal.

    ``hint`` must be a feasible schedule; its makespan is the upper bound and ``bound`` a proven
    lower bound. The result satisfies every lag and capacity but need not be left-justified.
    """
    cp_model = load_cp_model()
    if cp_model is None or wall_time <= 0:
        return None, False
    durations = net.durations
    upper = max(hint[j] + durations[j] for j in range(net.n))
    earliest = earliest_starts(net)
    latest = latest_starts(net, upper)
    model = cp_model.CpModel()
    starts = [model.new_int_var(earliest[j], latest[j], f"s{j}") for j in range(net.n)]
    span = model.new_int_var(bound, upper, "makespan")
    intervals: list[list[tuple[Any, int]]] = [[] for _ in net.capacities]
    for j in range(net.n):
        model.add_hint(starts[j], hint[j])
        model.add(span >= starts[j] + durations[j])
        if net.uses[j]:
            interval = model.new_fixed_size_interval_var(starts[j], durations[j], f"i{j}")
            for r, units in net.uses[j]:
                intervals[r].append((interval, units))
        for i, delta in net.preds[j]:
            model.add(starts[j] >= starts[i] + delta)
    capacities = peaks(net.head, net.capacities)
    if net.head is not None:
        for r, row in enumerate(rows(net.head, net.capacities, upper)):
            for begin, length, units in _dips(row, capacities[r]):
                held = model.new_fixed_size_interval_var(begin, length, f"c{r}_{begin}")
                intervals[r].append((held, capacities[r] - units))
    for r, capacity in enumerate(capacities):
        if intervals[r]:
            model.add_cumulative([iv for iv, _ in intervals[r]], [q for _, q in intervals[r]], capacity)
    model.add_hint(span, upper)
    model.minimize(span)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = max(deterministic_time, 0.0)
    solver.parameters.max_time_in_seconds = wall_time
    status = solver.solve(model)
    proven = status == cp_model.OPTIMAL
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.value(span) >= upper:
        return None, proven
    return [int(solver.value(s)) for s in starts], proven


def _dips(row: Sequence[int], peak: int) -> list[tuple[int, int, int]]:
    """``(begin, length, units)`` of each run of equal capacity below ``peak`` in ``row``."""
    runs: list[tuple[int, int, int]] = []
    begin = 0
    for t in range(1, len(row) + 1):
        if t == len(row) or row[t] != row[begin]:
            if row[begin] < peak:
                runs.append((begin, t - begin, row[begin]))
            begin = t
    return runs
