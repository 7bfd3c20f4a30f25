"""Monte Carlo schedule risk: how likely the plan is to finish by its deadline, and when it may finish.

The planner's dates assume every milestone takes its planned duration. Here each run draws every
duration from the triangular distribution of its (optimistic, likely, pessimistic) estimate,
rounds it to a whole working day (the planner counts whole days), and runs the plan forward from
its start as early as the dependencies allow. Over many runs the share that end by the deadline is
the probability of finishing on time, and the finish days at the 50th, 80th and 95th percentiles
say how much margin a confident promise needs.

Everything is in integer working-day indices, as in the planner: a milestone starting on day ``s``
with duration ``d`` occupies days ``s .. s + d - 1`` and its *end* is ``s + d`` (a checkpoint,
``d == 0``, ends where it starts). A dependency of kind FS/SS/FF with lag ``L`` is the
start-to-start constraint ``start[j] >= start[i] + delta`` of :func:`backcast.planning.model.start_lag`,
recomputed in every run from that run's durations.

A levelled plan must keep its resource decisions, or a run that lets two milestones overlap would
overload a resource the levelling had kept apart. :func:`resource_flow_edges` turns the levelled
schedule into extra finish-to-start links (a resource flow network) that make every run
resource-feasible whatever the durations.

Pure: numpy and the standard library only, no I/O and no clock; the passes are vectorised over runs
(one numpy operation per milestone and dependency) so 10,000 runs of a 1,000-milestone plan take a
fraction of a second (``bench/risk.py``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from backcast.planning.model import KINDS, Kind, topological_order

Days = npt.NDArray[np.signedinteger[Any]]

INT32_LIMIT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Edge:
    """A dependency for the simulation: ``succ`` follows ``pred`` by ``kind`` with ``lag`` working days.

    ``FS``: ``succ`` may start ``lag`` days after ``pred`` ends; ``SS``: ``lag`` days after it starts;
    ``FF``: ``succ`` may end ``lag`` days after ``pred`` ends. ``lag`` may be negative (a lead).
    The defaults (FS, lag 0) are the resource links of :func:`resource_flow_edges`.
    """

    pred: int
    succ: int
    kind: Kind = "FS"
    lag: int = 0


@dataclass(frozen=True, slots=True)
class RiskResult:
    """What ``runs`` simulated runs say about the finish.

    ``probability_on_time`` is the share of runs whose last end is at or before the deadline's end.
    ``finish_p50``/``finish_p80``/``finish_p95`` are finish *day* indices (last end - 1): the
    smallest simulated finish that at least that share of runs meets (the inverted CDF, so always a
    day some run actually finished on, and an integer). ``criticality[j]`` is the share of runs in
    which milestone ``j`` had no total float (it was on a critical path of that run).
    """

    runs: int
    probability_on_time: float
    finish_p50: int
    finish_p80: int
    finish_p95: int
    criticality: tuple[float, ...]


def simulate(
    durations: Sequence[int],
    estimates: Sequence[tuple[float, float, float] | None],
    edges: Sequence[Edge],
    order: Sequence[int],
    *,
    start: int,
    deadline_end: int,
    runs: int,
    seed: int | None,
) -> RiskResult:
    """Simulate ``runs`` runs of the plan and summarise when it finishes.

    ``durations[j]`` is milestone ``j``'s planned duration, used in every run when
    ``estimates[j]`` is None; otherwise each run draws from the triangular distribution of
    ``estimates[j] = (optimistic, likely, pessimistic)`` (fixed when optimistic == pessimistic)
    and rounds to the nearest whole working day (half to even, as ``np.rint``). ``order`` lists
    every milestone once, each after the predecessors of all its ``edges`` (a topological order;
    the caller has one already). Each run starts every milestone as early as ``start`` and its
    dependencies allow; it is on time when its last end is ``<= deadline_end``. A backward pass
    from each run's last end gives its floats, hence the criticality index (it costs about as much
    as the forward pass). ``seed`` makes the runs reproducible (``None``: fresh entropy).

    ``ValueError`` for ``runs < 1``, no milestones, mismatched lengths, negative durations,
    estimates that are not ``0 <= optimistic <= likely <= pessimistic`` (finite), edges naming
    unknown milestones or kinds, and an ``order`` that is not a topological order of ``edges``:
    a wrong order would silently give wrong dates, so it is checked (in linear time).
    """
    if runs < 1:
        raise ValueError(f"runs must be 1 or more, not {runs}")
    n = len(durations)
    if n == 0:
        raise ValueError("the plan has no milestones")
    _check_milestones(durations, estimates)
    _check_network(n, edges, order)
    rng = np.random.default_rng(seed)
    dtype = np.int32 if _bound(durations, estimates, edges, start, deadline_end) <= INT32_LIMIT else np.int64
    d = sample_durations(durations, estimates, runs, rng, dtype)
    es = earliest_starts(d, edges, order, start)
    last = (es + d).max(axis=0)
    finish = last - 1
    p50, p80, p95 = (int(np.percentile(finish, q, method="inverted_cdf")) for q in (50, 80, 95))
    ls = latest_starts(d, edges, order, last)
    critical = np.count_nonzero(ls == es, axis=1)
    return RiskResult(
        runs=runs,
        probability_on_time=int(np.count_nonzero(last <= deadline_end)) / runs,
        finish_p50=p50,
        finish_p80=p80,
        finish_p95=p95,
        criticality=tuple(int(c) / runs for c in critical),
    )


def sample_durations(
    durations: Sequence[int],
    estimates: Sequence[tuple[float, float, float] | None],
    runs: int,
    rng: np.random.Generator,
    dtype: type[np.signedinteger[Any]] = np.int64,
) -> Days:
    """The ``(milestones, runs)`` array of whole-day durations for ``runs`` runs (see :func:`simulate`).

    Draws milestone by milestone in index order, so a seed gives the same durations whatever the
    edges. numpy's triangular rejects ``left == right``, so a degenerate estimate is the fixed
    value it describes. Estimates are checked to be non-negative, so rounding never goes below 0.
    """
    d = np.empty((len(durations), runs), dtype=dtype)
    for j, (planned, estimate) in enumerate(zip(durations, estimates, strict=True)):
        if estimate is None:
            d[j] = planned
            continue
        low, likely, high = estimate
        if low == high:
            d[j] = round(low)  # Python rounds half to even, as np.rint does
        else:
            d[j] = np.rint(rng.triangular(low, likely, high, runs))
    return d


def earliest_starts(d: Days, edges: Sequence[Edge], order: Sequence[int], start: int) -> Days:
    """The forward pass of every run at once: the ``(milestones, runs)`` earliest starts.

    ``es[j] = max(start, es[i] + delta(kind, lag, d[i], d[j]) over the edges i -> j)`` with each
    run's durations ``d``, taking milestones in ``order`` (a topological order of ``edges``, not
    checked here). One numpy operation per edge and run-vector: the Python loop is over the
    network only.
    """
    incoming: list[list[Edge]] = [[] for _ in range(d.shape[0])]
    for e in edges:
        incoming[e.succ].append(e)
    es = np.empty_like(d)
    end = np.empty_like(d)
    tmp = np.empty_like(d[0])
    ff = np.empty_like(d[0])
    for j in order:
        row = es[j]
        row.fill(start)
        any_ff = False
        for e in incoming[j]:
            if e.kind == "FF":  # end[j] >= end[i] + lag: collect, subtract d[j] once
                if any_ff:
                    np.add(end[e.pred], e.lag, out=tmp)
                    np.maximum(ff, tmp, out=ff)
                else:
                    np.add(end[e.pred], e.lag, out=ff)
                    any_ff = True
            else:  # FS: start[j] >= end[i] + lag; SS: start[j] >= start[i] + lag
                np.add(es[e.pred] if e.kind == "SS" else end[e.pred], e.lag, out=tmp)
                np.maximum(row, tmp, out=row)
        if any_ff:
            np.subtract(ff, d[j], out=ff)
            np.maximum(row, ff, out=row)
        np.add(row, d[j], out=end[j])
    return es


def latest_starts(d: Days, edges: Sequence[Edge], order: Sequence[int], last: Days) -> Days:
    """The backward pass: latest starts of every run that still end by that run's ``last`` end.

    The mirror of :func:`earliest_starts`: ``lf[i] = min(last, ls[j] - lag`` (FS), ``lf[j] - lag``
    (FF)``)`` and ``ls[i] = min(lf[i] - d[i], ls[j] - lag`` (SS)``)``. A milestone whose latest
    start equals its earliest start in a run has no float there: it is critical in that run.
    """
    outgoing: list[list[Edge]] = [[] for _ in range(d.shape[0])]
    for e in edges:
        outgoing[e.pred].append(e)
    ls = np.empty_like(d)
    lf = np.empty_like(d)
    tmp = np.empty_like(d[0])
    for i in reversed(order):
        fin = lf[i]
        np.copyto(fin, last)
        for e in outgoing[i]:
            if e.kind != "SS":
                np.subtract(ls[e.succ] if e.kind == "FS" else lf[e.succ], e.lag, out=tmp)
                np.minimum(fin, tmp, out=fin)
        row = ls[i]
        np.subtract(fin, d[i], out=row)
        for e in outgoing[i]:
            if e.kind == "SS":
                np.subtract(ls[e.succ], e.lag, out=tmp)
                np.minimum(row, tmp, out=row)
        np.add(row, d[i], out=fin)
    return ls


def resource_flow_edges(
    durations: Sequence[int],
    demands: Sequence[Sequence[int]],
    capacities: Sequence[int],
    starts: Sequence[int],
) -> list[Edge]:
    """Finish-to-start links (lag 0) that keep a levelled schedule's resource decisions in every run.

    ``starts`` must be resource-feasible: on every day, the milestones running (``demands[j][r]``
    units of resource ``r`` on each of their ``durations[j]`` days; checkpoints use nothing) fit
    ``capacities[r]``. The links form a resource flow network (Artigues, Michelon & Reusser 2003,
    a "partial order schedule"): milestones are taken by start (then end, then index) and each
    takes its units of every resource from holders that have ended by its start, the most recently
    ended first (a source holds the whole capacity at the beginning), with a link from every real
    holder it takes units from; it then holds them itself until its end.

    Why it works: a resource's units flow from the source along the links, each milestone passing
    on exactly what it holds, so milestones that run at the same time in any schedule respecting
    the links are unrelated by links, and the units they hold together cannot exceed the capacity.
    So with these links added to the dependencies, the forward pass never overloads a resource
    whatever the durations; with the planned durations it starts nothing later than ``starts`` do
    (shifted to the same first day), since ``starts`` satisfies every link.

    Every link ends before its successor starts in ``starts``, so links never form a cycle with
    dependencies that go forward in ``starts`` (``start[pred] <= start[succ]``, as every FS or SS
    dependency with a lag >= 0 does). A dependency that goes backward (a lead, or FF onto a longer
    milestone) can close one with a link if the milestones share a resource; then no topological
    order exists and the resource order cannot be kept under every draw of the durations.

    Deduplicated and sorted. O(milestones x holders) per resource: no day-by-day profile.
    ``ValueError`` for mismatched lengths and when ``starts`` overloads a resource.
    """
    n = len(durations)
    if len(demands) != n or len(starts) != n:
        raise ValueError(f"{n} durations, {len(demands)} demand rows and {len(starts)} starts: give one each")
    for j, row in enumerate(demands):
        if len(row) != len(capacities):
            raise ValueError(f"milestone {j} has {len(row)} demands for {len(capacities)} resources")
    users = sorted((j for j in range(n) if durations[j] > 0), key=lambda j: (starts[j], durations[j], j))
    origin = min(starts, default=0)  # the source "ends" no later than anything starts
    links: set[tuple[int, int]] = set()
    for r, capacity in enumerate(capacities):
        # Holders sorted by end: parallel lists of end, milestone (-1: the source) and units held.
        ends, holders, units = [origin], [-1], [capacity]
        for j in users:
            need = demands[j][r]
            if need <= 0:
                continue
            begin = starts[j]
            k = bisect.bisect_right(ends, begin) - 1
            while need > 0:
                if k < 0:
                    raise ValueError(f"the schedule overloads resource {r} on day {begin} (milestone {j})")
                take = min(units[k], need)
                need -= take
                if holders[k] >= 0:
                    links.add((holders[k], j))
                if take == units[k]:
                    del ends[k], holders[k], units[k]
                else:
                    units[k] -= take
                k -= 1
            finish = begin + durations[j]
            at = bisect.bisect_right(ends, finish)
            ends.insert(at, finish)
            holders.insert(at, j)
            units.insert(at, demands[j][r])
    return [Edge(i, j) for i, j in sorted(links)]


def edge_order(n: int, edges: Sequence[Edge]) -> list[int]:
    """A topological order of ``n`` milestones under ``edges``.

    ``ValueError`` when the edges form a cycle (see :func:`resource_flow_edges` for how links can).
    """
    preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e in edges:
        preds[e.succ].append((e.pred, 0))
    return topological_order(preds)


def _check_milestones(
    durations: Sequence[int], estimates: Sequence[tuple[float, float, float] | None]
) -> None:
    if len(estimates) != len(durations):
        raise ValueError(f"{len(durations)} durations but {len(estimates)} estimates: give one each")
    for j, (planned, estimate) in enumerate(zip(durations, estimates, strict=True)):
        if planned < 0:
            raise ValueError(f"milestone {j}: duration must be 0 or more, not {planned}")
        if estimate is not None:
            low, likely, high = estimate
            if not 0 <= low <= likely <= high < math.inf:
                raise ValueError(
                    f"milestone {j}: estimate must be finite with 0 <= optimistic <= likely <= pessimistic, "
                    f"not {list(estimate)}"
                )


def _check_network(n: int, edges: Sequence[Edge], order: Sequence[int]) -> None:
    if sorted(order) != list(range(n)):
        raise ValueError(f"order must list each of the {n} milestones once")
    position = [0] * n
    for k, j in enumerate(order):
        position[j] = k
    for e in edges:
        if not (0 <= e.pred < n and 0 <= e.succ < n):
            raise ValueError(f"edge {e.pred} -> {e.succ} names a milestone outside 0..{n - 1}")
        if e.kind not in KINDS:
            raise ValueError(f"edge {e.pred} -> {e.succ} has unknown kind {e.kind!r} (use FS, SS or FF)")
        if position[e.pred] >= position[e.succ]:
            raise ValueError(f"order is not a topological order: {e.succ} comes before {e.pred}")


def _bound(
    durations: Sequence[int],
    estimates: Sequence[tuple[float, float, float] | None],
    edges: Sequence[Edge],
    start: int,
    deadline_end: int,
) -> float:
    """A bound on every magnitude the passes compute, to choose int32 (half the memory traffic)."""
    longest = sum(p if e is None else e[2] + 1 for p, e in zip(durations, estimates, strict=True))
    return abs(start) + abs(deadline_end) + 2 * (longest + sum(abs(e.lag) for e in edges))
