"""Working-day calendars: which days count, and stepping forward and backward by working days.

The planner works in integer working-day indices and only turns them into dates at the edges, so
the primitives here are the conversions, vectorised with numpy's business-day functions (one call
turns a hundred thousand offsets into dates). A calendar is a set of weekdays plus holidays;
a holiday that falls on a non-working weekday changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Full names are accepted too: ``monday`` as well as ``mon``.
WEEKDAY_NAMES = {name: k for k, name in enumerate(WEEKDAYS)} | {
    full: k
    for k, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}


FIRST_DAY = np.datetime64("0001-01-01", "D")
LAST_DAY = np.datetime64("9999-12-31", "D")


class OutOfRange(ValueError):
    """A step by working days that lands outside the years 1 to 9999, which dates cannot hold."""


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working weekdays (0 = Monday ... 6 = Sunday) and holidays.

    The default is Monday to Friday with no holidays. ``ValueError`` when no weekday works,
    since then no date is a working day and nothing can be planned.
    """

    workdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[dt.date] = frozenset()
    _busdays: np.busdaycalendar = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.workdays:
            raise ValueError("a calendar needs at least one working weekday")
        if not self.workdays <= set(range(7)):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {sorted(self.workdays)}")
        mask = [k in self.workdays for k in range(7)]
        holidays = np.array(sorted(self.holidays), dtype="datetime64[D]")
        object.__setattr__(self, "_busdays", np.busdaycalendar(weekmask=mask, holidays=holidays))

    @classmethod
    def of(cls, workdays: Iterable[int] = range(5), holidays: Iterable[dt.date] = ()) -> WorkCalendar:
        """A calendar from any iterables (the dataclass wants frozensets)."""
        return cls(frozenset(workdays), frozenset(holidays))

    def is_workday(self, day: dt.date) -> bool:
        """True when ``day`` is a working weekday and not a holiday."""
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._busdays))

    def on_or_before(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the last working day before it."""
        return _to_date(
            np.busday_offset(np.datetime64(day, "D"), 0, roll="backward", busdaycal=self._busdays)
        )

    def on_or_after(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the first working day after it."""
        return _to_date(np.busday_offset(np.datetime64(day, "D"), 0, roll="forward", busdaycal=self._busdays))

    def add(self, day: dt.date, days: int) -> dt.date:
        """The working day ``days`` working days after ``day`` (before it when negative).

        ``day`` is first moved to the next working day when it is not one, so ``add(d, 0)`` is
        :meth:`on_or_after`.
        """
        when = np.busday_offset(np.datetime64(day, "D"), days, roll="forward", busdaycal=self._busdays)
        return _to_date(when)

    def count(self, begin: dt.date, end: dt.date) -> int:
        """Working days in ``[begin, end)``; negative when ``end`` is before ``begin``."""
        return int(
            np.busday_count(np.datetime64(begin, "D"), np.datetime64(end, "D"), busdaycal=self._busdays)
        )

    def dates(self, origin: dt.date, offsets: Sequence[int] | npt.NDArray[np.int64]) -> list[dt.date]:
        """``add(origin, k)`` for every ``k`` of ``offsets``, in one vectorised call."""
        array = np.asarray(offsets, dtype=np.int64)
        when = np.busday_offset(np.datetime64(origin, "D"), array, roll="forward", busdaycal=self._busdays)
        if when.size and (when.min() < FIRST_DAY or when.max() > LAST_DAY):
            raise OutOfRange(
                f"{origin} moved by {array.min()} to {array.max()} working days leaves the years 1-9999"
            )
        return list(when.astype(object))


def _to_date(value: np.datetime64) -> dt.date:
    """A numpy day as a ``datetime.date``; :class:`OutOfRange` beyond the years 1 to 9999."""
    result = value.astype(object)
    if not isinstance(result, dt.date):
        raise OutOfRange(f"{value} is outside the years 1-9999")
    return result
