"""Variance between two plans and weekly load: working-day slips, milestones added and removed."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from backcast.planning.calendar import WorkCalendar
from backcast.planning.variance import Span, compare, slip, week_of, weekly_load

D = dt.date.fromisoformat


def test_slip_counts_working_days_later_positive() -> None:
    cal = WorkCalendar.of(range(5), [D("2027-03-03")])
    assert slip(cal, D("2027-03-05"), D("2027-03-08")) == 1  # Friday to Monday
    assert slip(cal, D("2027-03-08"), D("2027-03-01")) == -4  # a week earlier, over a holiday
    assert slip(cal, D("2027-03-08"), D("2027-03-08")) == 0


def test_compare_keeps_moves_additions_and_removals_in_order() -> None:
    cal = WorkCalendar()
    before = {
        1: Span(D("2027-03-01"), D("2027-03-05")),
        2: Span(D("2027-03-08"), D("2027-03-12")),
        3: Span(D("2027-03-15"), D("2027-03-15")),
    }
    after = {
        4: Span(D("2027-02-22"), D("2027-02-26")),
        1: Span(D("2027-02-22"), D("2027-03-05")),
        2: Span(D("2027-03-09"), D("2027-03-15")),
    }
    rows = compare(cal, before, after)
    assert [(r.key, r.change) for r in rows] == [(4, "added"), (1, "kept"), (2, "kept"), (3, "removed")]
    added, kept, moved, removed = rows
    assert added.before is None and added.start_slip is None and added.finish_slip is None
    assert (kept.start_slip, kept.finish_slip) == (-5, 0)
    assert (moved.start_slip, moved.finish_slip) == (1, 1)
    assert removed.after is None and removed.before == before[3] and removed.start_slip is None


def test_weekly_load_sums_unit_days_by_monday() -> None:
    cal = WorkCalendar.of(range(5), [D("2027-03-10")])
    load = weekly_load(
        cal,
        [
            (Span(D("2027-03-04"), D("2027-03-12")), 2.0),  # Thu..Fri next week, Wednesday off
            (Span(D("2027-03-08"), D("2027-03-08")), 1.5),
            (Span(D("2027-03-09"), D("2027-03-08")), 4.0),  # a checkpoint uses nothing
            (Span(D("2027-03-13"), D("2027-03-14")), 3.0),  # a weekend: no working day
        ],
    )
    assert load == {D("2027-03-01"): 4.0, D("2027-03-08"): 9.5}
    assert list(load) == sorted(load)
    assert weekly_load(cal, []) == {}


def test_week_of_is_the_monday() -> None:
    assert week_of(D("2027-03-07")) == D("2027-03-01")
    assert week_of(D("2027-03-08")) == D("2027-03-08")


@given(
    st.dates(D("2027-01-01"), D("2027-12-31")),
    st.integers(0, 60),
    st.sets(st.dates(D("2027-01-01"), D("2028-03-31")), max_size=8),
)
def test_weekly_load_adds_up_to_the_working_days_of_the_span(
    start: dt.date, length: int, holidays: set[dt.date]
) -> None:
    cal = WorkCalendar.of(range(5), holidays)
    finish = start + dt.timedelta(days=length)
    load = weekly_load(cal, [(Span(start, finish), 1.0)])
    assert sum(load.values()) == cal.count(start, finish + dt.timedelta(days=1))
    assert all(monday.weekday() == 0 and units > 0 for monday, units in load.items())
