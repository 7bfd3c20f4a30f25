"""KPI arithmetic: interim targets derived backward from the target, forecasts, history checks.

Pure functions of their arguments (no clock: ``today`` is passed in). Rates are given per month,
a month being 365.25 / 12 days, because that is how operations teams talk about improvement.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt

DAYS_PER_MONTH = 365.25 / 12
Direction = Literal["increase", "decrease", "band"]
Verdict = Literal["pass", "warn", "fail"]


@dataclass(frozen=True, slots=True)
class Point:
    """One reading of a KPI (or one checkpoint of its trajectory): a value on a day.

    A point may also stand for ``count`` readings of its day (a long history read as one row a
    day): ``value`` is then their mean and ``spread`` the sum of their squared deviations from it.
    A least-squares line through readings depends on nothing else of them, so every figure here
    comes out the same from such points as from the readings one by one.
    """

    day: date
    value: float
    count: int = 1
    spread: float = 0.0


@dataclass(frozen=True, slots=True)
class KpiTarget:
    """Where a KPI starts and where it must get. ``baseline`` may be unknown (None)."""

    direction: Direction
    target: float
    target_date: date
    baseline: float | None = None
    baseline_date: date | None = None
    band_low: float | None = None
    band_high: float | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An interim target on a day; ``pinned`` when a planner fixed it rather than derived it."""

    day: date
    value: float
    pinned: bool = False


def anchors(kpi: KpiTarget, pins: Mapping[date, float]) -> list[Point]:
    """The fixed points of the trajectory in date order: baseline, pinned checkpoints, target."""
    assert kpi.baseline is not None
    assert kpi.baseline_date is not None
    inner = [Point(d, v) for d, v in sorted(pins.items()) if kpi.baseline_date < d < kpi.target_date]
    return [Point(kpi.baseline_date, kpi.baseline), *inner, Point(kpi.target_date, kpi.target)]


def interim_target(kpi: KpiTarget, day: date, pins: Mapping[date, float] | None = None) -> float | None:
    """The value the KPI should have on ``day`` to reach its target on time.

    The trajectory runs linearly from the baseline to the target through any pinned checkpoints
    (so it is derived backward from the target: every interim value is what keeps the end
    reachable). Before the baseline date it is the baseline; after the target date, the target.
    None when the baseline is unknown: there is nothing to draw a trajectory from.
    """
    if not has_trajectory(kpi):
        return None
    points = anchors(kpi, pins or {})
    return along(points, [p.day for p in points], day)


def has_trajectory(kpi: KpiTarget) -> bool:
    """Whether a trajectory can be drawn: a known baseline, dated before the target date."""
    return kpi.baseline is not None and kpi.baseline_date is not None and kpi.baseline_date < kpi.target_date


def along(points: Sequence[Point], days: Sequence[date], day: date) -> float:
    """The value on ``day`` of the line through ``points`` (their ``days``, strictly increasing).

    Flat before the first point and after the last; the segment is found by bisection, so a
    trajectory with many pins costs a logarithm of them a day, not a pass over them.
    """
    if day <= days[0]:
        return points[0].value
    right = bisect.bisect_left(days, day)
    if right == len(points):
        return points[-1].value
    left = points[right - 1]
    span = (points[right].day - left.day).days
    return left.value + (points[right].value - left.value) * (day - left.day).days / span


def trajectory(
    kpi: KpiTarget, checkpoints: Sequence[date], pins: Mapping[date, float] | None = None
) -> list[Checkpoint]:
    """Interim targets at each checkpoint day (milestone finishes) plus every pinned one, sorted.

    Without a known baseline only the pins are there: nothing else can be derived.
    """
    pins = pins or {}
    days = sorted(set(checkpoints) | set(pins))
    known = has_trajectory(kpi)
    points = anchors(kpi, pins) if known else []
    anchor_days = [p.day for p in points]
    result = []
    for day in days:
        if day in pins:
            result.append(Checkpoint(day, pins[day], pinned=True))
        elif known:
            result.append(Checkpoint(day, along(points, anchor_days, day)))
    return result


@dataclass(frozen=True, slots=True)
class Forecast:
    """The KPI's expected value on a day, with a prediction band at ``level`` confidence."""

    method: str
    day: date
    value: float
    low: float
    high: float
    level: float
    slope_per_month: float
    readings: int


def t_quantile(p: float, dof: int) -> float:
    """Quantile of Student's t distribution (Cornish-Fisher expansion; ample for dof >= 1 bands)."""
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / dof + g2 / dof**2 + g3 / dof**3 + g4 / dof**4


@dataclass(frozen=True, slots=True)
class Trend:
    """A least-squares line through a KPI's readings, with what its prediction band needs.

    Fitted once (:func:`trend`), it forecasts any day without reading the readings again.
    ``slope`` is per day, from ``origin``; ``sigma`` is the residual standard deviation.
    """

    origin: date
    readings: int
    mean_x: float
    sxx: float
    slope: float
    intercept: float
    sigma: float

    def at(self, day: date, level: float = 0.8) -> Forecast:
        """The expected value on ``day`` with its prediction band at ``level`` confidence."""
        n = self.readings
        x0 = (day - self.origin).days
        value = self.intercept + self.slope * x0
        spread = (
            t_quantile(0.5 + level / 2, n - 2)
            * self.sigma
            * math.sqrt(1 + 1 / n + (x0 - self.mean_x) ** 2 / self.sxx)
        )
        return Forecast(
            method="linear trend (least squares) with a Student-t prediction band",
            day=day,
            value=value,
            low=value - spread,
            high=value + spread,
            level=level,
            slope_per_month=self.slope * DAYS_PER_MONTH,
            readings=n,
        )


def trend(readings: Sequence[Point]) -> Trend | None:
    """The least-squares linear trend through ``readings``, in a few passes over them (linear time).

    Why a straight line: operations KPIs are read weekly or monthly, so a goal has a few dozen
    points at most, too few for seasonal models; a trend with an honest prediction band (Student's
    t, widening with the distance from the data) says what the data can support and no more.
    Needs three readings on at least two different days; returns None otherwise. A point that
    stands for several readings counts as that many.
    """
    n = sum(r.count for r in readings)
    if n < 3:
        return None
    origin = min(r.day for r in readings)
    xs = [(r.day - origin).days for r in readings]
    mean_x = sum(x * r.count for x, r in zip(xs, readings, strict=True)) / n
    mean_y = sum(r.value * r.count for r in readings) / n
    sxx = sum(r.count * (x - mean_x) ** 2 for x, r in zip(xs, readings, strict=True))
    if sxx == 0:
        return None
    sxy = sum(r.count * (x - mean_x) * (r.value - mean_y) for x, r in zip(xs, readings, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residual = sum(
        r.count * (r.value - intercept - slope * x) ** 2 + r.spread for x, r in zip(xs, readings, strict=True)
    )
    return Trend(origin, n, mean_x, sxx, slope, intercept, math.sqrt(residual / (n - 2)))


def forecast(readings: Sequence[Point], day: date, level: float = 0.8) -> Forecast | None:
    """Forecast the KPI on ``day`` by its :func:`trend`; None when there is no trend yet."""
    line = trend(readings)
    return line.at(day, level) if line is not None else None


def slope_per_month(points: Sequence[Point]) -> float:
    """Least-squares slope of ``points`` per month (0 when they share one day)."""
    origin = points[0].day
    xs = [(p.day - origin).days for p in points]
    n = sum(p.count for p in points)
    mean_x = sum(x * p.count for x, p in zip(xs, points, strict=True)) / n
    mean_y = sum(p.value * p.count for p in points) / n
    sxx = sum(p.count * (x - mean_x) ** 2 for x, p in zip(xs, points, strict=True))
    if sxx == 0:
        return 0.0
    sxy = sum(p.count * (x - mean_x) * (p.value - mean_y) for x, p in zip(xs, points, strict=True))
    return sxy / sxx * DAYS_PER_MONTH


def best_rate(
    readings: Sequence[Point], direction: Direction, window_days: int = 182
) -> tuple[float, float] | None:
    """The best improvement rate per month over any window of ``window_days`` in the history.

    Returns (rate, months covered). A window starts at a reading and holds it, the readings after
    it up to ``window_days`` later, and only windows that end within the history count; its rate
    is the least-squares slope of its readings (0 when they share one day). When the whole history
    is shorter than the window, the whole history is the only window. "Best" means highest for an
    increasing KPI and lowest for a decreasing one (the earliest window on a tie). None with fewer
    than two readings on different days. Linear after the sort (:func:`window_rates`), so an
    hourly history of years is judged as fast as a weekly one is drawn.
    """
    points = sorted(readings, key=lambda p: p.day)
    if len(points) < 2 or points[0].day == points[-1].day:
        return None
    span = (points[-1].day - points[0].day).days
    if span <= window_days:
        return slope_per_month(points), span / DAYS_PER_MONTH
    sign = -1.0 if direction == "decrease" else 1.0
    rates = window_rates(points, window_days)  # not empty: span > window_days
    return float(rates[int(np.argmax(sign * rates))]), window_days / DAYS_PER_MONTH


def window_rates(points: Sequence[Point], window_days: int) -> npt.NDArray[np.float64]:
    """The rate per month of each window of :func:`best_rate`, in the order of their first points.

    ``points`` are sorted by day. Each window's slope comes from running sums (of the weights,
    x, y, x² and xy, where x is the day and y the value) taken once over the whole history: a
    window's sums are the difference of two of them, so no window is fitted reading by reading.
    Days count from the first point and values from the first value, which keeps the sums small
    (days and counts are whole numbers, so their sums are exact); a window whose readings share
    one day has rate 0, as a fit would say.
    """
    n = len(points)
    origin, base = points[0].day.toordinal(), points[0].value
    x = np.fromiter((p.day.toordinal() - origin for p in points), dtype=np.float64, count=n)
    w = np.fromiter((p.count for p in points), dtype=np.float64, count=n)
    y = np.fromiter((p.value - base for p in points), dtype=np.float64, count=n)
    starts = int(np.searchsorted(x, x[-1] - window_days, side="right"))
    first = np.arange(starts)
    ends = np.searchsorted(x, x[:starts] + window_days, side="right")

    def summed(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        running = np.concatenate(([0.0], np.cumsum(values)))
        return running[ends] - running[first]

    sw, sx, sy = summed(w), summed(w * x), summed(w * y)
    cxx = summed(w * x * x) - sx * sx / sw
    cxy = summed(w * x * y) - sx * sy / sw
    one_day = x[ends - 1] == x[first]
    return np.where(one_day, 0.0, cxy / np.where(one_day, 1.0, cxx)) * DAYS_PER_MONTH


@dataclass(frozen=True, slots=True)
class HistoryCheck:
    """The improvement rate the target needs against the best rate seen, in plain words."""

    verdict: Verdict
    needed_per_month: float
    best_per_month: float | None
    reason: str


def fmt_rate(rate: float, unit: str) -> str:
    """'+1.3 points a month' style, with the KPI's unit."""
    unit = "points" if unit.strip() in {"%", "pts", "points"} else unit.strip()
    return f"{rate:+.1f} {unit} a month"


def history_check(kpi: KpiTarget, readings: Sequence[Point], today: date, unit: str) -> HistoryCheck | None:
    """Is the target's pace plausible given the best pace this KPI has ever shown?

    Needs a current value (the latest reading: the last of the latest day, as health and progress
    read it) and a target date after ``today``. The verdict is pass when the needed rate is within
    the best rate seen, warn within 1.5 times it, fail beyond (or when the KPI has never moved the
    right way). None when nothing can be said yet.
    """
    if kpi.direction == "band" or not readings or kpi.target_date <= today:
        return None
    latest = max(reversed(readings), key=lambda p: p.day)
    months = (kpi.target_date - today).days / DAYS_PER_MONTH
    needed = (kpi.target - latest.value) / months
    sign = -1.0 if kpi.direction == "decrease" else 1.0
    if sign * needed <= 0:
        return HistoryCheck("pass", needed, None, f"already at or past the target ({latest.value:g} {unit})")
    best = best_rate(readings, kpi.direction)
    if best is None:
        return HistoryCheck(
            "warn", needed, None, f"needs {fmt_rate(needed, unit)}; too few readings to compare"
        )
    rate, covered = best
    label = f"best {round(covered)} months so far" if covered >= 1 else "so far"
    words = f"needs {fmt_rate(needed, unit)}; {label}: {fmt_rate(rate, unit)}"
    if sign * rate <= 0:
        return HistoryCheck("fail", needed, rate, f"{words}, never an improvement")
    if sign * needed <= sign * rate:
        return HistoryCheck("pass", needed, rate, words)
    if sign * needed <= 1.5 * sign * rate:
        return HistoryCheck("warn", needed, rate, f"{words}, a stretch")
    return HistoryCheck(
        "fail", needed, rate, f"{words}, {sign * needed / (sign * rate):.1f} times the best pace"
    )


def progress(kpi: KpiTarget, current: float | None) -> float | None:
    """Share of the way from baseline to target (0..1, clamped); for a band, 1 inside it else 0."""
    if current is None:
        return None
    if kpi.direction == "band":
        assert kpi.band_low is not None
        assert kpi.band_high is not None
        return 1.0 if kpi.band_low <= current <= kpi.band_high else 0.0
    if kpi.baseline is None or kpi.baseline == kpi.target:
        return None
    share = (current - kpi.baseline) / (kpi.target - kpi.baseline)
    return min(1.0, max(0.0, share))
