"""The SMART check: each letter's verdict and the reason a person can act on."""

from __future__ import annotations

from datetime import date

from backcast.planning.kpi import HistoryCheck
from backcast.planning.smart import CapacityVerdict, GoalFacts, KpiFacts, smart_check, title_is_vague, worst

TODAY = date(2027, 1, 4)
GOOD = GoalFacts(
    title="Raise on-time delivery to 95%",
    description="Carrier scorecards and dock scheduling at both DCs",
    owner="ana@plant.example",
    deadline=date(2027, 6, 30),
    today=TODAY,
    aligned=True,
    kpis=[KpiFacts("OTD", "%", 82.0, 95.0)],
    milestones=[("Audit", date(2027, 2, 1))],
    capacity=CapacityVerdict(feasible=True),
)


def letters(facts: GoalFacts) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {c.letter: (c.status, c.reasons) for c in smart_check(facts)}


def replace(**changes: object) -> GoalFacts:
    from dataclasses import replace as dc_replace

    return dc_replace(GOOD, **changes)  # type: ignore[arg-type]


def test_a_good_goal_passes_every_letter() -> None:
    checks = smart_check(GOOD)
    assert [c.letter for c in checks] == ["S", "M", "A", "R", "T"]
    assert {c.status for c in checks} == {"pass"}
    assert all(c.reasons for c in checks)


def test_specific() -> None:
    status, reasons = letters(replace(owner=None, description=" "))["S"]
    assert status == "fail"
    assert any("no owner" in r for r in reasons)
    assert any("no description" in r for r in reasons)
    assert letters(replace(title="Improve delivery performance"))["S"][0] == "warn"
    assert "too short" in letters(replace(title="Delivery"))["S"][1][0]
    assert title_is_vague("Be better at shipping")
    assert not title_is_vague("Improve OTD to 95%")


def test_measurable() -> None:
    assert letters(replace(kpis=[]))["M"] == (
        "fail",
        ("no KPI yet: add one with a unit, a baseline and a target",),
    )
    status, reasons = letters(replace(kpis=[KpiFacts("OTD", "%", None, 95.0)]))["M"]
    assert status == "fail"
    assert reasons == ("no KPI has a baseline yet: record where OTD stands today",)
    assert letters(replace(kpis=[], is_objective=True))["M"][0] == "pass"


def test_achievable() -> None:
    late = CapacityVerdict(
        feasible=False, earliest_finish=date(2027, 8, 13), bottleneck="analysts are the bottleneck"
    )
    status, reasons = letters(replace(capacity=late))["A"]
    assert status == "fail"
    assert reasons == (
        "the plan does not fit before the deadline; the earliest feasible finish is 2027-08-13 (analysts are the bottleneck)",
    )
    assert letters(replace(capacity=CapacityVerdict(feasible=False)))["A"][1] == (
        "the plan does not fit before the deadline",
    )
    assert letters(replace(capacity=None))["A"][0] == "warn"
    stretch = HistoryCheck(
        "warn", 1.3, 1.0, "needs +1.3 points a month; best 6 months so far: +1.0 points a month, a stretch"
    )
    ok = HistoryCheck("pass", 0.3, 1.0, "fine")
    status, reasons = letters(replace(history=[("OTD", stretch), ("Fill rate", ok)]))["A"]
    assert status == "warn"
    assert reasons == (
        "OTD: needs +1.3 points a month; best 6 months so far: +1.0 points a month, a stretch",
    )


def test_relevant() -> None:
    assert letters(replace(aligned=False))["R"][0] == "warn"
    assert letters(replace(aligned=False, is_objective=True))["R"][0] == "pass"


def test_time_bound() -> None:
    assert letters(replace(deadline=None))["T"][0] == "fail"
    status, reasons = letters(
        replace(deadline=TODAY, milestones=[("Audit", date(2027, 2, 1)), ("Rollout", None)])
    )["T"]
    assert status == "fail"
    assert "not in the future" in reasons[0]
    assert "milestones finish after the deadline: Audit" in reasons[1]


def test_worst() -> None:
    assert worst([]) == "pass"
    assert worst(["pass", "fail", "warn"]) == "fail"
