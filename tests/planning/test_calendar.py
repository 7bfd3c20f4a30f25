"""Working-day calendars: stepping by working days, counting them, holidays and odd weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backcast.planning.calendar import WEEKDAY_NAMES, WorkCalendar

D = dt.date.fromisoformat


def test_default_is_monday_to_friday() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(D("2027-03-05")) and not cal.is_workday(D("2027-03-06"))
    assert cal.on_or_before(D("2027-03-07")) == D("2027-03-05")
    assert cal.on_or_after(D("2027-03-06")) == D("2027-03-08")
    assert cal.on_or_after(D("2027-03-05")) == cal.on_or_before(D("2027-03-05")) == D("2027-03-05")


def test_stepping_and_counting_skip_holidays() -> None:
    cal = WorkCalendar.of(range(5), [D("2027-03-03"), D("2027-03-06")])  # a Saturday holiday is moot
    assert cal.add(D("2027-03-01"), 4) == D("2027-03-08")
    assert cal.add(D("2027-03-08"), -4) == D("2027-03-01")
    assert cal.add(D("2027-03-06"), 0) == D("2027-03-08")
    assert cal.count(D("2027-03-01"), D("2027-03-08")) == 4
    assert cal.count(D("2027-03-08"), D("2027-03-01")) == -4
    assert cal.dates(D("2027-03-01"), [0, 1, 2, -1]) == [
        D("2027-03-01"),
        D("2027-03-02"),
        D("2027-03-04"),
        D("2027-02-26"),
    ]


def test_other_weeks() -> None:
    sun_to_thu = WorkCalendar.of([6, 0, 1, 2, 3])
    assert sun_to_thu.is_workday(D("2027-03-07")) and not sun_to_thu.is_workday(D("2027-03-05"))
    assert sun_to_thu.add(D("2027-03-04"), 1) == D("2027-03-07")


def test_a_week_without_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one working weekday"):
        WorkCalendar.of([])
    with pytest.raises(ValueError, match=r"0 \(Monday\) to 6"):
        WorkCalendar.of([7])


def test_weekday_names() -> None:
    assert WEEKDAY_NAMES["mon"] == WEEKDAY_NAMES["monday"] == 0
    assert WEEKDAY_NAMES["sun"] == 6


@given(
    st.sets(st.integers(0, 6), min_size=1),
    st.sets(st.dates(D("2026-12-01"), D("2027-06-30")), max_size=10),
    st.dates(D("2027-01-01"), D("2027-03-31")),
    st.integers(-200, 200),
)
def test_add_and_count_are_inverse(
    workdays: set[int], holidays: set[dt.date], day: dt.date, steps: int
) -> None:
    cal = WorkCalendar.of(workdays, holidays)
    first = cal.on_or_after(day)
    later = cal.add(first, steps)
    assert cal.is_workday(later)
    assert cal.count(first, later) == steps
    # counting by hand: working days in [first, later)
    lo, hi = min(first, later), max(first, later)
    manual = sum(
        1
        for k in range((hi - lo).days)
        if (lo + dt.timedelta(k)).weekday() in workdays and lo + dt.timedelta(k) not in holidays
    )
    assert manual == abs(steps)


def test_dates_beyond_the_year_9999_are_refused_not_mangled() -> None:
    from backcast.planning.calendar import OutOfRange

    cal = WorkCalendar()
    with pytest.raises(OutOfRange):
        cal.dates(D("9999-12-01"), [0, 100])
    with pytest.raises(OutOfRange):
        cal.add(D("9999-12-01"), 100)
    assert cal.dates(D("2027-01-04"), []) == []
