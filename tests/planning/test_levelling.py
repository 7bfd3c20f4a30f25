"""The levelling solver's contract: valid, left-justified, never below the bound, optimal when small.

Property tests draw small random networks (negative lags included) and check every schedule with
an independent brute force; the parts of the solver are tested in test_levelling_parts.py.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcast.planning.levelling import LevellingProblem, critical_path_bound, solve
from backcast.planning.levelling import solver as solver_module
from backcast.planning.levelling.check import violations
from backcast.planning.levelling.exact import load_cp_model

FAST = 0.05  # seconds: tiny problems need far less


def span(problem: LevellingProblem, starts: Sequence[int]) -> int:
    return max((s + d for s, d in zip(starts, problem.durations, strict=True)), default=0)


@st.composite
def problems(draw: st.DrawFn, max_n: int = 7, min_lag: int = -3) -> LevellingProblem:
    """Small acyclic networks: lags run from a lower to a higher index, leads allowed."""
    n = draw(st.integers(0, max_n))
    n_res = draw(st.integers(1, 3))
    scale = draw(st.sampled_from([1, 1, 100]))  # 100: capacities above 255 take the list-based SGS
    capacities = [scale * c for c in draw(st.lists(st.integers(0, 4), min_size=n_res, max_size=n_res))]
    durations = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    demands = [[draw(st.integers(0, c // scale)) * scale for c in capacities] for _ in range(n)]
    lags: list[tuple[int, int, int]] = []
    if n > 1:
        pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n))
        for a, b in pairs:
            if a != b:
                lags.append((min(a, b), max(a, b), draw(st.integers(min_lag, 5))))
    return LevellingProblem(durations, demands, capacities, lags)


def can_start_earlier(problem: LevellingProblem, starts: list[int], j: int) -> bool:
    """Brute force: could activity ``j`` alone move to an earlier period and stay valid?"""
    for t in range(starts[j]):
        moved = [*starts[:j], t, *starts[j + 1 :]]
        if not violations(problem, moved):
            return True
    return False


def brute_force_optimum(problem: LevellingProblem) -> int:
    """The shortest makespan by depth-first search over start times, activity by activity."""
    n = len(problem.durations)
    horizon = sum(problem.durations) + sum(max(0, delta) for _, _, delta in problem.lags)
    best = [horizon + 1]
    starts: list[int] = []

    def extend() -> None:
        j = len(starts)
        if j == n:
            best[0] = span(problem, starts)
            return
        low = max([0] + [starts[i] + delta for i, k, delta in problem.lags if k == j])
        for t in range(low, horizon + 1):
            if t + problem.durations[j] >= best[0]:
                break
            starts.append(t)
            partial = LevellingProblem(
                problem.durations[: j + 1],
                problem.demands[: j + 1],
                problem.capacities,
                [lag for lag in problem.lags if lag[1] <= j],
            )
            if not violations(partial, starts):
                extend()
            starts.pop()

    extend()
    return best[0]


@settings(max_examples=300, deadline=None)
@given(problems(max_n=8))
def test_every_schedule_is_valid_left_justified_and_above_the_bound(problem: LevellingProblem) -> None:
    starts = solve(problem, time_limit=FAST)
    assert violations(problem, starts) == []
    assert all(s >= 0 for s in starts)
    assert span(problem, starts) >= critical_path_bound(problem)
    assert not any(can_start_earlier(problem, starts, j) for j in range(len(starts)))


@settings(max_examples=100, deadline=None)
@given(problems(max_n=5))
def test_small_networks_reach_their_optimum(problem: LevellingProblem) -> None:
    assert span(problem, solve(problem, time_limit=0.5)) == brute_force_optimum(problem)


def test_two_jobs_that_each_need_the_whole_team_run_one_after_the_other() -> None:
    problem = LevellingProblem([3, 2], [[2], [2]], [2], [])
    starts = solve(problem, time_limit=FAST)
    assert sorted(starts) == [0, 3] or sorted(starts) == [0, 2]
    assert span(problem, starts) == 5


def test_a_lead_lets_a_successor_start_before_its_predecessor() -> None:
    # start[1] >= start[0] - 2, and activity 0 cannot start before 3: activity 1 may start at 1.
    problem = LevellingProblem([2, 1, 2], [[0], [1], [0]], [1], [(2, 0, 3), (0, 1, -2)])
    starts = solve(problem, time_limit=FAST)
    assert starts == [3, 1, 0]


def test_zero_duration_checkpoints_use_no_capacity_even_above_it() -> None:
    problem = LevellingProblem([2, 0, 2], [[1], [9], [1]], [1], [(0, 1, 2), (1, 2, 0)])
    assert solve(problem, time_limit=FAST) == [0, 2, 2]


def test_the_resource_work_bound_returns_at_once() -> None:
    problem = LevellingProblem([2, 2, 2, 2], [[1], [1], [1], [1]], [2], [])
    assert span(problem, solve(problem, time_limit=FAST)) == 4


def test_an_empty_problem_has_an_empty_schedule() -> None:
    assert solve(LevellingProblem([], [], [3], [])) == []
    assert critical_path_bound(LevellingProblem([], [], [], [])) == 0


def test_critical_path_bound_ignores_resources_but_keeps_lags() -> None:
    problem = LevellingProblem([3, 4, 2], [[5], [5], [5]], [1], [(0, 1, 3), (1, 2, -1)])
    assert critical_path_bound(problem) == 7


def test_a_demand_above_capacity_names_the_activity_and_the_resource() -> None:
    problem = LevellingProblem([1, 2], [[1, 0], [1, 3]], [2, 2], [])
    with pytest.raises(ValueError, match=r"activity 1 needs 3 units of resource 1"):
        solve(problem)


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (LevellingProblem([1], [], [1], []), "demand rows"),
        (LevellingProblem([1], [[1]], [-1], []), "capacities"),
        (LevellingProblem([-1], [[0]], [1], []), "negative duration"),
        (LevellingProblem([1], [[0, 0]], [1], []), "2 demands for 1 resources"),
        (LevellingProblem([1], [[-1]], [1], []), "negative demand"),
        (LevellingProblem([1], [[0]], [1], [(0, 1, 0)]), "outside"),
        (LevellingProblem([1, 1], [[0], [0]], [1], [(0, 1, 0), (1, 0, 0)]), "cycle"),
    ],
)
def test_malformed_problems_are_refused(problem: LevellingProblem, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve(problem)


def contested(n: int = 20, seed: int = 4) -> LevellingProblem:
    """A random network whose first schedule is above the lower bound (30 against 27 for 20)."""
    rng = random.Random(seed)
    durations = [rng.randint(1, 6) for _ in range(n)]
    demands = [[rng.randint(0, 3), rng.randint(0, 3)] for _ in range(n)]
    lags = [(i, j, durations[i]) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.12]
    return LevellingProblem(durations, demands, [4, 4], lags)


def test_without_ortools_the_heuristic_alone_still_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ortools.sat.python.cp_model", None)
    assert load_cp_model() is None
    problem = contested()
    starts = solve(problem, time_limit=FAST)
    assert violations(problem, starts) == []
    assert not any(can_start_earlier(problem, starts, j) for j in range(len(starts)))


def test_large_networks_skip_cp_sat_and_stay_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver_module, "EXACT_MAX_ACTIVITIES", 5)
    problem = contested()
    starts = solve(problem, time_limit=FAST, seed=3)
    assert violations(problem, starts) == []
    assert span(problem, starts) >= critical_path_bound(problem)


def test_the_same_seed_gives_the_same_schedule_when_cp_sat_proves_it() -> None:
    problem = contested()
    assert solve(problem, time_limit=0.3, seed=7) == solve(problem, time_limit=0.3, seed=7)
