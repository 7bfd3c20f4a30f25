"""Variance between two plans of one goal, and the load of a plan week by week.

Re-planning keeps each accepted plan as a baseline; what a planner then wants to see is how far
every milestone moved since, which milestones came and went, and how the load on each resource
changed. All of it is arithmetic on dates already planned: nothing here plans again.

Slips are counted in working days on the plan's calendar, positive when the later plan's date is
later (the first date counts, the second does not, as :meth:`WorkCalendar.count` does): a finish
moved from a Friday to the next Monday slipped by 1 working day, one moved a week earlier by -5.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from backcast.planning.calendar import WorkCalendar

K = TypeVar("K", bound=Hashable)
Change = Literal["kept", "added", "removed"]


@dataclass(frozen=True, slots=True)
class Span:
    """A milestone's planned first and last working day (inclusive; a checkpoint ends before it starts)."""

    start: dt.date
    finish: dt.date


@dataclass(frozen=True, slots=True)
class MilestoneVariance(Generic[K]):
    """One milestone in the earlier plan (``before``) and the later one (``after``).

    ``before`` is None for a milestone added since, ``after`` None for one removed since; the
    slips (working days, positive: later) are None unless the milestone is in both.
    """

    key: K
    before: Span | None
    after: Span | None
    start_slip: int | None
    finish_slip: int | None

    @property
    def change(self) -> Change:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "kept"


def slip(calendar: WorkCalendar, before: dt.date, after: dt.date) -> int:
    """Working days from ``before`` to ``after``: positive when ``after`` is later, 0 when equal."""
    return calendar.count(before, after)


def compare(
    calendar: WorkCalendar, before: Mapping[K, Span], after: Mapping[K, Span]
) -> list[MilestoneVariance[K]]:
    """Every milestone of either plan: those of ``after`` in its order, then those removed, in theirs."""
    rows: list[MilestoneVariance[K]] = []
    for key, now in after.items():
        was = before.get(key)
        if was is None:
            rows.append(MilestoneVariance(key, None, now, None, None))
        else:
            rows.append(
                MilestoneVariance(
                    key,
                    was,
                    now,
                    slip(calendar, was.start, now.start),
                    slip(calendar, was.finish, now.finish),
                )
            )
    rows.extend(
        MilestoneVariance(key, was, None, None, None) for key, was in before.items() if key not in after
    )
    return rows


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: weeks are keyed by their Monday."""
    return day - dt.timedelta(days=day.weekday())


def weekly_load(calendar: WorkCalendar, uses: Iterable[tuple[Span, float]]) -> dict[dt.date, float]:
    """Unit-days a week: each use adds its units on every working day of its span, summed by week.

    Weeks are keyed by their Monday and come out in date order; a week without a working day of
    any span is absent. A span that ends before it starts (a checkpoint) uses nothing.
    """
    load: dict[dt.date, float] = defaultdict(float)
    for span, units in uses:
        if span.finish < span.start:
            continue
        monday = week_of(span.start)
        while monday <= span.finish:
            first = max(span.start, monday)
            last = min(span.finish, monday + dt.timedelta(days=6))
            days = calendar.count(first, last + dt.timedelta(days=1))
            if days > 0:
                load[monday] += units * days
            monday += dt.timedelta(weeks=1)
    return dict(sorted(load.items()))
