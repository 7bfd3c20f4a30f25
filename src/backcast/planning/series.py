"""A long KPI series made short enough to draw: means over equal spans of days, the latest kept.

A chart a few hundred pixels wide shows no more than a point or two a pixel, and a page that
ships 200,000 readings to the browser (and lists them in its table) costs seconds to build and to
draw. So a series longer than a chart's limit is drawn as the means of equal spans of days, one
pass over it; the latest reading stays as it is, being the figure people compare with the target.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from backcast.planning.kpi import Point


def thin(points: Sequence[Point], limit: int) -> tuple[list[Point], int]:
    """At most ``limit`` points (3 or more) drawing ``points`` (oldest first), and the days a mean spans.

    With ``limit`` points or fewer, they are returned as they are and the span is 0. Otherwise
    every point but the last falls into a span of days counted from the first day; each span
    with points becomes one point on their mean day with their mean value, counting the readings
    each point stands for, and the last point follows unchanged.
    """
    if limit < 3:
        raise ValueError("a thinned series needs room for at least three points")
    if len(points) <= limit:
        return list(points), 0
    *rest, last = points
    first = rest[0].day
    days = (last.day - first).days // (limit - 2) + 1  # so the spans number at most limit - 2
    shown: list[Point] = []
    span, count, offsets, total = 0, 0, 0, 0.0

    def close() -> None:
        shown.append(Point(first + timedelta(days=round(offsets / count)), total / count, count))

    for p in rest:
        offset = (p.day - first).days
        if offset // days != span:
            close()
            count, offsets, total = 0, 0, 0.0
        span = offset // days
        count += p.count
        offsets += offset * p.count
        total += p.value * p.count
    close()
    shown.append(last)
    return shown, days
