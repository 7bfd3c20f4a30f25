"""The plan model's checks: each fault is found, in a person's order, with its place."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from backcast.planning.calendar import WorkCalendar
from backcast.planning.model import (
    Dependency,
    Milestone,
    Place,
    Plan,
    PlanError,
    Resource,
    check_plan,
    compile_network,
    find_cycle,
    start_lag,
)

D = dt.date.fromisoformat


def plan(*milestones: Milestone, resources: tuple[Resource, ...] = (), **dates: dt.date) -> Plan:
    return Plan(
        "G",
        dates.get("deadline", D("2027-03-05")),
        dates.get("start", D("2027-01-04")),
        milestones,
        resources,
        WorkCalendar(),
    )


def ms(id: str, duration: int = 1, *after: str, **kw: object) -> Milestone:
    return Milestone(id, id, duration, after=tuple(Dependency(a) for a in after), **kw)  # type: ignore[arg-type]


CREW = (Resource("crew", 2),)


@pytest.mark.parametrize(
    ("bad", "place", "message"),
    [
        (plan(ms("a"), deadline=D("2027-01-01")), ("deadline",), "before the start"),
        (plan(ms("a"), start=D("2027-01-09"), deadline=D("2027-01-10")), ("deadline",), "no working day"),
        (plan(), ("milestones",), "no milestones"),
        (plan(ms("a"), resources=(Resource("x", 1), Resource("x", 2))), ("resources", 1, "id"), "duplicate"),
        (plan(ms("a"), resources=(Resource("x", -1),)), ("resources", 0, "capacity"), "0 or more"),
        (plan(ms("a"), resources=(Resource("x", math.inf),)), ("resources", 0, "capacity"), "0 or more"),
        (plan(ms("a"), resources=(Resource("x", 1.0001),)), ("resources", 0, "capacity"), "three decimals"),
        (plan(ms("a"), ms("b"), ms("a")), ("milestones", 2, "id"), "duplicate id 'a' .also milestone 1."),
        (plan(ms("a", -1)), ("milestones", 0, "duration"), "0 or more working days"),
        (plan(ms("a", estimate=(3, 2, 4))), ("milestones", 0, "estimate"), r"optimistic <= likely"),
        (plan(ms("a", estimate=(1, 2, math.nan))), ("milestones", 0, "estimate"), r"optimistic <= likely"),
        (
            plan(ms("a", demand={"nope": 1}), resources=CREW),
            ("milestones", 0, "demand", "nope"),
            "unknown resource",
        ),
        (
            plan(ms("a", demand={"crew": -1}), resources=CREW),
            ("milestones", 0, "demand", "crew"),
            "0 or more",
        ),
        (
            plan(ms("a", demand={"crew": 0.0005}), resources=CREW),
            ("milestones", 0, "demand", "crew"),
            "decimals",
        ),
        (
            plan(ms("a", 3, demand={"crew": 3}), resources=CREW),
            ("milestones", 0, "demand", "crew"),
            "needs 3 crew a day",
        ),
        (plan(ms("a"), ms("b", 1, "zz")), ("milestones", 1, "after", 0), "unknown milestone 'zz'"),
        (plan(ms("a", 1, "a")), ("milestones", 0, "after", 0), "cannot depend on itself"),
        (
            plan(ms("a"), Milestone("b", "b", 1, after=(Dependency("a", 0, "XX"),))),  # type: ignore[arg-type]
            ("milestones", 1, "after", 0),
            "unknown dependency type",
        ),
        (
            plan(ms("a", 1, "c"), ms("b", 1, "a"), ms("c", 1, "b")),
            ("milestones", 0, "after"),
            "a -> b -> c -> a",
        ),
    ],
)
def test_faults_are_found_with_their_place(bad: Plan, place: Place, message: str) -> None:
    with pytest.raises(PlanError, match=message) as caught:
        check_plan(bad)
    assert caught.value.place == place


def test_a_checkpoint_may_name_more_than_the_capacity() -> None:
    check_plan(plan(ms("a", 0, demand={"crew": 9}), resources=CREW))


def test_cycles_are_found_by_compiling_too() -> None:
    looped = plan(ms("x"), ms("a", 1, "b", "x"), ms("b", 1, "a"))
    check_plan(looped, cycles=False)
    with pytest.raises(PlanError, match="a -> b -> a"):
        compile_network(looped)
    assert find_cycle(looped.milestones) == ["a", "b"]
    assert find_cycle(plan(ms("a"), ms("b", 1, "a")).milestones) == []


def test_every_kind_is_a_start_lag() -> None:
    assert start_lag("FS", 2, 5, 3) == 7
    assert start_lag("SS", 2, 5, 3) == 2
    assert start_lag("FF", 2, 5, 3) == 4
    net = compile_network(
        plan(ms("a", 5), Milestone("b", "b", 3, after=(Dependency("a", 1, "SS"), Dependency("a", 0, "FF"))))
    )
    assert net.lags == [(0, 1, 1), (0, 1, 2)]
    assert net.topo == [0, 1]
