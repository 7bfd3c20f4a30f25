"""The levelling problem, its validation and the compiled network every method works on.

A :class:`LevellingProblem` is what callers build: plain sequences, easy to construct and to
compare. :class:`Network` is the checked, precomputed form (predecessor and successor lists,
a topological order, the resources each activity really uses) that the schedule generation
schemes and the exact model read in their hot loops, so no method re-derives it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, replace

from backcast.planning.levelling.profile import NoSchedule, Steps, check_steps, dense, peaks

MAX_BYTE = 255


@dataclass(frozen=True, slots=True)
class LevellingProblem:
    """Activities with durations and per-period resource demands, capacities, and start lags.

    ``durations[j] >= 0`` periods; ``demands[j][r] >= 0`` units of resource ``r`` used on every
    period activity ``j`` runs; ``capacities[r] >= 0`` units available every period. A lag
    ``(i, j, delta)`` means ``start[j] >= start[i] + delta``; ``delta`` may be negative (a lead)
    and the graph of lags must be acyclic. A finish-to-start dependency with lag ``g`` is the lag
    ``(i, j, durations[i] + g)``. ``steps`` (empty: none) changes capacities over time: per
    resource, ``(period, units)`` breakpoints from which that resource has ``units`` until the next
    one; ``capacities[r]`` holds before the first (see :mod:`.profile`).
    """

    durations: Sequence[int]
    demands: Sequence[Sequence[int]]
    capacities: Sequence[int]
    lags: Sequence[tuple[int, int, int]]
    steps: Steps = ()


@dataclass(frozen=True, slots=True)
class Network:
    """A validated problem in the shape the algorithms read (all lists, indices 0..n-1).

    ``preds[j]`` and ``succs[i]`` hold ``(other, delta)`` pairs of the lags into ``j`` and out of
    ``i``; ``uses[j]`` the ``(resource, units)`` pairs with ``units > 0`` (empty when the activity
    has zero duration, since it then occupies no period); ``topo`` a topological order of the lags
    and ``rank[j]`` the position of ``j`` in it; ``sortable`` is True when no lag is negative, so
    sorting activities by (start, rank) of any schedule gives a precedence-feasible list.
    ``tables[j]`` (None when a capacity exceeds 255) pairs each use of ``uses[j]`` with the two
    ``bytes.translate`` tables of its units (free -> 1 if too few, free -> free - units) that let
    the serial SGS keep free capacity in bytearrays and test whole windows at C speed.
    With capacity changes, ``head[r]`` holds the units of every period before the last change
    and ``capacities[r]`` those from then on (None: constant capacities, the common case), and
    ``short[j]`` says activity ``j`` needs more than some resource's capacity after the changes.
    """

    n: int
    durations: list[int]
    demands: list[list[int]]
    capacities: list[int]
    preds: list[list[tuple[int, int]]]
    succs: list[list[tuple[int, int]]]
    uses: list[list[tuple[int, int]]]
    topo: list[int]
    rank: list[int]
    sortable: bool
    tables: list[list[tuple[int, bytes, bytes]]] | None
    head: list[list[int]] | None = None
    short: list[bool] | None = None

    def reversed(self) -> Network:
        """The mirror-image network, whose left-justified schedules are right-justified here.

        Capacity changes are not mirrored: their mirror depends on the horizon read back from,
        which :func:`.sgs.backward_pass` knows. With ``s'[x] = T - (start[x] + d[x])`` (time read backward from a horizon ``T``), the lag
        ``start[j] >= start[i] + delta`` becomes ``s'[i] >= s'[j] + delta + d[j] - d[i]``.
        """
        d, n = self.durations, self.n
        preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        sortable = True
        for i in range(n):
            for j, delta in self.succs[i]:
                back = delta + d[j] - d[i]
                preds[i].append((j, back))
                succs[j].append((i, back))
                sortable = sortable and back >= 0
        rank = [n - 1 - k for k in self.rank]
        return replace(self, preds=preds, succs=succs, topo=self.topo[::-1], rank=rank, sortable=sortable)


def compile_problem(problem: LevellingProblem, *, check_capacity: bool = True) -> Network:
    """Check ``problem`` and precompute its :class:`Network`.

    Raises ``ValueError`` naming the offending activity (and resource) when a duration or demand
    is negative, a demand row has the wrong length, a lag names an unknown activity, the lags
    form a cycle, the capacity steps are malformed, or (with ``check_capacity``) an activity that
    runs needs more of a resource than its capacity ever is, in which case no schedule exists.
    """
    durations = [int(d) for d in problem.durations]
    n, n_res = len(durations), len(problem.capacities)
    if len(problem.demands) != n:
        raise ValueError(f"{len(problem.demands)} demand rows for {n} activities")
    if any(c < 0 for c in problem.capacities):
        raise ValueError("capacities must be >= 0")
    check_steps(problem.steps, n_res)
    head, capacities = dense(problem.capacities, problem.steps)
    most = peaks(head, capacities)
    demands: list[list[int]] = []
    uses: list[list[tuple[int, int]]] = []
    for j, (dur, row) in enumerate(zip(durations, problem.demands, strict=True)):
        if dur < 0:
            raise ValueError(f"activity {j} has a negative duration {dur}")
        if len(row) != n_res:
            raise ValueError(f"activity {j} has {len(row)} demands for {n_res} resources")
        demand = [int(q) for q in row]
        demands.append(demand)
        for r, q in enumerate(demand):
            if q < 0:
                raise ValueError(f"activity {j} has a negative demand {q} on resource {r}")
            if check_capacity and dur > 0 and q > most[r]:
                if any(problem.steps):  # the capacity exists, but not where this problem can use it
                    raise NoSchedule(j)
                raise ValueError(
                    f"activity {j} needs {q} units of resource {r}, whose capacity is {most[r]}:"
                    " no schedule exists"
                )
        uses.append([(r, q) for r, q in enumerate(demand) if q > 0] if dur > 0 else [])
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i, j, delta in problem.lags:
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"lag ({i}, {j}, {delta}) names an activity outside 0..{n - 1}")
        succs[i].append((j, int(delta)))
        preds[j].append((i, int(delta)))
    sortable = all(delta >= 0 for _, _, delta in problem.lags)
    tables = byte_tables(uses) if all(c <= MAX_BYTE for c in most) else None
    short = None if head is None else [any(q > capacities[r] for r, q in use) for use in uses]
    net = Network(
        n, durations, demands, capacities, preds, succs, uses, [], [0] * n, sortable, tables, head, short
    )
    net.topo.extend(priority_order(net, list(range(n))))
    for k, j in enumerate(net.topo):
        net.rank[j] = k
    return net


def byte_tables(uses: list[list[tuple[int, int]]]) -> list[list[tuple[int, bytes, bytes]]]:
    """Per use ``(r, q)``, the tables mapping free units to "fewer than q" (0/1) and to "minus q"."""
    short: dict[int, bytes] = {}
    minus: dict[int, bytes] = {}
    for q in {q for use in uses for _, q in use}:
        short[q] = bytes(v < q for v in range(MAX_BYTE + 1))
        minus[q] = bytes((v - q) % (MAX_BYTE + 1) for v in range(MAX_BYTE + 1))
    return [[(r, short[q], minus[q]) for r, q in use] for use in uses]


def priority_order(net: Network, key: Sequence[float]) -> list[int]:
    """A topological order of the lags that takes the smallest ``key`` first among the ready.

    Serial schedule generation needs every activity's lag predecessors placed before it; with
    leads and zero durations, sorting by start time alone can break that, so a heap-based
    Kahn's algorithm keeps the order both precedence-feasible and as close to ``key`` as it can.
    Raises ``ValueError`` when the lags form a cycle.
    """
    indegree = [len(p) for p in net.preds]
    heap = [(key[j], j) for j in range(net.n) if indegree[j] == 0]
    heapq.heapify(heap)
    order: list[int] = []
    succs = net.succs
    while heap:
        _, i = heapq.heappop(heap)
        order.append(i)
        for j, _ in succs[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(heap, (key[j], j))
    if len(order) != net.n:
        raise ValueError("the lags form a cycle")
    return order


def list_by(net: Network, key: Sequence[int]) -> list[int]:
    """A precedence-feasible list in increasing ``key`` (integer priorities such as start times).

    When no lag is negative and ``key`` is a schedule's starts, sorting by (start, topological
    rank) already respects every lag, and a C-level sort is several times faster than
    :func:`priority_order`, which it falls back to otherwise.
    """
    if not net.sortable:
        return priority_order(net, key)
    n, rank = net.n, net.rank
    combined = [key[j] * n + rank[j] for j in range(n)]
    return sorted(range(n), key=combined.__getitem__)


def earliest_starts(net: Network) -> list[int]:
    """Earliest start of every activity from the lags alone (and ``>= 0``), ignoring resources."""
    es = [0] * net.n
    preds = net.preds
    for j in net.topo:
        best = 0
        for i, delta in preds[j]:
            t = es[i] + delta
            if t > best:
                best = t
        es[j] = best
    return es


def latest_starts(net: Network, horizon: int) -> list[int]:
    """Latest start of every activity such that all finish by ``horizon`` and the lags hold.

    Values may be negative when ``horizon`` is below the critical-path bound; they are used as
    priorities (latest finish first), not as dates.
    """
    d = net.durations
    ls = [horizon - d[j] for j in range(net.n)]
    succs = net.succs
    for i in reversed(net.topo):
        best = ls[i]
        for j, delta in succs[i]:
            t = ls[j] - delta
            if t < best:
                best = t
        ls[i] = best
    return ls


def makespan(net: Network, starts: Sequence[int]) -> int:
    """The finish of the last activity (0 for an empty problem)."""
    d = net.durations
    return max((starts[j] + d[j] for j in range(net.n)), default=0)


def path_bound(net: Network) -> int:
    """The makespan if resources were unlimited: the critical-path lower bound."""
    return makespan(net, earliest_starts(net))


def work_bound(net: Network) -> int:
    """A lower bound from resource work: each resource's total unit-periods over its capacity.

    With zero capacity only zero-demand (or zero-duration) activities exist, so it adds nothing.
    With capacity changes it divides by the most capacity ever, which keeps it a bound.
    """
    bound = 0
    for r, cap in enumerate(peaks(net.head, net.capacities)):
        if cap > 0:
            work = sum(net.durations[j] * net.demands[j][r] for j in range(net.n))
            bound = max(bound, -(-work // cap))
    return bound


def critical_path_bound(problem: LevellingProblem) -> int:
    """The makespan of ``problem`` ignoring resources (every activity at its earliest start).

    No levelled schedule can be shorter, so it is the natural yardstick for how much capacity
    stretches a plan. Capacities are not checked; malformed input raises ``ValueError`` like
    :func:`compile_problem`.
    """
    return path_bound(compile_problem(problem, check_capacity=False))


def lower_bound(net: Network) -> int:
    """The best cheap lower bound on the makespan: the critical path or the resource work."""
    return max(path_bound(net), work_bound(net))
