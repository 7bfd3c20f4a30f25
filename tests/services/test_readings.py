"""KPIs with their readings: a short history reading by reading, a long one as daily sums and its latest."""

from __future__ import annotations

import random
from datetime import date, timedelta
from statistics import fmean
from typing import Any

import pytest

from backcast.accounts.models import User
from backcast.goals.models import KPI, Goal, Reading
from backcast.organizations.models import Organization
from backcast.planning.kpi import Point, forecast, slope_per_month
from backcast.services.reporting import readings
from backcast.services.reporting.readings import with_readings

pytestmark = pytest.mark.db

START = date(2030, 1, 1)


@pytest.fixture
def goal(acme: Organization, alice: User) -> Goal:
    return Goal.objects.create(
        organization=acme, title="Cut scrap to 3%", deadline=date(2031, 6, 30), owner=alice
    )


def new_kpi(goal: Goal, name: str = "Scrap") -> KPI:
    return KPI.objects.create(goal=goal, name=name, unit="%", direction="decrease", baseline=9.0, target=3.0)


def record(kpi: KPI, days: int, per_day: int, seed: int = 1) -> list[Point]:
    """``per_day`` readings on each of ``days`` days, drifting down; returned oldest first, as recorded."""
    rng = random.Random(seed)
    rows = [
        Reading(kpi=kpi, date=START + timedelta(days=d), value=round(9 - 0.05 * d + rng.gauss(0, 0.4), 3))
        for d in range(days)
        for _ in range(per_day)
    ]
    Reading.objects.bulk_create(rows)
    return [Point(r.date, r.value) for r in rows]


def of(goal: Goal) -> list[tuple[KPI, list[Point]]]:
    return with_readings(KPI.objects.filter(goal=goal).order_by("pk"))


def test_a_short_history_is_read_reading_by_reading(goal: Goal, django_assert_num_queries: Any) -> None:
    scrap, empty = new_kpi(goal), new_kpi(goal, "Rework")
    recorded = record(scrap, days=30, per_day=2)
    with django_assert_num_queries(2):
        read = of(goal)
    assert read == [(scrap, recorded), (empty, [])]


def test_a_long_history_is_read_as_daily_sums_then_its_latest_reading(
    goal: Goal, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    monkeypatch.setattr(readings, "RAW_READINGS", 100)
    scrap = new_kpi(goal)
    recorded = record(scrap, days=40, per_day=6)
    with django_assert_num_queries(4):
        [(kpi, points)] = of(goal)
    assert kpi == scrap
    assert len(points) == 41
    assert points[-1] == recorded[-1]  # the latest reading exactly, the last of its day
    assert sum(p.count for p in points) == len(recorded)
    first_day = [r.value for r in recorded[:6]]
    assert points[0].day == START
    assert points[0].count == 6
    assert points[0].value == pytest.approx(fmean(first_day), rel=1e-12)
    assert points[0].spread == pytest.approx(sum((v - fmean(first_day)) ** 2 for v in first_day), rel=1e-9)
    assert points[-2].count == 5  # the latest day without its latest reading
    one, summed = forecast(recorded, date(2031, 6, 30)), forecast(points, date(2031, 6, 30))
    assert one is not None
    assert summed is not None
    assert (summed.value, summed.low, summed.high) == pytest.approx((one.value, one.low, one.high), rel=1e-9)
    assert slope_per_month(points) == pytest.approx(slope_per_month(recorded), rel=1e-9)


def test_a_long_history_is_summed_over_its_last_days_only(
    goal: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readings, "RAW_READINGS", 10)
    monkeypatch.setattr(readings, "HISTORY_DAYS", 7)
    short, long = new_kpi(goal, "Rework"), new_kpi(goal)
    kept = record(short, days=5, per_day=1)
    record(long, days=30, per_day=3, seed=2)
    (first, few), (second, many) = of(goal)
    assert (first, few) == (short, kept)
    assert second == long
    assert [p.day for p in many] == [START + timedelta(days=d) for d in range(23, 30)] + [
        START + timedelta(days=29)
    ]
    assert sum(p.count for p in many) == 7 * 3


def test_a_long_history_is_summed_over_its_latest_readings_only(
    goal: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readings, "RAW_READINGS", 10)
    monkeypatch.setattr(readings, "SUMMED_READINGS", 10)
    recorded = record(new_kpi(goal), days=30, per_day=3)
    [(_, points)] = of(goal)
    # whole days only: the eleventh latest reading is on day 26, so days 27 to 29 are summed
    assert [(p.day, p.count) for p in points] == [
        (START + timedelta(days=27), 3),
        (START + timedelta(days=28), 3),
        (START + timedelta(days=29), 2),
        (START + timedelta(days=29), 1),
    ]
    assert points[-1] == recorded[-1]


def test_a_value_no_measure_reaches_is_left_out_of_the_sums(
    goal: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readings, "RAW_READINGS", 10)
    kpi = new_kpi(goal)
    Reading.objects.create(kpi=kpi, date=START - timedelta(days=1), value=1e200)  # its square overflows
    recorded = record(kpi, days=10, per_day=2)
    [(_, points)] = of(goal)
    assert points[0].day == START
    assert sum(p.count for p in points) == len(recorded)
