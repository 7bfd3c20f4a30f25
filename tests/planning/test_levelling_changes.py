"""Levelling with capacity that changes over time: every period keeps its own capacity.

Random networks get random capacity steps (shutdowns and hires included); every schedule is
checked by the independent checker, and small ones against a brute force over start times.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcast.planning.levelling import LevellingProblem, solve
from backcast.planning.levelling.budget import Budget
from backcast.planning.levelling.check import violations
from backcast.planning.levelling.exact import improve_exactly
from backcast.planning.levelling.genetic import Evolution
from backcast.planning.levelling.problem import compile_problem, makespan, work_bound
from backcast.planning.levelling.profile import NoSchedule, capacity_at, check_steps, dense, peaks, rows
from backcast.planning.levelling.sgs import backward_pass, forward_pass, justify, left_shift, serial_sgs
from backcast.planning.levelling.solver import first_schedule, left_justified_forms

from .test_levelling import can_start_earlier, span

FAST = 0.05


@st.composite
def changing(draw: st.DrawFn, max_n: int = 6, scale: int | None = None) -> LevellingProblem:
    """Small acyclic networks whose capacities change at a few periods (0: a shutdown)."""
    n = draw(st.integers(1, max_n))
    n_res = draw(st.integers(1, 2))
    unit = scale if scale is not None else draw(st.sampled_from([1, 1, 100]))
    capacities = [unit * draw(st.integers(0, 3)) for _ in range(n_res)]
    steps: list[list[tuple[int, int]]] = []
    for _ in range(n_res):
        periods = sorted(set(draw(st.lists(st.integers(0, 12), max_size=4))))
        steps.append([(p, unit * draw(st.integers(0, 3))) for p in periods])
    peak = peaks(*dense(capacities, steps))
    durations = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    demands = [[unit * draw(st.integers(0, p // unit)) for p in peak] for _ in range(n)]
    lags: list[tuple[int, int, int]] = []
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=n)):
        if a != b:
            lags.append((min(a, b), max(a, b), draw(st.integers(-2, 4))))
    return LevellingProblem(durations, demands, capacities, lags, steps)


def brute_force(problem: LevellingProblem) -> int | None:
    """The shortest makespan over every start time up to a horizon past the last change, or None."""
    n = len(problem.durations)
    last = max((p for row in problem.steps for p, _ in row), default=0)
    horizon = last + sum(problem.durations) + sum(max(0, d) for _, _, d in problem.lags)
    best: list[int | None] = [None]
    starts: list[int] = []

    def extend() -> None:
        j = len(starts)
        if j == n:
            best[0] = span(problem, starts)
            return
        low = max([0] + [starts[i] + delta for i, k, delta in problem.lags if k == j])
        for t in range(low, horizon + 1):
            if best[0] is not None and t + problem.durations[j] >= best[0]:
                break
            starts.append(t)
            partial = LevellingProblem(
                problem.durations[: j + 1],
                problem.demands[: j + 1],
                problem.capacities,
                [lag for lag in problem.lags if lag[1] <= j],
                problem.steps,
            )
            if not violations(partial, starts):
                extend()
            starts.pop()

    extend()
    return best[0]


@settings(max_examples=300, deadline=None)
@given(changing(max_n=7))
def test_every_schedule_keeps_the_capacity_of_every_period(problem: LevellingProblem) -> None:
    try:
        starts = solve(problem, time_limit=FAST)
    except NoSchedule:
        return  # the heuristic's first list found no room: reported, never a broken schedule
    assert violations(problem, starts) == []
    assert not any(can_start_earlier(problem, starts, j) for j in range(len(starts)))


@settings(max_examples=80, deadline=None)
@given(changing(max_n=4))
def test_small_networks_reach_the_brute_force_optimum_or_say_there_is_none(problem: LevellingProblem) -> None:
    optimum = brute_force(problem)
    try:
        starts = solve(problem, time_limit=0.5)
    except NoSchedule:
        return
    assert optimum is not None
    assert span(problem, starts) == optimum


@settings(max_examples=100, deadline=None)
@given(changing(max_n=7))
def test_the_passes_and_the_genetic_search_keep_every_period(problem: LevellingProblem) -> None:
    net = compile_problem(problem)
    try:
        first = first_schedule(net)
    except NoSchedule:
        return
    mirror = net.reversed()
    for starts in (
        backward_pass(net, mirror, first),
        justify(net, mirror, first, 3),
        left_shift(net, first),
        Evolution(net, random.Random(1), Budget(60, float("inf"), 0)).run(first),
    ):
        assert violations(problem, starts) == []


@settings(max_examples=60, deadline=None)
@given(changing(max_n=5))
def test_cp_sat_is_never_beaten_by_the_heuristic_where_it_proves_the_optimum(
    problem: LevellingProblem,
) -> None:
    net = compile_problem(problem)
    try:
        first = first_schedule(net)
    except NoSchedule:
        return
    found, proven = improve_exactly(net, first, 0, deterministic_time=5.0, wall_time=5.0, seed=0)
    if found is not None:
        assert violations(problem, found) == []
        assert makespan(net, found) < makespan(net, first)
    if proven:
        best = makespan(net, found if found is not None else first)
        assert best == brute_force(problem)


def test_a_shutdown_pushes_an_activity_past_it() -> None:
    # one crew; no crew from period 2 to 5 (a shutdown): a 3-period job starting at 1 cannot fit before
    problem = LevellingProblem([1, 3], [[1], [1]], [1], [(0, 1, 1)], [[(2, 0), (6, 1)]])
    assert solve(problem, time_limit=FAST) == [0, 6]


def test_a_hire_lets_two_jobs_run_side_by_side() -> None:
    before = LevellingProblem([4, 4], [[1], [1]], [1], [])
    after = LevellingProblem([4, 4], [[1], [1]], [1], [], [[(2, 2)]])
    assert span(before, solve(before, time_limit=FAST)) == 8
    assert sorted(solve(after, time_limit=FAST)) == [0, 2]


def test_a_demand_above_the_capacity_after_the_changes_fits_before_them_or_nowhere() -> None:
    window = [[(0, 2), (3, 1)]]  # two units for periods 0..2, then one
    assert solve(LevellingProblem([3], [[2]], [1], [], window), time_limit=FAST) == [0]
    with pytest.raises(NoSchedule, match="activity 1"):
        solve(LevellingProblem([1, 3], [[0], [2]], [1], [(0, 1, 1)], window), time_limit=FAST)
    # the list-based SGS (capacities above 255) says the same
    big = [[(0, 200), (3, 100)]]
    with pytest.raises(NoSchedule):
        solve(LevellingProblem([1, 3], [[0], [200]], [100], [(0, 1, 1)], big), time_limit=FAST)
    # a demand above every period's capacity is refused when compiled: there is no window at all
    with pytest.raises(NoSchedule, match="activity 0"):
        compile_problem(LevellingProblem([3], [[3]], [1], [], window))


@pytest.mark.parametrize(
    "steps",
    [[[(1, 1)], [(2, 1)]], [[(2, 1), (2, 3)]], [[(-1, 1)]], [[(1, -1)]]],
)
def test_malformed_steps_are_refused(steps: Sequence[Sequence[tuple[int, int]]]) -> None:
    with pytest.raises(ValueError, match="steps"):
        check_steps(steps, 1)


def test_the_profile_is_dense_before_the_last_change_and_constant_after() -> None:
    assert dense([2, 5], []) == (None, [2, 5])
    assert dense([2], [[(0, 3)]]) == (None, [3])  # a change at 0 only is a new constant
    assert dense([2], [[(1, 2)]]) == (None, [2])  # a change to the same units changes nothing
    assert dense([2, 5], [[(1, 0), (3, 4)], []]) == ([[2, 0, 0], [5, 5, 5]], [4, 5])
    assert capacity_at([2], [[(1, 0), (3, 4)]], 0, 2) == 0
    assert capacity_at([2], (), 0, 9) == 2
    assert rows(None, [2], 2) == [[2, 2]]
    assert rows([[1, 0, 0]], [4], 2) == [[1, 0]]


def test_the_work_bound_divides_by_the_most_capacity_ever() -> None:
    net = compile_problem(LevellingProblem([4, 4], [[1], [1]], [1], [], [[(0, 2), (5, 1)]]))
    assert work_bound(net) == 4


def test_a_backward_pass_with_no_room_keeps_its_schedule() -> None:
    # a job of two periods whose resource exists only at period 0 and 2: the mirror finds no room
    problem = LevellingProblem([1, 1], [[1], [1]], [0], [(0, 1, 2)], [[(0, 1), (1, 0), (2, 1), (3, 0)]])
    net = compile_problem(problem)
    starts = serial_sgs(net, [0, 1])
    assert starts == [0, 2]
    assert backward_pass(net, net.reversed(), starts) == [0, 2]
    assert forward_pass(net, starts) == [0, 2]


def test_passes_that_find_no_room_keep_what_they_were_given() -> None:
    # feasible starts the mirror's latest-finish-first list cannot rebuild within their horizon
    stuck = LevellingProblem([3, 1], [[1], [2]], [2], [(0, 1, -1)], [[(0, 2), (3, 1)]])
    net = compile_problem(stuck)
    assert violations(stuck, [1, 0]) == []
    assert backward_pass(net, net.reversed(), [1, 0]) == [1, 0]
    # feasible starts whose earliest-start-first list leaves activity 1 no room
    blocked = LevellingProblem([3, 1], [[1], [2]], [2], [(0, 1, -2)], [[(2, 1), (6, 1)]])
    net = compile_problem(blocked)
    with pytest.raises(NoSchedule):
        forward_pass(net, [2, 1])
    assert justify(net, net.reversed(), [2, 1], 2) == [2, 1]
    assert left_justified_forms(net, [2, 1]) == [left_shift(net, [2, 1])]
    evolution = Evolution(net, random.Random(0), Budget(10, float("inf"), 0))
    assert evolution.improve([0, 1]) is None
    assert evolution.initial([2, 1])[0].starts == [2, 1]
