"""The Monte Carlo schedule risk and the resource links that keep a levelled plan's decisions.

The simulation is checked against independent pure-Python passes written from the definitions
(``model.start_lag`` per dependency, day-by-day resource loads), not against its own helpers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backcast.planning.model import KINDS, Kind, start_lag
from backcast.planning.risk import (
    Edge,
    RiskResult,
    earliest_starts,
    edge_order,
    resource_flow_edges,
    sample_durations,
    simulate,
)

Estimate = tuple[float, float, float] | None


# --- independent reference passes ----------------------------------------------------------------


def forward(durations: Sequence[int], edges: Sequence[Edge], start: int) -> list[int]:
    """Earliest starts by relaxing every edge until nothing changes (no order needed)."""
    es = [start] * len(durations)
    changed = True
    while changed:
        changed = False
        for e in edges:
            bound = es[e.pred] + start_lag(e.kind, e.lag, durations[e.pred], durations[e.succ])
            if es[e.succ] < bound:
                es[e.succ] = bound
                changed = True
    return es


def total_floats(durations: Sequence[int], edges: Sequence[Edge], start: int) -> list[int]:
    """Latest minus earliest start with the project end as the horizon, by relaxation too."""
    es = forward(durations, edges, start)
    end = max(s + d for s, d in zip(es, durations, strict=True))
    ls = [end - d for d in durations]
    changed = True
    while changed:
        changed = False
        for e in edges:
            bound = ls[e.succ] - start_lag(e.kind, e.lag, durations[e.pred], durations[e.succ])
            if ls[e.pred] > bound:
                ls[e.pred] = bound
                changed = True
    return [late - early for late, early in zip(ls, es, strict=True)]


def overloads(
    durations: Sequence[int],
    demands: Sequence[Sequence[int]],
    capacities: Sequence[int],
    starts: Sequence[int],
) -> list[tuple[int, int, int]]:
    """Every (resource, day, load) above capacity, counted day by day."""
    load: dict[tuple[int, int], int] = {}
    for s, d, row in zip(starts, durations, demands, strict=True):
        for r, units in enumerate(row):
            for day in range(s, s + d):
                load[r, day] = load.get((r, day), 0) + units
    return [(r, day, used) for (r, day), used in sorted(load.items()) if used > capacities[r]]


def deterministic(durations: Sequence[int], edges: Sequence[Edge], start: int) -> int:
    """The finish day index of the plan with its planned durations."""
    es = forward(durations, edges, start)
    return max(s + d for s, d in zip(es, durations, strict=True)) - 1


def run(
    durations: Sequence[int],
    edges: Sequence[Edge],
    *,
    estimates: Sequence[Estimate] | None = None,
    start: int = 0,
    deadline_end: int = 100,
    runs: int = 200,
    seed: int | None = 1,
) -> RiskResult:
    return simulate(
        durations,
        [None] * len(durations) if estimates is None else estimates,
        edges,
        edge_order(len(durations), edges),
        start=start,
        deadline_end=deadline_end,
        runs=runs,
        seed=seed,
    )


# --- fixed durations: the simulation is the deterministic plan -----------------------------------

MIXED = [
    Edge(0, 1, "FS", 2),
    Edge(0, 2, "SS", -1),
    Edge(1, 3, "FF", 0),
    Edge(2, 3, "FF", 4),
    Edge(2, 4, "FS", -3),
    Edge(3, 5, "SS", 1),
    Edge(4, 5, "FS", 0),
]
MIXED_DURATIONS = [5, 3, 4, 6, 0, 2]


@pytest.mark.parametrize("start", [0, 7, -4])
def test_fixed_durations_give_certainty_and_the_deterministic_finish(start: int) -> None:
    finish = deterministic(MIXED_DURATIONS, MIXED, start)
    on_time = run(MIXED_DURATIONS, MIXED, start=start, deadline_end=finish + 1)
    late = run(MIXED_DURATIONS, MIXED, start=start, deadline_end=finish)
    assert on_time.probability_on_time == 1.0
    assert late.probability_on_time == 0.0
    assert on_time.runs == 200
    assert on_time.finish_p50 == on_time.finish_p80 == on_time.finish_p95 == finish
    assert late.finish_p95 == finish


def test_degenerate_estimates_are_fixed_and_rounded_half_to_even() -> None:
    # 2.5 rounds to 2 and 3.5 to 4 (np.rint), so a chain of the two lasts 6 days: days 0..5.
    result = run([9, 9], [Edge(0, 1)], estimates=[(2.5, 2.5, 2.5), (3.5, 3.5, 3.5)], deadline_end=6)
    assert result.probability_on_time == 1.0
    assert (result.finish_p50, result.finish_p95) == (5, 5)


@pytest.mark.parametrize(
    ("kind", "lag", "durations", "finish"),
    [
        ("FS", 0, [5, 3], 7),  # b on days 5..7
        ("FS", 2, [5, 3], 9),  # two days' gap
        ("FS", -2, [5, 3], 5),  # a lead: b starts on day 3
        ("SS", 0, [5, 3], 4),  # together: a's finish is last
        ("SS", 4, [5, 3], 6),  # b on days 4..6
        ("SS", -3, [5, 3], 4),  # a lead cannot start b before the plan's start
        ("FF", 0, [5, 3], 4),  # b on days 2..4, ending with a
        ("FF", 1, [5, 3], 5),
        ("FF", 0, [2, 5], 4),  # a longer successor starts at the plan's start
        ("FF", -1, [5, 0], 4),  # a checkpoint a day before a's end
        ("FS", 0, [5, 0], 4),  # a checkpoint ends where it starts
    ],
)
def test_each_dependency_kind_and_lag(kind: Kind, lag: int, durations: list[int], finish: int) -> None:
    edges = [Edge(0, 1, kind, lag)]
    assert deterministic(durations, edges, 0) == finish
    result = run(durations, edges, runs=3)
    assert result.finish_p50 == finish


def test_multiple_finish_to_finish_predecessors_take_the_latest() -> None:
    edges = [Edge(0, 2, "FF", 0), Edge(1, 2, "FF", 3), Edge(0, 2, "SS", 1)]
    durations = [4, 6, 2]  # c must end by 4 and by 9, start after 1: days 7..8
    assert run(durations, edges, runs=2).finish_p50 == 8 == deterministic(durations, edges, 0)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_fixed_durations_match_the_reference_pass_and_floats(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 9))
    durations = data.draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    edges = data.draw(dag_edges(n))
    start = data.draw(st.integers(-5, 5))
    finish = deterministic(durations, edges, start)
    result = run(durations, edges, start=start, deadline_end=finish + 1, runs=2)
    assert (result.finish_p50, result.probability_on_time) == (finish, 1.0)
    critical = [float(f == 0) for f in total_floats(durations, edges, start)]
    assert list(result.criticality) == critical
    es = earliest_starts(np.array([[d] for d in durations]), edges, edge_order(n, edges), start)
    assert es[:, 0].tolist() == forward(durations, edges, start)


# --- estimates: percentiles and on-time probability ---------------------------------------------


def test_one_triangular_milestone_matches_its_distribution() -> None:
    # X ~ triangular(0, 0, 10): P(rint(X) <= 5) = P(X < 5.5) = 1 - 4.5**2 / 100 = 0.7975, and the
    # median of X is 10 - sqrt(50) = 2.93, so the median duration is 3 days (finish day 2).
    result = run([4], [], estimates=[(0.0, 0.0, 10.0)], deadline_end=5, runs=40_000, seed=3)
    assert result.probability_on_time == pytest.approx(0.7975, abs=0.01)
    assert result.finish_p50 == 2
    assert result.finish_p95 == 7  # 8 days: P(X < 7.5) = 0.9375 < 0.95 <= P(X < 8.5) = 0.9775


def test_a_chain_of_estimates_has_percentiles_in_the_right_range() -> None:
    spread = [(2.0, 4.0, 12.0), (1.0, 3.0, 5.0), (5.0, 5.0, 9.0)]
    estimates: list[Estimate] = [*spread, (3.0, 3.0, 3.0)]
    edges = [Edge(0, 1), Edge(1, 2), Edge(2, 3, "FS", 1)]
    result = run([0, 0, 0, 0], edges, estimates=estimates, start=10, deadline_end=35, runs=20_000, seed=11)
    # Reference: the same sum drawn with the standard library (rounding each draw, half to even),
    # plus the fixed 3 days and the day of lag.
    rnd = random.Random(5)
    draws = [
        sum(round(rnd.triangular(low, high, likely)) for low, likely, high in spread) for _ in range(20_000)
    ]
    totals = sorted(t + 3 + 1 for t in draws)
    reference = [10 + totals[math.ceil(q * len(totals)) - 1] - 1 for q in (0.5, 0.8, 0.95)]
    got = [result.finish_p50, result.finish_p80, result.finish_p95]
    assert all(abs(g - r) <= 1 for g, r in zip(got, reference, strict=True)), (got, reference)
    assert 10 + 11 - 1 <= got[0] <= got[1] <= got[2] <= 10 + 30 - 1
    share = sum(10 + t <= 35 for t in totals) / len(totals)
    assert result.probability_on_time == pytest.approx(share, abs=0.02)
    assert result.criticality == (1.0, 1.0, 1.0, 1.0)


def test_criticality_is_the_share_of_runs_on_the_critical_path() -> None:
    # a -> c and b -> c; a (5 days) or b (3..7 days, likely 3) drives c.
    estimates: list[Estimate] = [None, (3.0, 3.0, 7.0), None]
    result = run([5, 0, 1], [Edge(0, 2), Edge(1, 2)], estimates=estimates, runs=20_000, seed=2)
    a, b, c = result.criticality
    assert c == 1.0
    # b is critical when rint(B) >= 5 (B >= 4.5): (7 - 4.5)**2 / 16 = 0.39; a when rint(B) <= 5.
    assert b == pytest.approx(0.39, abs=0.02)
    assert a == pytest.approx(1 - (7 - 5.5) ** 2 / 16, abs=0.02)


def test_large_durations_do_not_overflow() -> None:
    estimates: list[Estimate] = [(2e9, 2.5e9, 3e9), (2e9, 2e9, 2e9)]
    result = run([0, 0], [Edge(0, 1)], estimates=estimates, deadline_end=2**40, runs=50)
    assert 4e9 <= result.finish_p50 <= 5e9
    assert result.probability_on_time == 1.0


# --- reproducibility and rejected input ---------------------------------------------------------


def test_a_seed_makes_the_runs_reproducible() -> None:
    estimates: list[Estimate] = [(1.0, 2.0, 9.0), (0.0, 4.0, 8.0), None]
    edges = [Edge(0, 1, "SS", 1), Edge(1, 2)]
    first = run([2, 4, 1], edges, estimates=estimates, deadline_end=9, seed=42)
    assert run([2, 4, 1], edges, estimates=estimates, deadline_end=9, seed=42) == first
    unseeded = run([2, 4, 1], edges, estimates=estimates, deadline_end=9, seed=None)
    assert 0.0 <= unseeded.probability_on_time <= 1.0
    a = sample_durations([2, 4, 1], estimates, 500, np.random.default_rng(42))
    b = sample_durations([2, 4, 1], estimates, 500, np.random.default_rng(43))
    assert not np.array_equal(a, b)
    assert a.min() >= 0 and a[2].tolist() == [1] * 500


@pytest.mark.parametrize("runs", [0, -1])
def test_runs_must_be_at_least_one(runs: int) -> None:
    with pytest.raises(ValueError, match="runs must be 1 or more"):
        run([1], [], runs=runs)


@pytest.mark.parametrize(
    ("durations", "estimates", "edges", "order", "message"),
    [
        ([], [], [], [], "no milestones"),
        ([1, 2], [None], [], [0, 1], "2 durations but 1 estimates"),
        ([1, -1], [None, None], [], [0, 1], "milestone 1: duration must be 0 or more"),
        ([1], [(2.0, 1.0, 3.0)], [], [0], "estimate must be finite"),
        ([1], [(-1.0, 1.0, 3.0)], [], [0], "estimate must be finite"),
        ([1], [(1.0, 2.0, math.inf)], [], [0], "estimate must be finite"),
        ([1], [(math.nan, 2.0, 3.0)], [], [0], "estimate must be finite"),
        ([1, 1], [None, None], [], [0], "order must list each of the 2 milestones once"),
        ([1, 1], [None, None], [], [0, 0], "order must list each"),
        ([1, 1], [None, None], [Edge(0, 2)], [0, 1], "outside 0..1"),
        ([1, 1], [None, None], [Edge(-1, 1)], [0, 1], "outside 0..1"),
        ([1, 1], [None, None], [Edge(0, 1, "XX", 0)], [0, 1], "unknown kind 'XX'"),  # type: ignore[arg-type]
        ([1, 1], [None, None], [Edge(0, 1)], [1, 0], "not a topological order: 1 comes before 0"),
        ([1, 1], [None, None], [Edge(1, 1)], [0, 1], "not a topological order"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(
    durations: list[int], estimates: list[Estimate], edges: list[Edge], order: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(durations, estimates, edges, order, start=0, deadline_end=5, runs=10, seed=0)


def test_edge_order_is_topological_and_rejects_cycles() -> None:
    edges = [Edge(2, 0), Edge(0, 1), Edge(3, 1, "SS", -2)]
    order = edge_order(4, edges)
    assert sorted(order) == [0, 1, 2, 3]
    assert all(order.index(e.pred) < order.index(e.succ) for e in edges)
    with pytest.raises(ValueError, match="cycle"):
        edge_order(2, [Edge(0, 1), Edge(1, 0, "FF", -5)])


# --- resource links ------------------------------------------------------------------------------


def test_links_hand_units_on_from_the_most_recent_holders() -> None:
    # Capacity 2: a (2 units, days 0..2) hands one unit each to b (days 3..4) and c (days 3..6);
    # d needs both units, so it starts on day 7 and takes them from c and b.
    durations = [3, 2, 4, 2, 0]
    demands = [[2], [1], [1], [2], [5]]  # the checkpoint's demand is ignored: it uses no day
    starts = [0, 3, 3, 7, 1]
    assert overloads(durations, demands, [2], starts) == []
    links = resource_flow_edges(durations, demands, [2], starts)
    assert links == [Edge(0, 1), Edge(0, 2), Edge(1, 3), Edge(2, 3)]
    assert all(e.kind == "FS" and e.lag == 0 for e in links)


def test_links_prefer_the_latest_end_and_leave_the_source_last() -> None:
    # Capacity 3: a (1 unit, days 0..0), b (1 unit, days 0..3); c needs 1 unit from day 4: b ended
    # most recently, so the link is b -> c (not a -> c, nor the unused third unit of the source).
    links = resource_flow_edges([1, 4, 2], [[1], [1], [1]], [3], [0, 0, 4])
    assert links == [Edge(1, 2)]


def test_links_are_deduplicated_across_resources() -> None:
    links = resource_flow_edges([2, 2], [[1, 3], [1, 1]], [1, 3], [0, 2])
    assert links == [Edge(0, 1)]


def test_milestones_without_demand_or_duration_get_no_links() -> None:
    assert resource_flow_edges([2, 0, 3], [[0], [9], [1]], [1], [0, 0, 0]) == []
    assert resource_flow_edges([], [], [1], []) == []


@pytest.mark.parametrize(
    ("durations", "demands", "capacities", "starts", "message"),
    [
        ([2, 2], [[1], [1]], [1], [0, 1], "overloads resource 0 on day 1 \\(milestone 1\\)"),
        ([2], [[1]], [0], [0], "overloads resource 0 on day 0"),
        ([2, 2], [[1]], [1], [0, 1], "2 durations, 1 demand rows and 2 starts"),
        ([2, 2], [[1], [1]], [1], [0], "2 durations, 2 demand rows and 1 starts"),
        ([2, 2], [[1], [1, 0]], [1], [0, 2], "milestone 1 has 2 demands for 1 resources"),
    ],
)
def test_links_reject_bad_schedules(
    durations: list[int], demands: list[list[int]], capacities: list[int], starts: list[int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        resource_flow_edges(durations, demands, capacities, starts)


def test_a_lead_can_close_a_cycle_with_a_link() -> None:
    # b follows a with a three-day lead (b may start two days before a starts), both use the one
    # analyst: a schedule with b first is feasible, but its link b -> a closes a cycle with a -> b.
    deps = [Edge(0, 1, "FS", -3)]
    starts = [1, 0]
    assert forward([1, 1], deps, 0) == [0, 0]
    links = resource_flow_edges([1, 1], [[1], [1]], [1], starts)
    assert links == [Edge(1, 0)]
    with pytest.raises(ValueError, match="cycle"):
        edge_order(2, [*deps, *links])


# --- the guarantee: links keep every run within capacity ----------------------------------------


@st.composite
def dag_edges(draw: st.DrawFn, n: int, forward_only: bool = False) -> list[Edge]:
    """Dependencies from lower to higher index; ``forward_only``: FS/SS with lags >= 0."""
    pairs = [(i, j) for j in range(n) for i in range(j)]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=2 * n, unique=True)) if pairs else []
    kinds: Sequence[Kind] = ("FS", "SS") if forward_only else KINDS
    lags = st.integers(0, 3) if forward_only else st.integers(-3, 3)
    return [Edge(i, j, draw(st.sampled_from(kinds)), draw(lags)) for i, j in chosen]


@st.composite
def levelled_plans(
    draw: st.DrawFn, forward_only: bool = False
) -> tuple[list[int], list[list[int]], list[int], list[Edge], list[int]]:
    """Durations, demands, capacities, dependencies and a resource-feasible schedule of them.

    The schedule is a serial schedule generation in index order (a topological order): each
    milestone at the first day after its dependencies where every resource has room for it.
    """
    n = draw(st.integers(1, 8))
    capacities = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    durations = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    demands = [[draw(st.integers(0, c)) for c in capacities] for _ in range(n)]
    if n > 1 and durations[0] == 0:
        demands[0] = [c + 5 for c in capacities]  # a checkpoint's demand above capacity is harmless
    deps = draw(dag_edges(n, forward_only))
    load: dict[tuple[int, int], int] = {}
    starts: list[int] = []
    for j in range(n):
        bounds = [
            starts[e.pred] + start_lag(e.kind, e.lag, durations[e.pred], durations[j])
            for e in deps
            if e.succ == j
        ]
        t = max([0, *bounds])
        while durations[j] and any(
            load.get((r, day), 0) + q > capacities[r]
            for r, q in enumerate(demands[j])
            for day in range(t, t + durations[j])
        ):
            t += 1
        for r, q in enumerate(demands[j]):
            for day in range(t, t + durations[j]):
                load[r, day] = load.get((r, day), 0) + q
        starts.append(t)
    return durations, demands, capacities, deps, starts


def check_runs(
    plan: tuple[list[int], list[list[int]], list[int], list[Edge], list[int]], sampled: list[list[int]]
) -> None:
    """With the links, every run of ``sampled`` durations keeps capacity and every dependency."""
    durations, demands, capacities, deps, starts = plan
    assert overloads(durations, demands, capacities, starts) == []
    links = resource_flow_edges(durations, demands, capacities, starts)
    assert len(set(links)) == len(links)
    assert all(starts[e.pred] + durations[e.pred] <= starts[e.succ] for e in links)
    edges = [*deps, *links]
    try:
        order = edge_order(len(durations), edges)
    except ValueError:
        assume(False)
        raise
    origin = min(starts)
    planned = earliest_starts(np.array([durations]).T, edges, order, origin)[:, 0].tolist()
    assert all(p <= s for p, s in zip(planned, starts, strict=True))
    assert overloads(durations, demands, capacities, planned) == []
    # Checkpoints stay checkpoints: they have no place in the resource flow (see the docstring).
    runs = np.array([[0 if d == 0 else x for d, x in zip(durations, row, strict=True)] for row in sampled]).T
    es = earliest_starts(runs, edges, order, origin)
    for k in range(runs.shape[1]):
        d, s = runs[:, k].tolist(), es[:, k].tolist()
        assert overloads(d, demands, capacities, s) == []
        for e in deps:
            assert s[e.succ] >= s[e.pred] + start_lag(e.kind, e.lag, d[e.pred], d[e.succ])


@settings(max_examples=300, deadline=None)
@given(levelled_plans(), st.data())
def test_links_keep_sampled_runs_within_capacity(
    plan: tuple[list[int], list[list[int]], list[int], list[Edge], list[int]], data: st.DataObject
) -> None:
    n = len(plan[0])
    sampled = data.draw(st.lists(st.lists(st.integers(0, 7), min_size=n, max_size=n), min_size=1, max_size=6))
    check_runs(plan, sampled)


@settings(max_examples=150, deadline=None)
@given(levelled_plans(forward_only=True), st.integers(0, 2**32 - 1))
def test_links_never_close_a_cycle_with_forward_dependencies(
    plan: tuple[list[int], list[list[int]], list[int], list[Edge], list[int]], seed: int
) -> None:
    durations, demands, capacities, deps, starts = plan
    links = resource_flow_edges(durations, demands, capacities, starts)
    edge_order(len(durations), [*deps, *links])  # no ValueError: acyclic
    rng = np.random.default_rng(seed)
    estimates: list[Estimate] = [(max(0.0, d - 2.0), float(d), d + 3.0) for d in durations]
    sampled = sample_durations(durations, estimates, 20, rng).T.tolist()
    check_runs(plan, sampled)
