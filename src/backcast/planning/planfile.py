"""Read a plan file (YAML or JSON) into a checked :class:`~backcast.planning.model.Plan`.

Pure: it is given the text, the file's name and today's date; it opens nothing and reads no clock.

Messages. Every fault raises :class:`PlanFileError`, whose text is one line naming the file, the
place in it and the fault, in the form compilers use::

    <name>:<line>: <place>: <what>      a fault in one value
    <name>: <place>: <what>             the same when no line is known (JSON that YAML cannot follow)
    <name>:<line>: <what>               a fault in the text itself: syntax, a key written twice
    <name>: <what>                      a fault of the whole file: empty, not a mapping, no deadline

Warnings (unknown keys) are single lines of the same form.

Places. Keys are joined by dots; list items are numbered from 1 in brackets, as a person counts;
a milestone or resource is followed by its id in parentheses once the id is known:
``deadline``, ``calendar.holidays[2]``, ``resources[1] (analysts).capacity``,
``milestones[3] (audit).after[1]``, ``milestones[3] (audit).demand.analysts``.

The format is the one in DESIGN.md ("Plan file"), read strictly where a wrong guess would mislead:

- A key with no value (``start:``) is as if it were absent.
- ``goal`` defaults to the file's stem (``plans/otd.yaml``: ``otd``; ``-``, standard input:
  none); ``start`` to today.
- Dates are ``YYYY-MM-DD`` (quoted or not) from 1900-01-01 to 2999-12-31.
- Ids are text. An integer is taken as written (``3`` is ``"3"``, ``010`` is ``"010"``);
  true/false (YAML also reads yes, no, on and off so) and fractions are refused: quote them.
- Numbers are numbers, never quoted text (``"10"``), never true/false, finite and at most 1e12
  either way. Working days: ``duration`` a whole number (``10.0`` is 10) from 0 to 100000,
  ``lag`` a whole number from -100000 to 100000, ``estimate`` three numbers from 0 to 100000.
  ``duration`` may be left out when ``estimate`` is given: it is then the likely value rounded
  (Python's ``round``, half to even).
- A resource may list ``changes``, each ``{from, to?, capacity}`` (inclusive days; no ``to``:
  from then on; the last change holding a day gives its capacity). Unknown keys in a change are
  refused, not ignored: a misspelt ``to`` would make a change last for ever.
- A milestone may be pinned: ``not_before`` (a date it may not start before) and
  ``not_after`` (a date it must finish by, an interim deadline).
- ``after`` is a list of entries (one entry alone is taken as a list of one): a milestone id, or
  a mapping with ``id``, optional ``lag`` and optional ``type`` (FS, SS or FF in any case).
- Keys the format does not know are ignored with a warning, except ``owner``, ``description``,
  ``notes``, ``kpis``, ``tags`` and keys starting ``x-`` or ``x_`` (room to extend the format).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from pathlib import PurePath
from typing import NoReturn

from backcast.planning.calendar import WEEKDAY_NAMES, WorkCalendar
from backcast.planning.model import (
    KINDS,
    CapacityChange,
    Dependency,
    Kind,
    Milestone,
    Plan,
    PlanError,
    Resource,
    check_plan,
)
from backcast.planning.yamlnodes import Lines, SourceError, Spelled, load, paused_gc

MAX_DAYS = 100_000
MAX_NUMBER = 1e12
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
QUIET = frozenset({"owner", "description", "notes", "kpis", "tags"})

_TOP = frozenset({"goal", "deadline", "start", "calendar", "resources", "milestones"})
_CALENDAR = frozenset({"workdays", "holidays"})
_RESOURCE = frozenset({"id", "capacity", "title", "changes"})
_CHANGE = frozenset({"from", "to", "capacity"})
_MILESTONE = frozenset({"id", "title", "duration", "estimate", "demand", "after", "not_before", "not_after"})
_DEPENDENCY = frozenset({"id", "lag", "type"})
_PINS = ("not_before", "not_after")
_KINDS: dict[str, Kind] = {kind: kind for kind in KINDS}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_AS_TEXT = "(YAML reads yes, no, on, off, true and false as true or false: put it in quotes)"

Place = tuple[object, ...]


class PlanFileError(ValueError):
    """A plan file that cannot be planned; ``str(error)`` is one line (see the module docstring).

    ``name``, ``line`` (``None`` when unknown), ``place`` (``""`` when none) and ``what`` are
    the parts of that line.
    """

    def __init__(self, name: str, what: str, *, line: int | None = None, place: str = "") -> None:
        super().__init__(_format(name, line, place, what))
        self.name, self.line, self.place, self.what = name, line, place, what


def read_plan(text: str | bytes, *, name: str, today: dt.date) -> tuple[Plan, list[str]]:
    """Parse and check a plan file; return the :class:`Plan` and the warnings, one line each.

    ``text`` is the file's content (bytes must be UTF-8); ``name`` the file as the user typed it,
    used in messages and to choose the syntax: JSON when it ends with ``.json``, else YAML.
    ``today`` is the default start. The plan returned has passed
    :func:`~backcast.planning.model.check_plan`; every fault raises :class:`PlanFileError`.
    """
    with paused_gc():  # a big plan is millions of objects, none of them cyclic
        return _read(text, name, today)


def _read(text: str | bytes, name: str, today: dt.date) -> tuple[Plan, list[str]]:
    try:
        data, lines = load(text, json_syntax=name.lower().endswith(".json"))
    except SourceError as error:
        raise PlanFileError(name, error.message, line=error.line) from None
    reader = _Reader(name, lines)
    plan = reader.plan(data, today)
    try:
        check_plan(plan)
    except PlanError as error:
        reader.fail(error.place, error.message)
    return plan, reader.warnings()


class _Reader:
    """Reads the data of one file, names places, and collects warnings."""

    def __init__(self, name: str, lines: Lines) -> None:
        self.name = name
        self.lines = lines
        self.labels: dict[Place, str] = {}
        self.pending: list[tuple[Place, str, str]] = []  # warnings: place, where, what

    def fail(self, place: Place, what: str) -> NoReturn:
        raise PlanFileError(self.name, what, line=self.lines.find([place])[0], place=self.where(place))

    def where(self, place: Place) -> str:
        text = ""
        for k, part in enumerate(place):
            if isinstance(part, int):
                text += f"[{part + 1}]"
                label = self.labels.get(place[:2]) if k == 1 else None
                text += f" ({label})" if label is not None else ""
            else:
                text += f".{part}" if text else str(part)
        return text

    def plan(self, data: object, today: dt.date) -> Plan:
        if not isinstance(data, dict):
            raise PlanFileError(
                self.name, f"expected a mapping with deadline and milestones, found {_show(data)}"
            )
        self.warn_unknown(data, (), _TOP)
        goal = data.get("goal")
        if goal is None:
            goal = "" if self.name == "-" else PurePath(self.name).stem
        goal = self.text(goal, ("goal",), "goal")
        if data.get("deadline") is None:
            raise PlanFileError(self.name, "missing deadline (the last working day the goal may finish on)")
        deadline = self.date(data["deadline"], ("deadline",))
        start = today if data.get("start") is None else self.date(data["start"], ("start",))
        calendar = self.calendar(data.get("calendar"))
        resources = tuple(
            self.resource(r, k) for k, r in enumerate(self.items(data.get("resources"), ("resources",)))
        )
        if data.get("milestones") is None:
            raise PlanFileError(self.name, "missing milestones (the list of the work to plan)")
        milestones = tuple(
            self.milestone(m, k) for k, m in enumerate(self.items(data["milestones"], ("milestones",)))
        )
        return Plan(goal, deadline, start, milestones, resources, calendar)

    def calendar(self, value: object) -> WorkCalendar:
        place: Place = ("calendar",)
        if value is None:
            return WorkCalendar()
        data = self.mapping(value, place, "calendar")
        self.warn_unknown(data, place, _CALENDAR)
        workdays = [
            self.weekday(day, (*place, "workdays", k))
            for k, day in enumerate(self.items(data.get("workdays"), (*place, "workdays")))
        ]
        if data.get("workdays") is not None and not workdays:
            self.fail(
                (*place, "workdays"), "no working weekday: list at least one, e.g. [mon, tue, wed, thu, fri]"
            )
        holidays = [
            self.date(day, (*place, "holidays", k))
            for k, day in enumerate(self.items(data.get("holidays"), (*place, "holidays")))
        ]
        return WorkCalendar.of(workdays or range(5), holidays)

    def weekday(self, value: object, place: Place) -> int:
        if not isinstance(value, str) or value.lower() not in WEEKDAY_NAMES:
            self.fail(place, f"unknown weekday {_show(value)} (use mon, tue, wed, thu, fri, sat, sun)")
        return WEEKDAY_NAMES[value.lower()]

    def resource(self, value: object, k: int) -> Resource:
        place: Place = ("resources", k)
        data = self.mapping(value, place, "each resource")
        rid = self.ident(self.required(data, place, "id", ""), (*place, "id"), "id must be text")
        self.labels[place] = rid
        self.warn_unknown(data, place, _RESOURCE)
        units = self.required(data, place, "capacity", " (units available on each working day)")
        capacity = self.number(units, (*place, "capacity"), "capacity must be a number of units a day")
        title = "" if data.get("title") is None else self.text(data["title"], (*place, "title"), "title")
        changes = tuple(
            self.change(c, (*place, "changes", n))
            for n, c in enumerate(self.items(data.get("changes"), (*place, "changes")))
        )
        return Resource(rid, capacity, title, changes)

    def change(self, value: object, place: Place) -> CapacityChange:
        """``{from, to?, capacity}``; an unknown key is refused: a misspelt ``to`` would silently
        make a short change last for ever."""
        data = self.mapping(value, place, "each change")
        for key in data:
            if key not in _CHANGE:
                hint = _hint(key, _CHANGE) if isinstance(key, str) else ""
                self.fail((*place, key), f"unknown key {_show(key)} in a capacity change{hint}")
        begin = self.date(
            self.required(data, place, "from", " (the first day of the change)"), (*place, "from")
        )
        end = None if data.get("to") is None else self.date(data["to"], (*place, "to"))
        units = self.required(data, place, "capacity", " (units a day during the change)")
        capacity = self.number(units, (*place, "capacity"), "capacity must be a number of units a day")
        return CapacityChange(begin, end, capacity)

    def milestone(self, value: object, k: int) -> Milestone:
        place: Place = ("milestones", k)
        data = self.mapping(value, place, "each milestone")
        mid = self.ident(self.required(data, place, "id", ""), (*place, "id"), "id must be text")
        self.labels[place] = mid
        self.warn_unknown(data, place, _MILESTONE)
        title = mid if data.get("title") is None else self.text(data["title"], (*place, "title"), "title")
        estimate = (
            None if data.get("estimate") is None else self.estimate(data["estimate"], (*place, "estimate"))
        )
        if data.get("duration") is not None:
            duration = int(self.days(data["duration"], (*place, "duration"), "duration", low=0, whole=True))
        elif estimate is not None:
            duration = round(estimate[1])
        else:
            self.fail(
                place, "missing duration (working days, or an estimate: [optimistic, likely, pessimistic])"
            )
        demand = self.demand(data.get("demand"), (*place, "demand"))
        after = data.get("after")
        entries = after if isinstance(after, list) else [] if after is None else [after]
        deps = tuple(self.dependency(entry, (*place, "after", n)) for n, entry in enumerate(entries))
        pins = [None if data.get(key) is None else self.date(data[key], (*place, key)) for key in _PINS]
        return Milestone(mid, title, duration, estimate, demand, deps, *pins)

    def estimate(self, value: object, place: Place) -> tuple[float, float, float]:
        if not isinstance(value, list) or len(value) != 3:
            shown = f"a list of {len(value)}" if isinstance(value, list) else _show(value)
            self.fail(
                place,
                f"estimate must be a list of three numbers [optimistic, likely, pessimistic], not {shown}",
            )
        low, likely, high = (
            self.days(v, (*place, k), "estimate values", low=0, whole=False) for k, v in enumerate(value)
        )
        return low, likely, high

    def demand(self, value: object, place: Place) -> dict[str, float]:
        if value is None:
            return {}
        demand: dict[str, float] = {}
        for key, units in self.mapping(value, place, "demand").items():
            rid = self.ident(key, place, "resource ids in demand must be text")
            if rid in demand:
                self.fail((*place, rid), f"resource {rid!r} is named twice")
            demand[rid] = self.number(units, (*place, rid), "demand must be a number of units a day")
        return demand

    def dependency(self, value: object, place: Place) -> Dependency:
        if not isinstance(value, dict):
            return Dependency(
                self.ident(value, place, "each entry of after must be a milestone id or a mapping with id")
            )
        on = self.ident(
            self.required(value, place, "id", " (the milestone this one depends on)"),
            (*place, "id"),
            "id must be text",
        )
        self.warn_unknown(value, place, _DEPENDENCY)
        lag = (
            0
            if value.get("lag") is None
            else int(self.days(value["lag"], (*place, "lag"), "lag", low=-MAX_DAYS, whole=True))
        )
        kind = value.get("type", "FS")
        if kind is None:
            kind = "FS"
        if not isinstance(kind, str) or kind.upper() not in _KINDS:
            self.fail((*place, "type"), f"unknown dependency type {_show(kind)} (use FS, SS or FF)")
        return Dependency(on, lag, _KINDS[kind.upper()])

    # Values ---------------------------------------------------------------------------------

    def mapping(self, value: object, place: Place, what: str) -> dict[object, object]:
        if not isinstance(value, dict):
            self.fail(place, f"{what} must be a mapping, not {_show(value)}")
        return value

    def items(self, value: object, place: Place) -> list[object]:
        """A list; ``None`` (absent) is an empty one."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(place, f"{place[-1]} must be a list, not {_show(value)}")
        return value

    def required(self, data: dict[object, object], place: Place, key: str, hint: str) -> object:
        value = data.get(key)
        if value is None:
            self.fail(place, f"missing {key}{hint}")
        return value

    def warn_unknown(self, data: dict[object, object], place: Place, known: frozenset[str]) -> None:
        """Warn of each key that is neither ``known`` nor quiet."""
        for key in data:
            if key in known or (isinstance(key, str) and (key in QUIET or key.startswith(("x-", "x_")))):
                continue
            hint = _hint(key, known) if isinstance(key, str) else ""
            self.pending.append(((*place, key), self.where(place), f"unknown key {_show(key)} ignored{hint}"))

    def warnings(self) -> list[str]:
        """The warnings, with their lines (found in one pass: a big file's lines are costly)."""
        lines = self.lines.find([place for place, _, _ in self.pending])
        return [
            _format(self.name, line, where, what)
            for line, (_, where, what) in zip(lines, self.pending, strict=True)
        ]

    def text(self, value: object, place: Place, what: str) -> str:
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, int | float) else ""
            self.fail(place, f"{what} must be text, not {_show(value)}{hint}")
        return value

    def ident(self, value: object, place: Place, must: str) -> str:
        """An id: text, or an integer taken as written."""
        if isinstance(value, bool):
            self.fail(place, f"{must}, not {_show(value)} {_AS_TEXT}")
        if isinstance(value, int):
            return value.spelling if isinstance(value, Spelled) else str(value)
        if not isinstance(value, str) or not value or value.isspace():
            self.fail(place, f"{must}, not {_show(value)}")
        return value

    def number(self, value: object, place: Place, must: str) -> float:
        """A finite number (never true/false, never text) of at most :data:`MAX_NUMBER` either way."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            hint = " (write the number without quotes)" if isinstance(value, str) and _numeric(value) else ""
            self.fail(place, f"{must}, not {_show(value)}{hint}")
        if not -MAX_NUMBER <= value <= MAX_NUMBER:  # NaN fails too; huge integers compare exactly
            self.fail(place, f"{must} (finite, at most {MAX_NUMBER:g} either way), not {_show(value)}")
        return int(value) if isinstance(value, int) else value

    def days(self, value: object, place: Place, noun: str, *, low: int, whole: bool) -> float:
        """Working days from ``low`` to :data:`MAX_DAYS`; ``whole`` ones are ints (``10.0`` is 10)."""
        kind = "a whole number" if whole else "numbers"
        number = self.number(value, place, f"{noun} must be {kind} of working days")
        if whole and number != int(number):
            self.fail(place, f"{noun} must be a whole number of working days, not {number:g}")
        if not low <= number <= MAX_DAYS:
            self.fail(place, f"{noun} must be from {low} to {MAX_DAYS} working days, not {number:g}")
        return int(number) if whole else number

    def date(self, value: object, place: Place) -> dt.date:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            self.fail(place, f"not a date (YYYY-MM-DD): {_show(value)}")
        try:
            day = dt.date.fromisoformat(value)
        except ValueError as error:
            self.fail(place, f"impossible date {value!r} ({error})")
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail(place, f"date {value} is out of range (use {FIRST_DAY} to {LAST_DAY})")
        return day


def _format(name: str, line: int | None, place: str, what: str) -> str:
    head = name if line is None else f"{name}:{line}"
    text = f"{head}: {place}: {what}" if place else f"{head}: {what}"
    return " ".join(text.splitlines())


def _show(value: object) -> str:
    """A value as a message names it: text quoted and cut short, collections by their kind."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str | int | float):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return "a list" if isinstance(value, list) else "a mapping"  # nothing else is read


@functools.lru_cache(maxsize=256)
def _hint(key: str, known: frozenset[str]) -> str:
    """`` (did you mean 'title'?)`` for a key close to a known one (the same typo recurs: cached)."""
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
