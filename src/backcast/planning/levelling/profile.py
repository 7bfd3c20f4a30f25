"""Capacity that changes over time: the step functions of a levelling problem, made dense once.

A problem's ``steps[r]`` lists ``(period, units)`` breakpoints: from that period on the resource
has that many units, until the next breakpoint; before the first, its base capacity. The compiled
network keeps one dense *head* per resource (the units of every period before the last
breakpoint) and a constant *tail* after it, so the schedule generation reads a period's units
with an index and a problem without changes keeps no head at all and pays nothing.
"""

from __future__ import annotations

from collections.abc import Sequence


class NoSchedule(ValueError):
    """Activity ``activity`` fits nowhere at or after its lag bound: it needs more of a resource
    than the capacity after the last change, and no window of changed capacity is left for it.

    With constant capacities this never happens (the compiler refuses demands above capacity); with
    changes it depends on where the lags and the other activities put it.
    """

    def __init__(self, activity: int) -> None:
        super().__init__(f"activity {activity} fits in no window of enough capacity")
        self.activity = activity


Steps = Sequence[Sequence[tuple[int, int]]]


def check_steps(steps: Steps, n_res: int) -> None:
    """``ValueError`` unless ``steps`` is empty or has one row per resource, each with periods
    ``>= 0`` in strictly increasing order and units ``>= 0``."""
    if steps and len(steps) != n_res:
        raise ValueError(f"{len(steps)} rows of capacity steps for {n_res} resources")
    for r, row in enumerate(steps):
        last = -1
        for period, units in row:
            if period <= last or units < 0:
                raise ValueError(
                    f"resource {r}: capacity steps need increasing periods >= 0 and units >= 0, "
                    f"not ({period}, {units})"
                )
            last = period


def dense(capacities: Sequence[int], steps: Steps) -> tuple[list[list[int]] | None, list[int]]:
    """The head (None when every resource keeps one capacity throughout) and the tails.

    Every head has the same length: the last breakpoint of any resource.
    """
    if not any(steps):
        return None, [int(c) for c in capacities]
    length = max(period for row in steps for period, _ in row)
    heads: list[list[int]] = []
    tails: list[int] = []
    for r, base in enumerate(capacities):
        row: list[int] = []
        units = int(base)
        for period, new in steps[r]:
            row.extend([units] * (period - len(row)))
            units = int(new)
        row.extend([units] * (length - len(row)))
        heads.append(row)
        tails.append(units)
    if all(all(u == tail for u in row) for row, tail in zip(heads, tails, strict=True)):
        return None, tails
    return heads, tails


def capacity_at(capacities: Sequence[int], steps: Steps, r: int, period: int) -> int:
    """Units of resource ``r`` at ``period``, read from the steps themselves (for checkers)."""
    units = capacities[r]
    for start, new in steps[r] if steps else ():
        if start > period:
            break
        units = new
    return units


def rows(head: list[list[int]] | None, tails: Sequence[int], length: int) -> list[list[int]]:
    """Each resource's units of periods ``0 .. length - 1``, as lists to subtract demands from."""
    if head is None:
        return [[cap] * length for cap in tails]
    return [(row + [cap] * max(0, length - len(row)))[:length] for row, cap in zip(head, tails, strict=True)]


def peaks(head: list[list[int]] | None, tails: Sequence[int]) -> list[int]:
    """The most units each resource has at any period."""
    if head is None:
        return list(tails)
    return [max([cap, *row]) for row, cap in zip(head, tails, strict=True)]


def mirror_head(head: list[list[int]], tails: Sequence[int], horizon: int) -> list[list[int]]:
    """The head of the mirror image read backward from ``horizon``: period ``p`` there is period
    ``horizon - 1 - p`` here. Past ``horizon`` lie periods before 0, where nothing may run, so the
    mirror's tails are 0."""
    return [row[::-1] for row in rows(head, tails, horizon)]
