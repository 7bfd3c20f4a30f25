"""Capacity that changes over time, from the plan file to the verdict.

The reader's faults for each kind of bad change, with file, line and place; and worked examples:
a hire from a date lets a plan fit that did not, a shutdown pushes a milestone after it.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from backcast.planning.engine import plan_backward
from backcast.planning.model import CapacityChange, Plan, PlanError
from backcast.planning.planfile import PlanFileError, read_plan

TODAY = date(2027, 1, 1)
PLAN = """\
deadline: 2027-03-26
start: 2027-01-04
resources:
  - id: analysts
    capacity: 1
    changes: {changes}
milestones:
  - {{id: a, duration: 20, demand: {{analysts: {need}}}}}
  - {{id: b, duration: 20, demand: {{analysts: 1}}}}
  - {{id: c, duration: 10, after: [a, b]}}
"""


def read(changes: str, need: int = 1, deadline: str = "2027-03-26") -> Plan:
    text = PLAN.format(changes=changes, need=need).replace("2027-03-26", deadline)
    return read_plan(text, name="plan.yaml", today=TODAY)[0]


def fault(changes: str, need: int = 1) -> str:
    with pytest.raises(PlanFileError) as info:
        read(changes, need)
    return str(info.value)


def test_changes_are_read_in_yaml_and_json() -> None:
    plan = read("[{from: 2027-03-01, capacity: 3}, {from: 2027-08-02, to: 2027-08-13, capacity: 0}]")
    assert plan.resources[0].changes == (
        CapacityChange(date(2027, 3, 1), None, 3),
        CapacityChange(date(2027, 8, 2), date(2027, 8, 13), 0),
    )
    data = {
        "deadline": "2027-03-26",
        "resources": [{"id": "r", "capacity": 1, "changes": [{"from": "2027-02-01", "capacity": 2.5}]}],
        "milestones": [{"id": "a", "duration": 1, "demand": {"r": 2}}],
    }
    plan = read_plan(json.dumps(data), name="p.json", today=TODAY)[0]
    assert plan.resources[0].changes == (CapacityChange(date(2027, 2, 1), None, 2.5),)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            "[{from: 2027-13-01, capacity: 2}]",
            "plan.yaml:6: resources[1] (analysts).changes[1].from: impossible date",
        ),
        (
            "[{from: 2027-03-01, to: 2027-02-01, capacity: 2}]",
            "changes[1].to: the change ends on 2027-02-01, before",
        ),
        (
            "[{from: 2027-03-01, capacity: -1}]",
            "changes[1].capacity: capacity must be a number 0 or more, not -1",
        ),
        ("[{from: 2027-03-01, capacity: 1.0005}]", "changes[1].capacity: use at most three decimals"),
        (
            "[{from: 2027-03-01, capacity: '2'}]",
            "changes[1].capacity: capacity must be a number of units a day",
        ),
        (
            "[{from: 2027-03-01, until: 2027-04-01, capacity: 2}]",
            "changes[1].until: unknown key 'until' in a capacity change",
        ),
        ("[{from: 2027-03-01, too: 2027-04-01, capacity: 2}]", "(did you mean 'to'?)"),
        ("[{capacity: 2}]", "changes[1]: missing from"),
        ("[{from: 2027-03-01}]", "changes[1]: missing capacity"),
        ("[3]", "changes[1]: each change must be a mapping, not 3"),
        ("3", "changes: changes must be a list, not 3"),
    ],
)
def test_each_kind_of_bad_change_is_named_with_its_line(changes: str, message: str) -> None:
    text = fault(changes)
    assert text.startswith("plan.yaml:6: resources[1] (analysts).changes")
    assert message in text


def test_a_demand_above_every_days_capacity_is_still_refused_and_above_some_is_not() -> None:
    assert "needs 3 analysts a day but the capacity is 2 on its best day" in fault(
        "[{from: 2027-02-01, capacity: 2}]", need=3
    )
    assert read("[{from: 2027-02-01, capacity: 2}]", need=2).resources[0].peak() == 2


def test_the_model_names_the_place_of_a_change_that_is_not_a_date() -> None:
    from dataclasses import replace

    from backcast.planning.model import check_plan

    plan = read("[]")
    for change, place in (
        (CapacityChange("2027-01-01", None, 1), ("resources", 0, "changes", 0, "from")),  # type: ignore[arg-type]
        (CapacityChange(date(2027, 1, 1), "soon", 1), ("resources", 0, "changes", 0, "to")),  # type: ignore[arg-type]
    ):
        bad = replace(plan, resources=(replace(plan.resources[0], changes=(change,)),))
        with pytest.raises(PlanError) as info:
            check_plan(bad)
        assert info.value.place == place


def test_a_hire_from_a_date_lets_a_plan_fit_that_did_not() -> None:
    short = plan_backward(read("[]", deadline="2027-02-26"), time_limit=0.2)
    assert not short.feasible
    assert short.overloads[0].resource == "analysts"
    hired = plan_backward(read("[{from: 2027-01-04, capacity: 2}]", deadline="2027-02-26"), time_limit=0.2)
    assert hired.feasible
    assert hired.required_start == date(2027, 1, 18)  # side by side: 30 working days of 40
    assert [m.start for m in hired.milestones[:2]] == [date(2027, 1, 18)] * 2


def test_a_hire_later_counts_from_its_day_in_the_earliest_finish() -> None:
    result = plan_backward(read("[{from: 2027-01-18, capacity: 2}]"), time_limit=0.2)
    assert result.feasible
    # a alone from Jan 4; b from the hire on Jan 18 to Feb 12; c after both, Feb 15 to 26
    assert result.earliest_finish == date(2027, 2, 26)
    assert [m.start for m in result.milestones[:2]] == [date(2027, 2, 15)] * 2


def test_a_shutdown_pushes_a_milestone_after_it() -> None:
    changes = "[{from: 2027-01-18, capacity: 2}, {from: 2027-03-01, to: 2027-03-05, capacity: 0}]"
    result = plan_backward(read(changes), time_limit=0.2)
    a, b, _ = result.milestones
    # both would run Feb 15 to Mar 12; the shutdown week of Mar 1 pushes them before it
    assert a.finish < date(2027, 3, 1) and b.finish < date(2027, 3, 1)
    assert result.feasible


def test_a_milestone_that_fits_no_window_before_the_deadline_is_named() -> None:
    with pytest.raises(PlanError) as info:
        plan_backward(read("[{from: 2027-04-01, capacity: 2}]", need=2), time_limit=0.2)
    assert info.value.place == ("milestones", 0, "demand", "analysts")
    assert "needs 2 analysts a day for 20 working days in a row" in info.value.message


def test_a_pin_the_forward_plan_cannot_keep_leaves_the_earliest_finish_to_the_backward_plan() -> None:
    from dataclasses import replace

    plan = read("[{from: 2027-02-01, to: 2027-02-26, capacity: 2}, {from: 2027-03-01, capacity: 1}]", need=2)
    pinned = replace(
        plan, milestones=(replace(plan.milestones[0], not_before=date(2027, 2, 2)), *plan.milestones[1:])
    )
    result = plan_backward(pinned, time_limit=0.2)
    assert not result.feasible  # a must run Feb 1 to 26, the only window of two analysts
    assert result.milestones[0].start == date(2027, 2, 1)


def test_risk_keeps_the_levelled_order_with_and_without_changes() -> None:
    for changes in ("[]", "[{from: 2027-01-18, capacity: 2}, {from: 2027-02-01, capacity: 2}]"):
        result = plan_backward(read(changes), time_limit=0.2, runs=50, risk_seed=1)
        assert result.risk is not None and result.risk.probability_on_time == 1.0
