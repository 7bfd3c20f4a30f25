"""The backward planner: dates worked back from the deadline, slack, the critical path, levelling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backcast.planning.calendar import WorkCalendar
from backcast.planning.engine import PlanResult, plan_backward
from backcast.planning.model import Dependency, Kind, Milestone, Plan, PlanError, Resource

D = dt.date.fromisoformat
START = D("2027-01-04")  # a Monday; index 0
DEADLINE = D("2027-03-05")  # a Friday, 45 working days later


def m(
    id: str,
    duration: int,
    after: Sequence[str | tuple[str, int] | tuple[str, int, Kind]] = (),
    demand: Mapping[str, float] | None = None,
    estimate: tuple[float, float, float] | None = None,
) -> Milestone:
    deps = []
    for a in after:
        if isinstance(a, str):
            deps.append(Dependency(a))
        elif len(a) == 2:
            deps.append(Dependency(a[0], a[1]))
        else:
            deps.append(Dependency(a[0], a[1], a[2]))
    return Milestone(id, id.title(), duration, estimate, dict(demand or {}), tuple(deps))


def make(
    *milestones: Milestone,
    resources: Sequence[Resource] = (),
    start: dt.date = START,
    deadline: dt.date = DEADLINE,
    calendar: WorkCalendar | None = None,
) -> Plan:
    return Plan("Goal", deadline, start, milestones, tuple(resources), calendar or WorkCalendar())


def by_id(result: PlanResult) -> dict[str, tuple[str, str, int, bool]]:
    return {x.id: (x.start.isoformat(), x.finish.isoformat(), x.slack, x.critical) for x in result.milestones}


def test_a_chain_is_planned_back_from_the_deadline() -> None:
    result = plan_backward(make(m("a", 5), m("b", 5, ["a"]), m("c", 3)))
    assert by_id(result) == {
        "a": ("2027-02-22", "2027-02-26", 35, True),
        "b": ("2027-03-01", "2027-03-05", 35, True),
        "c": ("2027-03-03", "2027-03-05", 42, False),
    }
    assert result.critical_path == ("a", "b")
    assert result.feasible and not result.levelled and result.overloads == ()
    assert result.required_start == D("2027-02-22")
    assert result.earliest_finish == D("2027-01-15")  # ten working days from Monday 4 January
    assert result.spare_days == 35
    a = result.milestones[0]
    assert (a.earliest_start, a.earliest_finish) == (D("2027-01-04"), D("2027-01-08"))
    assert (a.latest_start, a.latest_finish) == (D("2027-02-22"), D("2027-02-26"))


def test_lags_leads_and_checkpoints() -> None:
    result = plan_backward(make(m("kickoff", 0), m("a", 5, ["kickoff"]), m("b", 5, [("a", 2)])))
    dates = by_id(result)
    assert dates["b"][:2] == ("2027-03-01", "2027-03-05")
    assert dates["a"][:2] == ("2027-02-18", "2027-02-24")  # two working days of lag before b
    # A checkpoint is reached by the day before its successor starts: its finish is that day.
    assert dates["kickoff"][:2] == ("2027-02-18", "2027-02-17")
    lead = by_id(plan_backward(make(m("a", 5), m("b", 5, [("a", -2)]))))
    assert lead["a"][:2] == ("2027-02-24", "2027-03-02")  # b may start two days before a ends


def test_start_to_start_and_finish_to_finish() -> None:
    ss = by_id(plan_backward(make(m("a", 5), m("b", 3, [("a", 2, "SS")]))))
    assert ss["b"][:2] == ("2027-03-03", "2027-03-05")
    assert ss["a"][:2] == ("2027-03-01", "2027-03-05")  # capped by the deadline, not by b
    ff = by_id(plan_backward(make(m("a", 5), m("b", 2, [("a", 1, "FF")]))))
    assert ff["a"][:2] == ("2027-02-26", "2027-03-04")  # b finishes one day after a


def test_holidays_and_weekends_are_skipped() -> None:
    calendar = WorkCalendar.of(range(5), [D("2027-03-03")])
    dates = by_id(plan_backward(make(m("a", 5), calendar=calendar)))
    assert dates["a"][:2] == ("2027-02-26", "2027-03-05")
    six_days = WorkCalendar.of(range(6))
    assert by_id(plan_backward(make(m("a", 6), calendar=six_days)))["a"][:2] == ("2027-02-27", "2027-03-05")


def test_a_deadline_on_a_weekend_means_the_friday_before_and_start_the_monday_after() -> None:
    result = plan_backward(make(m("a", 1), start=D("2027-01-02"), deadline=D("2027-03-07")))
    assert by_id(result)["a"][:2] == ("2027-03-05", "2027-03-05")
    assert result.milestones[0].earliest_start == D("2027-01-04")
    assert result.deadline == D("2027-03-07")


def test_an_infeasible_chain_names_itself() -> None:
    result = plan_backward(make(m("a", 30), m("b", 20, ["a"]), m("c", 1)))
    assert not result.feasible
    assert result.required_start == D("2026-12-28")  # five working days before the start
    assert result.earliest_finish == D("2027-03-12")
    assert result.spare_days == -5
    assert [x.slack for x in result.milestones] == [-5, -5, 44]
    (overload,) = result.overloads
    assert overload.resource is None and overload.milestones == ("a", "b") and overload.days_won == 5
    assert "a -> b" in overload.message and "5 working days before the start" in overload.message


def test_levelling_moves_work_earlier_to_fit_capacity() -> None:
    plan = make(m("x", 5, demand={"crew": 1}), m("y", 5, demand={"crew": 1}), resources=[Resource("crew", 1)])
    result = plan_backward(plan)
    assert result.levelled and result.feasible
    starts = sorted(x.start for x in result.milestones)
    assert starts == [D("2027-02-22"), D("2027-03-01")]
    assert result.required_start == D("2027-02-22")
    assert all(x.slack == 40 for x in result.milestones)  # slack ignores capacity


def test_fractional_capacity_runs_work_side_by_side() -> None:
    plan = make(
        *(m(f"t{k}", 5, demand={"crew": 0.5}) for k in range(3)),
        resources=[Resource("crew", 1.5)],
    )
    result = plan_backward(plan)
    assert {x.start for x in result.milestones} == {D("2027-03-01")}


def test_an_overloaded_resource_is_named_with_the_work_that_starts_too_early() -> None:
    plan = make(
        m("x", 5, demand={"crew": 1}),
        m("y", 5, demand={"crew": 1}),
        m("z", 2, demand={"desk": 1}),
        resources=[Resource("crew", 1), Resource("desk", 4)],
        start=D("2027-02-24"),
    )
    result = plan_backward(plan)
    assert not result.feasible
    assert result.required_start == D("2027-02-22")
    assert result.earliest_finish == D("2027-03-09")
    (overload,) = result.overloads
    assert overload.resource == "crew" and overload.capacity == 1 and overload.days_won == 5
    early = [x.id for x in result.milestones if x.start < D("2027-02-24")]
    assert list(overload.milestones) == early and len(early) == 1
    assert "crew" in overload.message and "2 working days before the start" in overload.message
    assert "move the deadline to 2027-03-09" in overload.message


def test_resources_together_are_blamed_when_no_one_alone_is() -> None:
    # Each milestone needs both resources: lifting either one alone changes nothing.
    both = {"crew": 1, "desk": 1}
    plan = make(
        m("x", 5, demand=both),
        m("y", 5, demand=both),
        resources=[Resource("crew", 1), Resource("desk", 1)],
        start=D("2027-02-24"),
    )
    result = plan_backward(plan)
    assert [o.resource for o in result.overloads] == ["crew", "desk"]
    assert all(o.days_won == 0 for o in result.overloads)


def test_chain_and_capacity_both_short() -> None:
    plan = make(
        m("a", 9, demand={"crew": 1}),
        m("b", 9, demand={"crew": 1}),
        resources=[Resource("crew", 1)],
        start=D("2027-02-24"),
    )
    result = plan_backward(plan)
    assert [o.resource for o in result.overloads] == [None, "crew"]


def test_capacity_that_costs_nothing_beyond_the_chain_is_not_blamed() -> None:
    plan = make(
        m("a", 10, demand={"crew": 1}), m("b", 1), resources=[Resource("crew", 1)], start=D("2027-02-24")
    )
    result = plan_backward(plan)
    assert [o.resource for o in result.overloads] == [None]


def test_zero_demand_and_checkpoints_do_not_level() -> None:
    plan = make(m("a", 0, demand={"crew": 5}), m("b", 3, demand={"crew": 0}), resources=[Resource("crew", 1)])
    assert not plan_backward(plan).levelled


def test_cycles_are_named() -> None:
    with pytest.raises(PlanError, match="a -> b -> a") as caught:
        plan_backward(make(m("a", 1, ["b"]), m("b", 1, ["a"])))
    assert caught.value.place == ("milestones", 0, "after")


def test_risk_of_fixed_durations_is_certain() -> None:
    plan = make(m("a", 5, estimate=(5, 5, 5)), m("b", 5, ["a"]))
    result = plan_backward(plan, runs=200, risk_seed=1)
    assert result.risk is not None
    assert result.risk.probability_on_time == 1.0
    assert result.risk.finish_p50 == result.risk.finish_p95 == D("2027-01-15")


def test_risk_keeps_the_levelled_resource_order() -> None:
    plan = make(
        m("x", 5, demand={"crew": 1}, estimate=(5, 5, 5)),
        m("y", 5, demand={"crew": 1}),
        resources=[Resource("crew", 1)],
        start=D("2027-02-24"),
    )
    result = plan_backward(plan, runs=50, risk_seed=3)
    assert result.risk is not None
    assert result.risk.probability_on_time == 0.0
    assert result.risk.finish_p50 == D("2027-03-09")  # the two cannot overlap in any run


# --- properties of every plan --------------------------------------------------------------------------

KINDS: tuple[Kind, ...] = ("FS", "SS", "FF")


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    n_res = draw(st.integers(0, 2))
    capacities = [draw(st.integers(1, 3)) for _ in range(n_res)]
    resources = [Resource(f"r{k}", c) for k, c in enumerate(capacities)]
    milestones = []
    for j in range(draw(st.integers(1, 8))):
        duration = draw(st.integers(0, 6))
        demand = {f"r{k}": draw(st.integers(0, c)) for k, c in enumerate(capacities)}
        preds = draw(st.lists(st.integers(0, j - 1), max_size=3, unique=True)) if j else []
        deps = tuple(
            Dependency(f"m{i}", draw(st.integers(-2, 3)), draw(st.sampled_from(KINDS))) for i in preds
        )
        pins = draw(st.sampled_from(["none", "none", "before", "after"]))
        not_before = draw(st.dates(D("2027-01-01"), D("2027-03-15"))) if pins == "before" else None
        not_after = draw(st.dates(D("2027-01-15"), D("2027-03-31"))) if pins == "after" else None
        milestones.append(Milestone(f"m{j}", f"M{j}", duration, None, demand, deps, not_before, not_after))
    workdays = draw(st.sets(st.integers(0, 6), min_size=1))
    holidays = draw(st.sets(st.dates(D("2027-01-01"), D("2027-03-31")), max_size=4))
    start = draw(st.dates(D("2027-01-01"), D("2027-02-15")))
    deadline = draw(st.dates(D("2027-02-20"), D("2027-03-31")))
    return Plan(
        "P", deadline, start, tuple(milestones), tuple(resources), WorkCalendar.of(workdays, holidays)
    )


@settings(max_examples=150, deadline=None)
@given(plans())
def test_every_plan_is_valid_and_no_later_than_the_unconstrained_latest_dates(plan: Plan) -> None:
    cal = plan.calendar
    if cal.on_or_after(plan.start) > plan.deadline:  # no working day to plan in
        with pytest.raises(PlanError, match="no working day"):
            plan_backward(plan)
        return
    result = plan_backward(plan, time_limit=0.2)
    origin = D("2026-01-01")

    def idx(day: dt.date) -> int:
        return cal.count(origin, day)

    got = {x.id: x for x in result.milestones}
    last_day = cal.on_or_before(plan.deadline)
    for spec in plan.milestones:
        x = got[spec.id]
        assert cal.is_workday(x.start) and cal.is_workday(x.finish)
        assert idx(x.finish) - idx(x.start) + 1 == spec.duration
        assert x.finish <= last_day
        assert x.start <= x.latest_start  # no levelled plan beats the unconstrained bound
        assert x.slack == idx(x.latest_start) - idx(x.earliest_start)
        assert x.earliest_start >= cal.on_or_after(plan.start)
        if spec.not_after is not None:
            assert idx(x.finish) <= idx(cal.on_or_before(spec.not_after))
        if spec.not_before is not None:
            assert x.earliest_start >= cal.on_or_after(spec.not_before)
            if result.feasible:
                assert x.start >= cal.on_or_after(spec.not_before)
        for dep in spec.after:
            p = got[dep.on]
            if dep.kind == "FS":
                assert idx(x.start) >= idx(p.finish) + 1 + dep.lag
            elif dep.kind == "SS":
                assert idx(x.start) >= idx(p.start) + dep.lag
            else:
                assert idx(x.finish) >= idx(p.finish) + dep.lag
    for r in plan.resources:
        load: dict[int, float] = {}
        for spec in plan.milestones:
            units = spec.demand.get(r.id, 0)
            if units and spec.duration:
                begin = idx(got[spec.id].start)
                for day in range(begin, begin + spec.duration):
                    load[day] = load.get(day, 0) + units
        assert max(load.values(), default=0) <= r.capacity
    assert result.required_start == min(x.start for x in result.milestones)
    if result.required_start < cal.on_or_after(plan.start):
        assert not result.feasible
    assert (result.overloads == ()) == result.feasible
    least = min(x.slack for x in result.milestones)
    assert [x.id for x in result.milestones if x.critical] == [
        x.id for x in result.milestones if x.slack == least
    ]
    assert set(result.critical_path) == {x.id for x in result.milestones if x.critical}


def test_a_lead_against_the_resource_order_drops_that_hand_over_only() -> None:
    # b may start long before a finishes (a lead of 12 days); levelling puts b before a on the
    # one-person resource, so the hand-over b -> a and the dependency a -> b would form a loop.
    plan = make(
        m("p", 10),
        m("a", 1, ["p"], demand={"x": 1}),
        m("b", 1, [("a", -12)], demand={"x": 1}),
        m("c", 10, ["b"]),
        resources=[Resource("x", 1)],
        start=D("2027-01-04"),
        deadline=D("2027-01-18"),
    )
    result = plan_backward(plan, runs=20, risk_seed=1)
    assert result.risk is not None and result.risk.links_dropped == 1
    assert 0.0 <= result.risk.probability_on_time <= 1.0


def test_resource_links_are_kept_unless_they_close_a_loop() -> None:
    from backcast.planning.engine import with_links
    from backcast.planning.graph import reaches
    from backcast.planning.risk import Edge

    edges = [Edge(0, 1)]
    assert with_links(3, edges, [Edge(1, 2)]) == ([Edge(0, 1), Edge(1, 2)], 0)
    kept, dropped = with_links(3, edges, [Edge(1, 0), Edge(1, 2), Edge(2, 0)])
    assert kept == [Edge(0, 1), Edge(1, 2)] and dropped == 2
    assert reaches([[1], [2], []], 0, 2) and not reaches([[1], [], []], 1, 0)
    assert reaches([[1, 2], [2], [0]], 0, 0)
    assert not reaches([[1, 2], [2], [], []], 0, 3)


def test_the_collector_is_left_as_it_was() -> None:
    import gc

    gc.disable()
    try:
        plan_backward(make(m("a", 1)))
        assert not gc.isenabled()
    finally:
        gc.enable()
    plan_backward(make(m("a", 1)))
    assert gc.isenabled()


def test_a_finish_pin_is_an_interim_deadline() -> None:
    pinned = Milestone("a", "A", 5, not_after=D("2027-02-12"))
    result = plan_backward(make(pinned, m("b", 5, ["a"])))
    dates = by_id(result)
    assert dates["a"][:2] == ("2027-02-08", "2027-02-12")
    assert dates["b"][:2] == ("2027-03-01", "2027-03-05")
    levelled = plan_backward(
        make(
            Milestone("a", "A", 5, demand={"crew": 1}, not_after=D("2027-02-12")),
            m("b", 5, demand={"crew": 1}),
            resources=[Resource("crew", 1)],
        )
    )
    assert by_id(levelled)["a"][:2] == ("2027-02-08", "2027-02-12")


def test_a_start_pin_the_plan_cannot_keep_makes_it_infeasible() -> None:
    result = plan_backward(make(Milestone("a", "A", 5, not_before=D("2027-03-03")), m("b", 1)))
    assert not result.feasible and result.required_start > D("2027-01-04")
    (overload,) = result.overloads
    assert overload.resource is None and overload.milestones == ("a",)
    assert (
        "may not start before 2027-03-03" in overload.message and "2 working days earlier" in overload.message
    )
    assert result.milestones[0].earliest_start == D("2027-03-03")
    kept = plan_backward(make(Milestone("a", "A", 5, not_before=D("2027-02-01"))))
    assert kept.feasible and kept.milestones[0].start == D("2027-03-01")


def test_pins_must_leave_room() -> None:
    with pytest.raises(PlanError, match="before its earliest start") as caught:
        plan_backward(make(Milestone("a", "A", 5, not_before=D("2027-02-10"), not_after=D("2027-02-01"))))
    assert caught.value.place == ("milestones", 0, "not_after")


def test_a_plan_that_runs_past_the_year_9999_is_a_clear_fault() -> None:
    with pytest.raises(PlanError, match="years 1 to 9999"):
        plan_backward(make(m("a", 3_000_000), start=D("2027-01-04"), deadline=D("2027-03-05")))
