"""Interim targets, forecasts, history checks and progress of KPIs."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from statistics import fmean

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcast.planning.kpi import (
    DAYS_PER_MONTH,
    KpiTarget,
    Point,
    best_rate,
    fmt_rate,
    forecast,
    history_check,
    interim_target,
    progress,
    slope_per_month,
    t_quantile,
    trajectory,
    trend,
)

OTD = KpiTarget(
    "increase", target=95.0, target_date=date(2027, 6, 30), baseline=80.0, baseline_date=date(2027, 1, 1)
)


def test_interim_target_is_linear_from_baseline_to_target() -> None:
    assert interim_target(OTD, date(2026, 12, 1)) == 80.0
    assert interim_target(OTD, date(2027, 1, 1)) == 80.0
    assert interim_target(OTD, date(2027, 6, 30)) == 95.0
    assert interim_target(OTD, date(2027, 12, 31)) == 95.0
    mid = date(2027, 1, 1) + timedelta(days=90)  # 90 of 180 days
    assert interim_target(OTD, mid) == pytest.approx(87.5)


def test_pinned_checkpoints_bend_the_trajectory() -> None:
    pins = {date(2027, 3, 31): 82.0}
    assert interim_target(OTD, date(2027, 3, 31), pins) == 82.0
    assert interim_target(OTD, date(2027, 2, 14), pins) == pytest.approx(81.0, abs=0.05)
    assert interim_target(OTD, date(2027, 5, 15), pins) == pytest.approx(88.5, abs=0.2)
    outside = {date(2026, 1, 1): 1.0, date(2028, 1, 1): 1.0}  # outside the span: ignored
    assert interim_target(OTD, date(2027, 2, 1), outside) == interim_target(OTD, date(2027, 2, 1))


def test_no_trajectory_without_a_baseline() -> None:
    unknown = KpiTarget("increase", 95.0, date(2027, 6, 30))
    assert interim_target(unknown, date(2027, 3, 1)) is None
    assert trajectory(unknown, [date(2027, 3, 1)]) == []
    backwards = KpiTarget("increase", 95.0, date(2027, 1, 1), 80.0, date(2027, 6, 30))
    assert interim_target(backwards, date(2027, 3, 1)) is None


def test_trajectory_has_a_checkpoint_per_milestone_and_pin() -> None:
    points = trajectory(OTD, [date(2027, 4, 1), date(2027, 2, 1), date(2027, 4, 1)], {date(2027, 3, 1): 83.0})
    assert [p.day for p in points] == [date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 1)]
    assert [p.pinned for p in points] == [False, True, False]
    assert points[1].value == 83.0


@given(st.integers(min_value=0, max_value=400))
def test_decreasing_trajectory_never_leaves_the_span(offset: int) -> None:
    kpi = KpiTarget(
        "decrease", target=20.0, target_date=date(2027, 12, 31), baseline=40.0, baseline_date=date(2027, 1, 1)
    )
    value = interim_target(kpi, date(2027, 1, 1) + timedelta(days=offset))
    assert value is not None
    assert 20.0 <= value <= 40.0


def monthly(values: list[float], start: date = date(2026, 1, 1)) -> list[Point]:
    return [Point(start + timedelta(days=30 * i), v) for i, v in enumerate(values)]


def test_forecast_of_a_perfect_line_is_exact_with_no_band() -> None:
    f = forecast(monthly([80, 81, 82, 83]), date(2026, 1, 1) + timedelta(days=300))
    assert f is not None
    assert f.value == pytest.approx(90.0)
    assert f.low == pytest.approx(90.0)
    assert f.high == pytest.approx(90.0)
    assert f.slope_per_month == pytest.approx(1.0 * 365.25 / 12 / 30)
    assert f.readings == 4
    assert "least squares" in f.method


def test_forecast_band_widens_with_noise_and_distance() -> None:
    points = monthly([80, 82, 81, 84, 83, 85])
    near = forecast(points, date(2026, 7, 1))
    far = forecast(points, date(2027, 7, 1))
    assert near is not None
    assert far is not None
    assert near.low < near.value < near.high
    assert far.high - far.low > near.high - near.low


def test_forecast_needs_three_readings_on_two_days() -> None:
    assert forecast(monthly([1, 2]), date(2027, 1, 1)) is None
    same_day = [Point(date(2026, 1, 1), v) for v in (1.0, 2.0, 3.0)]
    assert forecast(same_day, date(2027, 1, 1)) is None


def test_t_quantile_matches_known_values() -> None:
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=0.005)
    assert t_quantile(0.9, 3) == pytest.approx(1.638, abs=0.01)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962, abs=0.002)


def test_best_rate_uses_six_month_windows() -> None:
    values = [80.0] * 6 + [80.0 + 0.5 * i for i in range(1, 8)] + [83.5] * 6  # a burst in the middle
    rate, months = best_rate(monthly(values), "increase") or (0.0, 0.0)
    assert months == pytest.approx(6.0, abs=0.05)
    assert rate == pytest.approx(0.5 * 365.25 / 12 / 30, abs=0.05)
    worst_for_decrease = best_rate(monthly(values), "decrease")
    assert worst_for_decrease is not None
    assert worst_for_decrease[0] < rate  # for a decreasing KPI the flattest window is the best


def test_best_rate_of_a_short_history_is_its_whole_span() -> None:
    result = best_rate(monthly([10, 12, 14]), "increase")
    assert result is not None
    assert result[1] == pytest.approx(60 / (365.25 / 12))
    assert best_rate(monthly([10]), "increase") is None


def test_history_check_words() -> None:
    history = monthly([80 + 0.4 * i for i in range(12)])  # +0.4 per 30 days
    today = date(2026, 12, 1)
    goal = KpiTarget(
        "increase", target=95.0, target_date=date(2027, 6, 1), baseline=80.0, baseline_date=date(2026, 1, 1)
    )
    check = history_check(goal, history, today, "%")
    assert check is not None
    assert check.verdict == "fail"
    assert check.reason.startswith("needs +")
    assert "points a month; best 6 months so far: +0.4 points a month" in check.reason
    easy = KpiTarget(
        "increase", target=86.0, target_date=date(2027, 6, 1), baseline=80.0, baseline_date=date(2026, 1, 1)
    )
    assert history_check(easy, history, today, "%").verdict == "pass"  # type: ignore[union-attr]
    stretch = KpiTarget(
        "increase", target=87.4, target_date=date(2027, 6, 1), baseline=80.0, baseline_date=date(2026, 1, 1)
    )
    assert history_check(stretch, history, today, "%").verdict == "warn"  # type: ignore[union-attr]


def test_history_check_edge_cases() -> None:
    today = date(2026, 12, 1)
    flat = monthly([50.0, 50.0, 50.0])
    cut = KpiTarget(
        "decrease", target=30.0, target_date=date(2027, 12, 1), baseline=50.0, baseline_date=date(2026, 1, 1)
    )
    never = history_check(cut, flat, today, "h")
    assert never is not None
    assert never.verdict == "fail"
    assert "never an improvement" in never.reason
    assert "h a month" in never.reason
    done = history_check(cut, [Point(date(2026, 11, 1), 25.0)], today, "h")
    assert done is not None
    assert done.verdict == "pass"
    one = history_check(cut, [Point(date(2026, 11, 1), 45.0)], today, "h")
    assert one is not None
    assert one.verdict == "warn"
    assert "too few readings" in one.reason
    short = history_check(cut, [Point(date(2026, 11, 1), 46.0), Point(date(2026, 11, 20), 45.0)], today, "h")
    assert short is not None
    assert "so far:" in short.reason
    assert "months" not in short.reason
    assert history_check(cut, [], today, "h") is None
    assert (
        history_check(KpiTarget("band", 5.0, date(2027, 1, 1), band_low=4, band_high=6), flat, today, "x")
        is None
    )
    assert history_check(cut, flat, date(2028, 1, 1), "h") is None


def test_fmt_rate() -> None:
    assert fmt_rate(1.25, "%") == "+1.2 points a month"
    assert fmt_rate(-2.0, "days") == "-2.0 days a month"


def test_progress() -> None:
    assert progress(OTD, None) is None
    assert progress(OTD, 87.5) == pytest.approx(0.5)
    assert progress(OTD, 70.0) == 0.0
    assert progress(OTD, 99.0) == 1.0
    band = KpiTarget("band", 5.0, date(2027, 1, 1), band_low=4.0, band_high=6.0)
    assert progress(band, 5.5) == 1.0
    assert progress(band, 7.0) == 0.0
    assert progress(KpiTarget("increase", 5.0, date(2027, 1, 1)), 3.0) is None


def test_a_window_with_a_single_reading_counts_as_no_change() -> None:
    sparse = [Point(date(2025, 1, 1), 10.0), Point(date(2026, 1, 1), 30.0), Point(date(2026, 2, 1), 31.0)]
    result = best_rate(sparse, "decrease")
    assert result is not None
    assert result[0] == 0.0  # the lone first reading's window shows no movement, the flattest


def refitted_best_rate(points: list[Point], direction: str, window_days: int) -> tuple[float, float] | None:
    """best_rate's meaning spelled out: every window fitted again from its readings (quadratic)."""
    points = sorted(points, key=lambda p: p.day)
    if len(points) < 2 or points[0].day == points[-1].day:
        return None
    span = (points[-1].day - points[0].day).days
    if span <= window_days:
        return slope_per_month(points), span / DAYS_PER_MONTH
    last, window = points[-1].day, timedelta(days=window_days)
    rates = [
        slope_per_month([p for p in points[i:] if p.day <= start.day + window])
        for i, start in enumerate(points)
        if start.day + window <= last
    ]
    sign = -1.0 if direction == "decrease" else 1.0
    return max(rates, key=lambda rate: sign * rate), window_days / DAYS_PER_MONTH


readings_by_day = st.lists(
    st.tuples(st.integers(0, 400), st.floats(-1000, 1000, allow_nan=False)), min_size=1, max_size=40
)


@given(readings_by_day, st.sampled_from(["increase", "decrease"]), st.integers(1, 200))
def test_best_rate_is_the_best_refitted_window(
    rows: list[tuple[int, float]], direction: str, window_days: int
) -> None:
    points = [Point(date(2026, 1, 1) + timedelta(days=d), v) for d, v in rows]
    expected = refitted_best_rate(points, direction, window_days)
    result = best_rate(points, direction, window_days)  # type: ignore[arg-type]
    if expected is None:
        assert result is None
    else:
        assert result is not None
        assert result[0] == pytest.approx(expected[0], rel=1e-9, abs=1e-9)
        assert result[1] == expected[1]


def hourly(days: int, burst: range, start: date = date(2004, 1, 1)) -> list[Point]:
    """24 readings a day, flat with a little noise except a climb of 0.1 a day during ``burst``."""
    rng = random.Random(7)
    points = []
    level = 50.0
    for d in range(days):
        if d in burst:
            level += 0.1
        points += [Point(start + timedelta(days=d), level + rng.uniform(-0.5, 0.5)) for _ in range(24)]
    return points


def test_best_rate_of_200_000_readings_takes_well_under_a_second() -> None:
    points = hourly(8334, range(3000, 3400))  # 200,016 readings over 23 years
    began = time.process_time()
    result = best_rate(points, "increase")
    elapsed = time.process_time() - began
    assert result is not None
    assert result[0] == pytest.approx(0.1 * DAYS_PER_MONTH, rel=0.02)  # a window inside the climb
    assert elapsed < 1.0  # refitting each window, as the meaning reads, takes hours here


def test_a_day_read_as_its_sum_counts_as_its_readings() -> None:
    readings = hourly(30, range(10, 20))
    by_day: dict[date, list[float]] = {}
    for p in readings:
        by_day.setdefault(p.day, []).append(p.value)
    sums = [
        Point(day, fmean(values), len(values), sum((v - fmean(values)) ** 2 for v in values))
        for day, values in by_day.items()
    ]
    target_date = date(2004, 6, 1)
    one, summed = forecast(readings, target_date), forecast(sums, target_date)
    assert one is not None
    assert summed is not None
    assert summed.readings == one.readings == 720
    for field in ("value", "low", "high", "slope_per_month"):
        assert getattr(summed, field) == pytest.approx(getattr(one, field), rel=1e-9)
    means = [Point(p.day, p.value) for p in sums]  # as many readings every day: the same weights
    assert best_rate(sums, "increase", 7) == pytest.approx(best_rate(means, "increase", 7), rel=1e-9)
    assert slope_per_month(sums) == pytest.approx(slope_per_month(readings), rel=1e-9)


def test_a_trend_forecasts_any_day_as_forecast_does() -> None:
    points = monthly([80, 82, 81, 84, 83, 85])
    line = trend(points)
    assert line is not None
    for day in (date(2026, 7, 1), date(2027, 7, 1)):
        assert line.at(day, 0.9) == forecast(points, day, 0.9)
    assert trend(points[:2]) is None
    assert trend([Point(date(2026, 1, 1), 1.0, count=3)]) is None  # three readings, one day


def test_the_current_value_is_the_last_reading_of_the_latest_day() -> None:
    today = date(2026, 12, 1)
    cut = KpiTarget(
        "decrease", target=30.0, target_date=date(2027, 12, 1), baseline=50.0, baseline_date=date(2026, 1, 1)
    )
    morning, evening = Point(date(2026, 11, 1), 45.0), Point(date(2026, 11, 1), 25.0)
    check = history_check(cut, [morning, evening], today, "h")
    assert check is not None
    assert check.verdict == "pass"
    assert "25 h" in check.reason


@given(
    st.lists(st.integers(-30, 220), max_size=30), st.dictionaries(st.integers(-30, 220), st.floats(0, 100))
)
def test_a_trajectory_holds_the_interim_target_of_each_day(
    offsets: list[int], pinned: dict[int, float]
) -> None:
    start = date(2027, 1, 1)  # OTD's baseline date
    pins = {start + timedelta(days=d): v for d, v in pinned.items()}
    days = [start + timedelta(days=d) for d in offsets]
    for c in trajectory(OTD, days, pins):
        assert c.value == (pins[c.day] if c.pinned else interim_target(OTD, c.day, pins))


def test_a_trajectory_through_20_000_pins_takes_well_under_a_second() -> None:
    long = KpiTarget("increase", 95.0, date(2145, 1, 1), baseline=80.0, baseline_date=date(2025, 1, 1))
    pins = {date(2025, 1, 1) + timedelta(days=2 * d): 80.0 + d / 1000 for d in range(1, 20_001)}
    finishes = [date(2025, 1, 1) + timedelta(days=20 * d + 1) for d in range(2_000)]  # between pins
    began = time.process_time()
    points = trajectory(long, finishes, pins)
    assert time.process_time() - began < 1.0  # sorting the pins again for each day took seconds
    assert len(points) == 22_000
    assert points[0].value == pytest.approx(80.0005)  # halfway from the baseline to the first pin
