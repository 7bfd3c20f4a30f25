"""The verdict sentence and the JSON object of ``backcast plan --json``."""

from __future__ import annotations

import datetime as dt
import json

from backcast.planning.engine import plan_backward
from backcast.planning.model import Milestone, Plan, Resource
from backcast.planning.report import as_json, verdict

D = dt.date.fromisoformat


def test_a_feasible_plan_says_when_work_must_begin() -> None:
    result = plan_backward(Plan("G", D("2027-03-05"), D("2027-01-04"), (Milestone("a", "A", 5),)))
    assert verdict(result) == (
        "Feasible: the plan must begin by 2027-03-01 to finish by 2027-03-05, "
        "40 working days after the start 2027-01-04."
    )
    tight = plan_backward(Plan("G", D("2027-01-08"), D("2027-01-04"), (Milestone("a", "A", 5),)))
    assert "with no spare time" in verdict(tight)
    one = plan_backward(Plan("G", D("2027-01-08"), D("2027-01-04"), (Milestone("a", "A", 4),)))
    assert "1 working day after" in verdict(one)


def test_an_infeasible_plan_says_when_it_would_really_finish() -> None:
    crew = (Resource("crew", 1),)
    work = (Milestone("a", "A", 5, demand={"crew": 1}), Milestone("b", "B", 5, demand={"crew": 1}))
    result = plan_backward(Plan("G", D("2027-01-08"), D("2027-01-04"), work, crew), runs=10, risk_seed=2)
    sentence = verdict(result)
    assert sentence.startswith(
        "Not feasible: the levelled plan would have to begin on 2026-12-28, 5 working days"
    )
    assert "it finishes on 2027-01-15" in sentence
    assert "Chance of finishing by the deadline: 0% (80% by 2027-01-15)." in sentence


def test_json_has_the_contract_keys() -> None:
    result = plan_backward(
        Plan("G", D("2027-03-05"), D("2027-01-04"), (Milestone("a", "A", 5, estimate=(4, 5, 9)),)),
        runs=100,
        risk_seed=7,
    )
    data = json.loads(json.dumps(as_json(result)))
    assert {
        "feasible",
        "deadline",
        "required_start",
        "earliest_finish",
        "critical_path",
        "milestones",
        "overloads",
    } <= set(data)
    assert {"probability_on_time", "finish_p50", "finish_p80", "finish_p95"} <= set(data)
    assert data["milestones"][0] | {} == data["milestones"][0]
    m = data["milestones"][0]
    assert (m["id"], m["start"], m["finish"], m["slack"], m["critical"]) == (
        "a",
        "2027-03-01",
        "2027-03-05",
        40,
        True,
    )
    assert data["probability_on_time"] == 1.0 and data["seed"] == 7
    assert data["overloads"] == []
    assert "probability_on_time" not in as_json(
        plan_backward(Plan("G", D("2027-03-05"), D("2027-01-04"), (Milestone("a", "A", 5),)))
    )
