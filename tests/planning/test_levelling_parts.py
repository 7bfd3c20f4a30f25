"""The parts of the levelling solver: network, schedule generation, search, exact model, PSPLIB."""

from __future__ import annotations

import math
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcast.planning.levelling import LevellingProblem
from backcast.planning.levelling import genetic as genetic_module
from backcast.planning.levelling.budget import Budget, schedules_for
from backcast.planning.levelling.check import violations
from backcast.planning.levelling.exact import improve_exactly
from backcast.planning.levelling.genetic import Evolution, Individual, select
from backcast.planning.levelling.problem import (
    compile_problem,
    earliest_starts,
    latest_starts,
    list_by,
    lower_bound,
    makespan,
    priority_order,
    work_bound,
)
from backcast.planning.levelling.psplib import parse_sm
from backcast.planning.levelling.sgs import (
    _list_sgs,
    backward_pass,
    forward_pass,
    justify,
    left_shift,
    serial_sgs,
)

from .test_levelling import contested, problems


def never() -> Budget:
    """A budget with no wall-clock cap: only the schedule count ends it (reproducible)."""
    return Budget(10**9, math.inf, 0)


# --- the network ---------------------------------------------------------------------------------


def test_the_mirror_turns_lags_around_and_keeps_their_meaning() -> None:
    net = compile_problem(LevellingProblem([3, 1], [[0], [0]], [1], [(0, 1, 1)]))
    mirror = net.reversed()
    assert mirror.preds == [[(1, -1)], []]
    assert not mirror.sortable  # start-to-start lag shorter than the duration: a lead backward
    assert net.sortable
    assert mirror.rank == [1, 0]


def test_byte_tables_only_when_every_capacity_fits_a_byte() -> None:
    assert compile_problem(LevellingProblem([1], [[1]], [255], [])).tables is not None
    assert compile_problem(LevellingProblem([1], [[1]], [256], [])).tables is None


def test_list_by_sorts_by_key_then_topological_rank_or_falls_back_to_the_heap() -> None:
    net = compile_problem(LevellingProblem([0, 0, 1], [[0], [0], [0]], [1], [(1, 0, 0)]))
    assert list_by(net, [0, 0, 0]) == [1, 0, 2]
    leads = compile_problem(LevellingProblem([1, 1], [[0], [0]], [1], [(1, 0, -1)]))
    assert list_by(leads, [0, 5]) == [1, 0]
    assert priority_order(leads, [0.0, 5.0]) == [1, 0]


def test_earliest_and_latest_starts_follow_the_longest_paths() -> None:
    net = compile_problem(LevellingProblem([2, 3, 1], [[0]] * 3, [1], [(0, 1, 2), (0, 2, 1), (2, 1, 4)]))
    assert earliest_starts(net) == [0, 5, 1]
    assert latest_starts(net, 8) == [0, 5, 1]
    assert latest_starts(net, 10) == [2, 7, 3]


def test_lower_bound_is_the_larger_of_path_and_work() -> None:
    net = compile_problem(LevellingProblem([3, 3, 1], [[2, 0], [2, 0], [0, 0]], [3, 0], [(0, 2, 3)]))
    assert work_bound(net) == 4
    assert lower_bound(net) == 4


# --- schedule generation -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(problems(max_n=8), st.randoms(use_true_random=False))
def test_serial_sgs_and_its_passes_always_give_valid_schedules(
    problem: LevellingProblem, rng: random.Random
) -> None:
    net = compile_problem(problem)
    order = priority_order(net, [rng.random() for _ in range(net.n)])
    starts = serial_sgs(net, order)
    assert violations(problem, starts) == []
    assert starts == _list_sgs(net, order)  # the fast and the general implementation agree
    back = backward_pass(net, net.reversed(), starts)
    assert violations(problem, back) == []
    assert violations(problem, forward_pass(net, back)) == []
    shifted = left_shift(net, back)
    assert violations(problem, shifted) == []
    assert all(s <= b for s, b in zip(shifted, back, strict=True))


@pytest.mark.parametrize("capacity", [2, 300])
def test_a_long_blocked_stretch_is_searched_chunk_by_chunk(capacity: int) -> None:
    # Activity 0 holds the resource for 400 periods; activity 1 must look past several chunks.
    problem = LevellingProblem([400, 5, 1], [[capacity], [capacity], [1]], [capacity], [(0, 2, 1000)])
    net = compile_problem(problem)
    assert serial_sgs(net, [0, 1, 2]) == [0, 400, 1000]  # 1000 also grows the horizon
    assert _list_sgs(net, [0, 1, 2]) == [0, 400, 1000]


def test_the_list_sgs_jumps_past_the_latest_blocked_period_of_any_resource() -> None:
    problem = LevellingProblem(
        [4, 2, 3, 1],
        [[300, 0], [0, 300], [200, 200], [0, 0]],
        [400, 400],
        [(1, 2, 0), (0, 3, 1)],
    )
    net = compile_problem(problem)
    assert net.tables is None
    assert serial_sgs(net, [0, 1, 2, 3]) == [0, 0, 4, 1]


def test_justify_keeps_improving_while_passes_last() -> None:
    problem = LevellingProblem([1, 3, 2, 2], [[1], [1], [2], [1]], [2], [(0, 1, 1), (0, 2, 1), (0, 3, 1)])
    net = compile_problem(problem)
    start = serial_sgs(net, [0, 3, 2, 1])  # a poor order
    assert makespan(net, start) == 8
    once = justify(net, net.reversed(), start, passes=1)
    assert makespan(net, once) == 6
    assert justify(net, net.reversed(), once, passes=3) == once


def test_left_shift_moves_what_can_move_and_leaves_the_rest() -> None:
    problem = LevellingProblem([2, 2, 1], [[1], [1], [0]], [1], [(2, 1, 2)])
    net = compile_problem(problem)
    assert left_shift(net, [3, 6, 0]) == [0, 2, 0]  # 0 jumps first, then 1 follows it
    assert left_shift(net, [0, 2, 0]) == [0, 2, 0]
    blocked = LevellingProblem([2, 2], [[1], [1]], [1], [(0, 1, 1)])
    assert left_shift(compile_problem(blocked), [0, 2]) == [0, 2]  # lag allows 1, capacity does not


# --- the search ----------------------------------------------------------------------------------


def test_budget_counts_schedules_and_watches_the_clock() -> None:
    budget = Budget(3, math.inf, 0)
    budget.spend(2)
    assert not budget.exhausted()
    budget.spend()
    assert budget.exhausted()
    assert Budget(10, time.perf_counter() - 1, 0).exhausted()
    net = compile_problem(LevellingProblem([1, 1], [[1], [1]], [1], [(0, 1, 1)]))
    assert schedules_for(1.0, net, 2) > schedules_for(0.1, net, 2) > schedules_for(0.1, net, 50) > 0


def test_the_genetic_search_is_reproducible_and_never_worse_than_its_start() -> None:
    problem = contested()
    net = compile_problem(problem)
    first = forward_pass(net, serial_sgs(net, net.topo))
    runs = [Evolution(net, random.Random(1), Budget(600, math.inf, 0)).run(first) for _ in range(2)]
    assert runs[0] == runs[1]
    assert violations(problem, runs[0]) == []
    assert makespan(net, runs[0]) <= makespan(net, first)


def test_the_genetic_search_stops_at_the_bound() -> None:
    problem = contested()
    net = compile_problem(problem)
    first = serial_sgs(net, net.topo)
    budget = Budget(10**6, math.inf, makespan(net, first))
    Evolution(net, random.Random(0), budget).run(first)
    assert budget.used == 1


def test_crossovers_and_mutation_keep_lists_precedence_feasible(monkeypatch: pytest.MonkeyPatch) -> None:
    net = compile_problem(contested())
    evolution = Evolution(net, random.Random(2), never())
    mother = evolution.improve(list(net.topo))
    father = evolution.improve(priority_order(net, [-k for k in range(net.n)]))
    assert mother is not None and father is not None
    for share in (0.0, 1.0):
        monkeypatch.setattr(genetic_module, "WINDOW_SHARE", share)
        for _ in range(20):
            child = evolution.mutate(evolution.crossover(mother, father))
            assert sorted(child) == list(range(net.n))
            place = {a: k for k, a in enumerate(child)}
            assert all(place[i] < place[j] for i in range(net.n) for j, _ in net.succs[i])


def test_mutation_swaps_only_unrelated_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(genetic_module, "MUTATION", 1.0)
    net = compile_problem(LevellingProblem([1, 1, 1], [[0]] * 3, [1], [(0, 1, 1)]))
    evolution = Evolution(net, random.Random(0), never())
    assert evolution.mutate([0, 1, 2]) == [0, 2, 1]


def test_improve_keeps_the_list_when_justification_would_lengthen_it() -> None:
    # With leads (negative lags) the justified list can schedule worse; the original is kept.
    problem = LevellingProblem([3, 2, 1, 0], [[0], [1], [1], [0]], [1], [(0, 2, -2), (2, 3, -2), (0, 2, 1)])
    net = compile_problem(problem)
    evolution = Evolution(net, random.Random(0), never())
    person = evolution.improve([0, 1, 2, 3])
    assert person is not None
    assert (person.span, person.order, person.starts) == (3, [0, 1, 2, 3], [0, 0, 2, 0])


def test_select_keeps_the_best_distinct_schedules() -> None:
    people = [
        Individual(5, [0], [0]),
        Individual(3, [0], [1]),
        Individual(3, [0], [1]),
        Individual(4, [0], [2]),
    ]
    assert [p.starts for p in select(people, 2)] == [[1], [2]]
    assert [p.span for p in select(people, 9)] == [3, 4, 5]


# --- CP-SAT --------------------------------------------------------------------------------------


def test_cp_sat_improves_a_poor_hint_and_proves_it() -> None:
    problem = contested()
    net = compile_problem(problem)
    hint = serial_sgs(net, net.topo)
    found, proven = improve_exactly(net, hint, lower_bound(net), deterministic_time=5, wall_time=5, seed=0)
    assert found is not None
    assert proven
    assert makespan(net, found) < makespan(net, hint)
    assert violations(problem, found) == []


def test_cp_sat_returns_nothing_for_an_optimal_hint_but_says_it_is_optimal() -> None:
    problem = LevellingProblem([2, 2], [[1, 0], [1, 0]], [1, 5], [(0, 1, 1)])  # resource 1 unused
    net = compile_problem(problem)
    assert improve_exactly(net, [0, 2], 3, deterministic_time=1, wall_time=1, seed=0) == (None, True)


def test_cp_sat_without_time_returns_nothing() -> None:
    net = compile_problem(contested())
    hint = serial_sgs(net, net.topo)
    assert improve_exactly(net, hint, 0, deterministic_time=1, wall_time=0, seed=0) == (None, False)
    assert improve_exactly(net, hint, 0, deterministic_time=0, wall_time=1, seed=0) == (None, False)


# --- PSPLIB --------------------------------------------------------------------------------------

SM = """************************************************************************
file with basedata            : tiny.bas
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           4
   4        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     3       2    1
  3      1     2       1    2
  4      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    2    2
************************************************************************
"""


def test_psplib_text_becomes_a_problem_with_finish_to_start_lags() -> None:
    problem = parse_sm(SM)
    assert problem.durations == [0, 3, 2, 0]
    assert problem.demands == [[0, 0], [2, 1], [1, 2], [0, 0]]
    assert problem.capacities == [2, 2]
    assert problem.lags == [(0, 1, 0), (0, 2, 0), (1, 3, 3), (2, 3, 2)]


def test_psplib_file_without_a_closing_rule_still_reads() -> None:
    assert parse_sm(SM.rstrip("*\n")).capacities == [2, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nothing here", "PRECEDENCE RELATIONS"),
        (SM.replace("  2      1     3       2    1", "  2      1     3       2"), "request row for job 2"),
        (SM.replace("   2        1          1           4", "   2        1          2           4"), "job 2"),
        (SM.replace("   4        1          0", "   9        1          0"), "job 9"),
        (SM.replace("    2    2\n", ""), "truncated"),
    ],
)
def test_malformed_psplib_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sm(text)


# --- the checker ---------------------------------------------------------------------------------


def test_the_checker_names_each_violation() -> None:
    problem = LevellingProblem([2, 2], [[1], [1]], [1], [(0, 1, 3)])
    assert violations(problem, [0]) == ["1 starts for 2 activities"]
    assert violations(problem, [0, 3]) == []
    assert violations(problem, [-1, 1]) == [
        "activity 0 starts at -1 < 0",
        "lag (0, 1, 3) broken: 1 < -1 + 3",
    ]
    assert violations(problem, [0, 1 + 2]) == []
    assert violations(LevellingProblem([2, 2], [[1], [1]], [1], []), [0, 1]) == [
        "resource 0 overloaded at period 1: 2 > 1"
    ]
