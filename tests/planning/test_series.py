"""Long series thinned for drawing: bounded, means of spans of days, the latest reading as it is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcast.planning.kpi import Point
from backcast.planning.series import thin

START = date(2020, 1, 1)


def test_a_short_series_is_drawn_as_it_is() -> None:
    points = [Point(START + timedelta(days=7 * i), float(i)) for i in range(10)]
    assert thin(points, 10) == (points, 0)
    assert thin([], 10) == ([], 0)


def test_a_long_series_is_drawn_as_means_with_the_latest_reading_kept() -> None:
    points = [Point(START + timedelta(days=i // 24), float(i // 24) + (i % 2)) for i in range(24 * 100)]
    latest = Point(START + timedelta(days=99), 1234.5)
    shown, days = thin([*points, latest], 42)
    assert days == 99 // 40 + 1  # 3 days a mean: 34 means over days 0 to 99, then the latest
    assert len(shown) == 35
    assert shown[-1] == latest
    assert shown[0] == Point(START + timedelta(days=1), 1.5, 72)  # days 0 to 2, mean day and value
    assert [p.day for p in shown] == sorted(p.day for p in shown)
    assert sum(p.count for p in shown) == len(points) + 1


def test_readings_on_few_days_are_drawn_as_daily_means() -> None:
    points = [Point(START + timedelta(days=i % 3), float(i % 3)) for i in range(300)]
    points.sort(key=lambda p: p.day)
    shown, days = thin(points, 10)
    assert days == 1
    assert [(p.day, p.value) for p in shown[:-1]] == [(START + timedelta(days=d), float(d)) for d in range(3)]
    assert shown[2].count == 99  # the latest reading of the third day is drawn on its own


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=300), st.integers(3, 40))
def test_the_limit_always_holds(offsets: list[int], limit: int) -> None:
    points = [Point(START + timedelta(days=d), float(d)) for d in sorted(offsets)]
    shown, _ = thin(points, limit)
    assert len(shown) <= limit
    assert shown[-1] == points[-1]
    assert sum(p.count for p in shown) == len(points)
    assert all(points[0].day <= p.day <= points[-1].day for p in shown)


def test_a_limit_below_three_is_refused() -> None:
    with pytest.raises(ValueError, match="at least three"):
        thin([Point(START, 1.0)], 2)
