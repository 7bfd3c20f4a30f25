"""The unconstrained passes: earliest and latest starts from the dependencies alone.

Times are working-day indices; a milestone starting at ``s`` with duration ``d`` works on days
``s .. s + d - 1`` and *ends* at ``s + d`` (its successor's earliest finish-to-start day). The
forward pass floors every start at ``begin`` (the first day work may start); the backward pass
caps every end at ``end`` (the day after the deadline). Both are one sweep over a topological
order in plain Python lists, which is what makes a 100,000-milestone plan take a fraction of a
second: no per-node objects, no graph library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backcast.planning.model import Network


@dataclass(frozen=True, slots=True)
class Timing:
    """Earliest and latest starts (indices), slack = latest - earliest, and the least slack."""

    earliest: list[int]
    latest: list[int]
    slack: list[int]
    least_slack: int

    def critical(self) -> list[bool]:
        """Whether each milestone's slack is the least in the plan."""
        least = self.least_slack
        return [s == least for s in self.slack]


def earliest_starts(net: Network, begin: int, floors: Mapping[int, int] | None = None) -> list[int]:
    """The earliest start of every milestone: its dependencies allow it and it is ``>= begin``.

    ``floors`` gives some milestones a later earliest start of their own (start no earlier than).
    """
    es = [begin] * len(net.durations)
    for j, floor in (floors or {}).items():
        es[j] = max(begin, floor)
    preds = net.preds
    for j in net.topo:
        best = es[j]
        for i, delta in preds[j]:
            t = es[i] + delta
            if t > best:
                best = t
        es[j] = best
    return es


def latest_starts(net: Network, end: int, caps: Mapping[int, int] | None = None) -> list[int]:
    """The latest start of every milestone: all its successors can still be met, and it ends by ``end``.

    ``caps`` gives some milestones an earlier end of their own (finish no later than). Pushed
    backward along the predecessor lists: in reverse topological order a milestone's latest
    start is final when it is reached, and it lowers each predecessor's bound.
    """
    d = net.durations
    ls = [end - dj for dj in d]
    for j, cap in (caps or {}).items():
        ls[j] = min(end, cap) - d[j]
    preds = net.preds
    for j in reversed(net.topo):
        lj = ls[j]
        for i, delta in preds[j]:
            t = lj - delta
            if t < ls[i]:
                ls[i] = t
    return ls


def unconstrained(
    net: Network,
    *,
    begin: int,
    end: int,
    floors: Mapping[int, int] | None = None,
    caps: Mapping[int, int] | None = None,
) -> Timing:
    """Both passes and the slack of every milestone (in working days, negative when late)."""
    es = earliest_starts(net, begin, floors)
    ls = latest_starts(net, end, caps)
    slack = [b - a for a, b in zip(es, ls, strict=True)]
    return Timing(es, ls, slack, min(slack))


def critical_path(net: Network, critical: list[bool]) -> list[int]:
    """The critical milestones in dependency order (the network's topological order)."""
    return [j for j in net.topo if critical[j]]
