"""The one graph module: orders, paths and cycles agree with a brute-force reading of the graph."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from backcast.planning import graph

# small directed graphs on nodes 0..n-1, self-loops included
graphs = st.integers(1, 7).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=14),
    )
)


def successors(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    succs: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        succs[a].append(b)
    return succs


def closure(n: int, edges: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Every (a, b) with a path of one link or more from a to b (Warshall)."""
    reach = set(edges)
    for k, i, j in itertools.product(range(n), repeat=3):
        if (i, k) in reach and (k, j) in reach:
            reach.add((i, j))
    return reach


@given(graphs)
def test_an_order_exists_exactly_when_there_is_no_cycle_and_respects_every_link(
    case: tuple[int, list[tuple[int, int]]],
) -> None:
    n, edges = case
    order = graph.topological_order(n, successors(n, edges))
    cyclic = any(a == b for a, b in closure(n, edges))
    assert (order is None) == cyclic
    if order is not None:
        place = {node: k for k, node in enumerate(order)}
        assert sorted(order) == list(range(n))
        assert all(place[a] < place[b] for a, b in edges)


@given(graphs, st.data())
def test_a_path_is_found_exactly_when_the_target_is_reachable(
    case: tuple[int, list[tuple[int, int]]], data: st.DataObject
) -> None:
    n, edges = case
    source, target = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
    succs = dict(enumerate(successors(n, edges)))
    found = graph.path(succs, source, target)
    reachable = source == target or (source, target) in closure(n, edges)
    assert (found is not None) == reachable
    assert graph.reaches(successors(n, edges), source, target) == ((source, target) in closure(n, edges))
    if found is not None:
        assert found[0] == source and found[-1] == target
        assert all((a, b) in set(edges) for a, b in itertools.pairwise(found))


@given(graphs)
def test_a_cycle_is_found_exactly_when_there_is_one_and_is_a_real_cycle(
    case: tuple[int, list[tuple[int, int]]],
) -> None:
    n, edges = case
    cycle = graph.find_cycle(range(n), dict(enumerate(successors(n, edges))))
    assert bool(cycle) == any(a == b for a, b in closure(n, edges))
    if cycle:
        assert len(set(cycle)) == len(cycle)
        assert all((a, b) in set(edges) for a, b in itertools.pairwise([*cycle, cycle[0]]))
        assert cycle[0] == min(cycle)


def test_nodes_outside_the_set_are_ignored_and_long_chains_need_no_recursion() -> None:
    n = 200_000
    chain = {k: [k + 1] for k in range(n)}
    assert graph.find_cycle(range(n + 1), chain) == []
    assert graph.find_cycle(range(n), chain) == []  # the link to n leads outside
    chain[n] = [0]
    assert len(graph.find_cycle(range(n + 1), chain)) == n + 1
    found = graph.path(chain, 0, n)
    assert found is not None and len(found) == n + 1
    assert graph.path({0: [1]}, 1, 0) is None
    order = graph.topological_order(n + 1, [[k + 1] for k in range(n)] + [[]])
    assert order == list(range(n + 1))
