"""Directed graphs of milestones: topological order, reachability and cycles, all iterative.

One module for every walk over dependencies, whoever asks: the planner (integer indices, in its
hot loops), the plan-file checks, and the services that guard a goal's links (milestone ids
from the database). Nothing here recurses, so a chain of any length is walked in constant stack:
a goal of 100,000 milestones in a line is as safe as one of three.

Graphs are given as successor lists: ``succs[node]`` is what must come after ``node``. A
``Mapping`` works as well as a list of lists; nodes absent from a mapping have no successors.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def topological_order(n: int, succs: Sequence[Sequence[int]]) -> list[int] | None:
    """Kahn's algorithm over nodes ``0..n-1``: nodes without pending predecessors in the order they
    become ready, or None when the graph has a cycle."""
    indegree = [0] * n
    for row in succs:
        for j in row:
            indegree[j] += 1
    order = [j for j in range(n) if not indegree[j]]
    for i in order:  # the list grows while it is read: a queue without the deque
        for j in succs[i]:
            indegree[j] -= 1
            if not indegree[j]:
                order.append(j)
    return order if len(order) == n else None


def path(succs: Mapping[Node, Sequence[Node]], source: Node, target: Node) -> list[Node] | None:
    """A path from ``source`` to ``target`` (both ends included), or None when there is none.

    Breadth first, so the path is a shortest one; each node remembers the node it was reached
    from, and the path is read back once at the end.
    """
    if source == target:
        return [source]
    came_from: dict[Node, Node] = {source: source}
    frontier = [source]
    for node in frontier:  # grows while it is read
        for nxt in succs.get(node, ()):
            if nxt in came_from:
                continue
            came_from[nxt] = node
            if nxt == target:
                found = [nxt]
                while found[-1] != source:
                    found.append(came_from[found[-1]])
                found.reverse()
                return found
            frontier.append(nxt)
    return None


def reaches(succs: Sequence[Sequence[int]], source: int, target: int) -> bool:
    """Whether ``target`` can be reached from ``source`` (the planner's integer form)."""
    seen = {source}
    stack = [source]
    while stack:
        for j in succs[stack.pop()]:
            if j == target:
                return True
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return False


def find_cycle(nodes: Iterable[Node], succs: Mapping[Node, Sequence[Node]]) -> list[Node]:
    """The nodes of one cycle in dependency order, beginning with the earliest of ``nodes`` on
    it, or ``[]`` when there is none. Links to nodes outside ``nodes`` are ignored.

    Kahn's algorithm removes everything not on or behind a cycle; every node left then has a
    predecessor left, so walking predecessors from one of them must come back to a node seen.
    """
    order = list(dict.fromkeys(nodes))
    rank = {node: k for k, node in enumerate(order)}
    preds: dict[Node, list[Node]] = {node: [] for node in order}
    for node in order:
        for nxt in succs.get(node, ()):
            if nxt in rank:
                preds[nxt].append(node)
    indegree = {node: len(preds[node]) for node in order}
    ready = [node for node in order if not indegree[node]]
    while ready:
        node = ready.pop()
        for nxt in succs.get(node, ()):
            if nxt in rank:
                indegree[nxt] -= 1
                if not indegree[nxt]:
                    ready.append(nxt)
    left = [node for node in order if indegree[node] > 0]
    if not left:
        return []
    seen: dict[Node, int] = {}
    walk: list[Node] = []
    node = left[0]
    while node not in seen:
        seen[node] = len(walk)
        walk.append(node)
        node = next(p for p in preds[node] if indegree[p] > 0)
    loop = walk[seen[node] :]
    loop.reverse()  # predecessors first
    first = min(range(len(loop)), key=lambda k: rank[loop[k]])
    return loop[first:] + loop[:first]
