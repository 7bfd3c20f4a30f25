"""Re-planning: baselines kept with who and why, variance after a slip, what-if scenarios adopted whole.

The goals here start and end in 2031 with an explicit start, so their plans do not depend on the
day the tests run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from backcast.accounts.models import User
from backcast.goals.models import Dependency, Goal, Milestone, Resource
from backcast.organizations.models import Organization
from backcast.replanning.models import Baseline, Scenario
from backcast.services.goals.goals import create_goal, delete_goal, update_goal
from backcast.services.goals.milestones import add_milestone, delete_milestone, update_milestone
from backcast.services.platform.errors import InvalidInput
from backcast.services.replanning.baselines import accept_plan, baseline_view, latest_baseline, variance
from backcast.services.replanning.scenarios import (
    adopt_scenario,
    compare_scenario,
    create_scenario,
    discard_scenario,
)
from backcast.services.reporting.plans import goal_plan, plan_json

D = date.fromisoformat
TODAY = D("2030-11-04")  # before every goal's start: the plans are the same whatever the day


def new_goal(actor: User, **extra: Any) -> Goal:
    data = {"title": "Raise on-time delivery to 95%", "deadline": D("2031-06-30"), "start": D("2031-01-06")}
    return create_goal(actor, data | extra)


def chain(actor: User) -> tuple[Goal, Milestone, Milestone, Milestone]:
    """Audit (5) then scorecards (5) to the deadline, and a 2-day review beside them."""
    goal = new_goal(actor)
    audit = add_milestone(actor, goal.pk, {"title": "Audit carriers", "duration": 5})
    cards = add_milestone(actor, goal.pk, {"title": "Scorecards", "duration": 5, "after": [audit.pk]})
    review = add_milestone(actor, goal.pk, {"title": "Review contracts", "duration": 2})
    return goal, audit, cards, review


def test_accepting_keeps_each_plan_as_a_numbered_baseline_with_who_and_why(alice: User) -> None:
    goal, audit, _, _ = chain(alice)
    first = accept_plan(alice, goal.pk, "  first plan  ")
    assert (first.number, first.reason, first.taken_by) == (1, "first plan", alice)
    assert first.plan == plan_json(goal_plan(goal, TODAY))
    assert (first.required_start, first.earliest_finish) == (D("2031-06-17"), D("2031-01-17"))
    assert first.feasible is True and first.probability_on_time == 1.0
    assert first.deadline == D("2031-06-30")
    update_milestone(alice, audit.pk, {"duration": 10})
    second = accept_plan(alice, goal.pk, "audit slipped a week")
    assert second.number == 2 and second.required_start == D("2031-06-10")
    first.refresh_from_db()
    assert first.required_start == D("2031-06-17")  # never overwritten
    assert latest_baseline(goal) == second
    assert list(Baseline.objects.filter(goal=goal).values_list("number", flat=True)) == [1, 2]


def test_a_baseline_needs_a_reason_a_plan_and_the_right_to_plan(
    alice: User, bob: User, carol: User, charlie: User
) -> None:
    goal, _, _, _ = chain(alice)
    for reason in ["", "   ", None, "x" * 501]:
        with pytest.raises(InvalidInput) as fault:
            accept_plan(alice, goal.pk, reason)
        assert fault.value.field == "reason"
    with pytest.raises(PermissionDenied):
        accept_plan(bob, goal.pk, "viewer")
    with pytest.raises(PermissionDenied):
        accept_plan(carol, goal.pk, "contributor")
    with pytest.raises(Http404):
        accept_plan(charlie, goal.pk, "outsider")
    empty = new_goal(alice, title="Cut lead time to 5 days")
    with pytest.raises(InvalidInput) as fault:
        accept_plan(alice, empty.pk, "nothing to plan")
    assert fault.value.field == "plan"
    assert not Baseline.objects.exists()


def test_deleting_a_goal_takes_its_baselines_and_scenarios(alice: User) -> None:
    goal, _, _, _ = chain(alice)
    accept_plan(alice, goal.pk, "first plan")
    create_scenario(alice, goal.pk, {"name": "as is"})
    delete_goal(alice, goal.pk)  # to the trash: hidden with the goal, then purged with it
    assert not Baseline.objects.restrict(alice).exists() and not Scenario.objects.restrict(alice).exists()
    from django.utils import timezone

    from backcast.services.goals.trash import purge_expired, retention

    assert purge_expired(timezone.now() + retention()) == 1
    assert not Baseline.objects.exists() and not Scenario.objects.exists()


def test_variance_after_a_slip_a_new_milestone_a_removal_and_a_moved_deadline(alice: User) -> None:
    goal, audit, cards, review = chain(alice)
    baseline = accept_plan(alice, goal.pk, "first plan")
    update_milestone(alice, audit.pk, {"duration": 10})  # the audit slips a week
    delete_milestone(alice, review.pk)
    brief = add_milestone(alice, goal.pk, {"title": "Brief the board", "duration": 1})
    update_goal(alice, goal.pk, {"deadline": D("2031-07-07")})
    goal.refresh_from_db()
    found = variance(goal, baseline, TODAY)
    rows = {m.id: m for m in found.milestones}
    assert rows[audit.pk].change == "kept"
    assert (rows[audit.pk].start_slip, rows[audit.pk].finish_slip) == (0, 5)  # the deadline moved 5 days
    now = rows[audit.pk].after
    assert now is not None and now.finish == D("2031-06-30")
    assert (rows[cards.pk].start_slip, rows[cards.pk].finish_slip) == (5, 5)
    assert rows[review.pk].change == "removed" and rows[review.pk].after is None
    assert rows[review.pk].title == "Review contracts"  # from the baseline: the milestone is gone
    assert rows[brief.pk].change == "added" and rows[brief.pk].before is None
    assert rows[brief.pk].start_slip is None
    assert (found.deadline.before, found.deadline.after, found.deadline.slip) == (
        D("2031-06-30"),
        D("2031-07-07"),
        5,
    )
    assert found.required_start.slip == 0  # a week longer and a week more: the same start
    assert (found.earliest_finish.after, found.earliest_finish.slip) == (D("2031-01-24"), 5)
    assert found.probability_change == 0.0 and found.feasible_after is True
    assert {m.id for m in found.slipped} == {audit.pk, cards.pk, review.pk, brief.pk}
    starts = [(m.after or m.before).start for m in found.milestones]  # type: ignore[union-attr]
    assert starts == sorted(starts)


def test_variance_when_the_goal_can_no_longer_be_planned(alice: User) -> None:
    goal, audit, cards, review = chain(alice)
    baseline = accept_plan(alice, goal.pk, "first plan")
    for m in (audit, cards, review):
        delete_milestone(alice, m.pk)
    found = variance(goal, baseline, TODAY)
    assert "no milestones" in found.plan_error
    assert {m.change for m in found.milestones} == {"removed"}
    assert found.required_start.after is None and found.required_start.slip is None
    assert found.probability_change is None and found.feasible_after is None
    assert found.deadline.slip == 0


def test_the_timeline_view_compares_with_the_latest_baseline_unless_told(alice: User, bob: User) -> None:
    goal, audit, _, _ = chain(alice)
    assert baseline_view(alice, goal, TODAY).chosen is None
    first = accept_plan(alice, goal.pk, "first plan")
    update_milestone(alice, audit.pk, {"duration": 10})
    second = accept_plan(alice, goal.pk, "re-planned")
    kept = baseline_view(alice, goal, TODAY)
    assert kept.baselines == [second, first] and kept.chosen == second and kept.can_accept
    assert kept.variance is not None and kept.variance.required_start.slip == 0
    older = baseline_view(bob, goal, TODAY, 1)
    assert older.chosen == first and not older.can_accept
    assert older.variance is not None and older.variance.required_start.slip == -5
    assert baseline_view(alice, goal, TODAY, 7).chosen is None


def shared_analysts(
    alice: User, acme: Organization
) -> tuple[Goal, Milestone, Milestone, Milestone, Resource]:
    """Two 5-day audits on one analyst, then a 2-day sign-off: levelling puts the audits in a row."""
    analysts = Resource.objects.create(organization=acme, name="Analysts", capacity=1)
    goal = new_goal(alice)
    north = add_milestone(alice, goal.pk, {"title": "Audit north", "duration": 5, "demand": {"Analysts": 1}})
    south = add_milestone(alice, goal.pk, {"title": "Audit south", "duration": 5, "demand": {"Analysts": 1}})
    sign = add_milestone(alice, goal.pk, {"title": "Sign off", "duration": 2, "after": [north.pk, south.pk]})
    return goal, north, south, sign, analysts


def test_a_scenario_compares_finish_start_probability_and_load_without_writing(
    alice: User, acme: Organization
) -> None:
    goal, north, south, sign, analysts = shared_analysts(alice, acme)
    before = list(Milestone.objects.filter(goal=goal).values())
    scenario = create_scenario(
        alice,
        goal.pk,
        {"name": "A second analyst", "changes": {"capacity": [{"resource": "Analysts", "capacity": 2}]}},
    )
    assert scenario.changes["capacity"] == [{"resource": analysts.pk, "capacity": 2}]
    c = compare_scenario(scenario, TODAY)
    assert c.current is not None and c.scenario is not None
    assert (c.current.required_start, c.scenario.required_start) == (D("2031-06-13"), D("2031-06-20"))
    assert (c.current.earliest_finish, c.scenario.earliest_finish) == (D("2031-01-21"), D("2031-01-14"))
    assert (c.required_start_change, c.finish_change) == (5, -5)
    assert c.probability_change == 0.0
    (load,) = c.resources
    assert (load.name, load.capacity_before, load.capacity_after) == ("Analysts", 1, 2)
    assert load.weeks == [D("2031-06-09"), D("2031-06-16"), D("2031-06-23")]
    assert load.before == [1.0, 5.0, 4.0] and load.after == [0.0, 2.0, 8.0]
    moved = {m.id: m for m in c.milestones}
    assert moved[sign.pk].start_slip == 0
    assert {moved[north.pk].start_slip, moved[south.pk].start_slip} == {0, 5}
    assert c.described == ["Analysts: 2 a day"] and not c.stale
    # nothing of the goal was written
    analysts.refresh_from_db()
    assert analysts.capacity == 1
    assert list(Milestone.objects.filter(goal=goal).values()) == before


def test_a_scenario_with_estimates_changes_the_probability(alice: User, acme: Organization) -> None:
    goal = new_goal(alice, start=D("2031-06-02"))
    risky = add_milestone(alice, goal.pk, {"title": "Pilot", "estimate": [10, 15, 30]})
    scenario = create_scenario(
        alice,
        goal.pk,
        {"name": "Tighter pilot", "changes": {"milestones": [{"id": risky.pk, "estimate": [10, 12, 14]}]}},
    )
    assert scenario.changes["milestones"] == [{"id": risky.pk, "estimate": [10, 12, 14]}]
    c = compare_scenario(scenario, TODAY)
    assert c.current is not None and c.scenario is not None
    assert c.current.probability_on_time is not None and c.scenario.probability_on_time is not None
    assert c.scenario.probability_on_time > c.current.probability_on_time
    assert c.probability_change == pytest.approx(
        c.scenario.probability_on_time - c.current.probability_on_time
    )
    assert c.described == ["“Pilot”: estimate 10-12-14 working days"]


def test_adopting_applies_every_change_and_keeps_the_plan_as_a_baseline(
    alice: User, acme: Organization
) -> None:
    goal, north, south, sign, analysts = shared_analysts(alice, acme)
    scenario = create_scenario(
        alice,
        goal.pk,
        {
            "name": "Crew up and prepare",
            "changes": {
                "capacity": [{"resource": analysts.pk, "capacity": 2}],
                "milestones": [{"id": sign.pk, "duration": 3}],
                "add": [
                    {
                        "title": "Collect data",
                        "duration": 4,
                        "before": [north.pk, south.pk],
                        "demand": {"Analysts": 2},
                    }
                ],
                "deadline": "2031-07-31",
            },
        },
    )
    expected = compare_scenario(scenario, TODAY).scenario
    assert expected is not None
    baseline = adopt_scenario(alice, scenario.pk)
    assert baseline.reason == "adopted scenario Crew up and prepare" and baseline.number == 1
    assert (baseline.required_start, baseline.earliest_finish) == (
        expected.required_start,
        expected.earliest_finish,
    )
    analysts.refresh_from_db()
    goal.refresh_from_db()
    sign.refresh_from_db()
    assert (analysts.capacity, goal.deadline, sign.duration) == (2, D("2031-07-31"), 3)
    collect = Milestone.objects.get(goal=goal, title="Collect data")
    assert set(Dependency.objects.filter(predecessor=collect).values_list("successor_id", flat=True)) == {
        north.pk,
        south.pk,
    }
    assert collect.demands.get().units == 2
    assert not Scenario.objects.exists()


def test_a_failing_change_adopts_nothing(alice: User, acme: Organization) -> None:
    goal, north, south, sign, analysts = shared_analysts(alice, acme)
    crew = Resource.objects.create(organization=acme, name="Crew", capacity=2)
    scenario = create_scenario(
        alice,
        goal.pk,
        {
            "name": "Lean",
            "changes": {
                "deadline": "2031-05-30",
                "remove": [south.pk],
                "capacity": [{"resource": crew.pk, "capacity": 1}],
                "milestones": [{"id": sign.pk, "duration": 1}],
            },
        },
    )
    other = new_goal(alice, title="Cut lead time to 5 days")
    add_milestone(alice, other.pk, {"title": "Rebuild the dock", "duration": 5, "demand": {"Crew": 2}})
    with pytest.raises(InvalidInput) as fault:
        adopt_scenario(alice, scenario.pk)
    assert fault.value.field == "changes"
    assert "capacity of Crew" in fault.value.message and "Rebuild the dock" in fault.value.message
    goal.refresh_from_db()
    sign.refresh_from_db()
    crew.refresh_from_db()
    assert goal.deadline == D("2031-06-30")  # changed first, rolled back
    assert Milestone.objects.filter(pk=south.pk).exists()
    assert (sign.duration, crew.capacity) == (2, 2)
    assert not Baseline.objects.exists()
    assert Scenario.objects.filter(pk=scenario.pk).exists()


def test_a_stale_scenario_is_shown_but_cannot_be_adopted(alice: User) -> None:
    goal, audit, cards, review = chain(alice)
    scenario = create_scenario(
        alice,
        goal.pk,
        {"name": "Short review", "changes": {"milestones": [{"id": review.pk, "duration": 1}]}},
    )
    delete_milestone(alice, review.pk)
    c = compare_scenario(scenario, TODAY)
    assert c.stale == [f"milestone {review.pk} (to change) is no longer in this goal"]
    assert c.finish_change == 0
    with pytest.raises(InvalidInput, match="no longer in this goal"):
        adopt_scenario(alice, scenario.pk)
    discard_scenario(alice, scenario.pk)
    assert not Scenario.objects.exists()


def test_removing_a_milestone_removes_its_parts(alice: User) -> None:
    goal, audit, cards, review = chain(alice)
    part = add_milestone(alice, goal.pk, {"title": "Audit the north", "duration": 2})
    update_milestone(alice, part.pk, {"parent": audit.pk})
    scenario = create_scenario(alice, goal.pk, {"name": "No audit", "changes": {"remove": [audit.pk]}})
    c = compare_scenario(scenario, TODAY)
    removed = {m.id for m in c.milestones if m.change == "removed"}
    assert removed == {audit.pk, part.pk}
    assert c.notes == ["'Audit the north' goes too: it is part of a milestone removed"]
    with pytest.raises(InvalidInput, match="removed with the milestone it is part of"):
        create_scenario(
            alice,
            goal.pk,
            {
                "name": "Both",
                "changes": {"remove": [audit.pk], "milestones": [{"id": part.pk, "duration": 1}]},
            },
        )
    adopt_scenario(alice, scenario.pk)
    assert set(Milestone.objects.filter(goal=goal).values_list("pk", flat=True)) == {cards.pk, review.pk}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"milestones": [{"id": 0, "duration": 3}]}, "changes.milestones[0].id", "no milestone 0"),
        ({"milestones": [{"id": "AUDIT", "duration": -1}]}, "changes.milestones[0].duration", "whole number"),
        ({"milestones": [{"id": "AUDIT"}]}, "changes.milestones[0].duration", "give a duration"),
        (
            {"milestones": [{"id": "AUDIT", "estimate": [5, 3, 8]}]},
            "changes.milestones[0].estimate",
            "ordered",
        ),
        ({"milestones": ["AUDIT"]}, "changes.milestones[0]", "must be an object"),
        (
            {"milestones": [{"id": "AUDIT", "duration": 1}, {"id": "AUDIT", "duration": 2}]},
            "changes.milestones[1].id",
            "changed twice",
        ),
        (
            {"remove": ["AUDIT"], "milestones": [{"id": "AUDIT", "duration": 1}]},
            "changes.milestones[0].id",
            "removed too",
        ),
        ({"remove": ["AUDIT", "AUDIT"]}, "changes.remove[1]", "twice"),
        ({"remove": "AUDIT"}, "changes.remove", "must be a list"),
        ({"add": [{"duration": 3}]}, "changes.add[0].title", "empty"),
        ({"add": [{"title": "Train"}]}, "changes.add[0].duration", "give a duration"),
        (
            {"add": [{"title": "Train", "duration": 2, "after": [0]}]},
            "changes.add[0].after[0]",
            "no milestone",
        ),
        (
            {"add": [{"title": "Train", "duration": 2, "after": ["AUDIT"], "before": ["AUDIT"]}]},
            "changes.add[0].before",
            "both before and after",
        ),
        (
            {"remove": ["AUDIT"], "add": [{"title": "Train", "duration": 2, "after": ["AUDIT"]}]},
            "changes.add[0].after[0]",
            "removed in this scenario",
        ),
        (
            {"add": [{"title": "Train", "duration": 2, "demand": {"Analysts": 3}}]},
            "changes.add[0].demand.Analysts",
            "above Analysts's capacity of 2",
        ),
        (
            {"add": [{"title": "Train", "duration": 2, "demand": {"Pilots": 1}}]},
            "changes.add[0].demand.Pilots",
            "no resource",
        ),
        ({"add": [{"title": "Train", "duration": 2, "demand": ["x"]}]}, "changes.add[0].demand", "must map"),
        (
            {"add": [{"title": "Train", "duration": 2, "demand": {"Analysts": 1.5}}]},
            "changes.add[0].demand.Analysts",
            "whole",
        ),
        ({"add": ["Train"]}, "changes.add[0]", "must be an object"),
        (
            {"capacity": [{"resource": "Pilots", "capacity": 2}]},
            "changes.capacity[0].resource",
            "no resource",
        ),
        ({"capacity": [{"resource": True, "capacity": 2}]}, "changes.capacity[0].resource", "no resource"),
        ({"capacity": [{"resource": "Analysts", "capacity": -2}]}, "changes.capacity[0].capacity", "whole"),
        (
            {"capacity": [{"resource": "Analysts", "capacity": 3}, {"resource": "Analysts", "capacity": 4}]},
            "changes.capacity[1].resource",
            "twice",
        ),
        ({"capacity": [{"resource": "Analysts", "capacity": 1}]}, "changes.capacity[0].capacity", "needs 2"),
        ({"capacity": [3]}, "changes.capacity[0]", "must be an object"),
        ({"deadline": "soon"}, "changes.deadline", "must be a date"),
        ({"start": 20310101}, "changes.start", "must be a date"),
        ({"deadline": "2030-12-31"}, "changes.deadline", "before the start"),
        ({"tea": "earl grey"}, "changes", "unknown change 'tea'"),
        ([1, 2], "changes", "must be an object"),
        (
            {"remove": ["AUDIT", "CARDS", "REVIEW"]},
            "changes",
            "cannot be planned: the plan has no milestones",
        ),
        (
            {"add": [{"title": "Loop", "duration": 2, "after": ["CARDS"], "before": ["AUDIT"]}]},
            "changes",
            "cycle",
        ),
    ],
)
def test_scenario_faults_name_the_change(
    alice: User, acme: Organization, changes: Any, field: str, words: str
) -> None:
    goal, audit, cards, review = chain(alice)
    analysts = Resource.objects.create(organization=acme, name="Analysts", capacity=2)
    update_milestone(alice, review.pk, {"demand": {"Analysts": 2}})
    ids = {"AUDIT": audit.pk, "CARDS": cards.pk, "REVIEW": review.pk}

    def real(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: real(v) for k, v in value.items()}
        if isinstance(value, list):
            return [real(v) for v in value]
        return ids.get(value, value) if isinstance(value, str) else value

    with pytest.raises(InvalidInput) as fault:
        create_scenario(alice, goal.pk, {"name": "Faulty", "changes": real(changes)})
    assert fault.value.field == field
    assert words in fault.value.message
    assert not Scenario.objects.exists()
    assert Resource.objects.get(pk=analysts.pk).capacity == 2


def test_scenario_names_and_rights(alice: User, bob: User, carol: User, charlie: User) -> None:
    goal, _, _, _ = chain(alice)
    scenario = create_scenario(alice, goal.pk, {"name": "As is", "changes": None})
    assert scenario.changes == {
        "milestones": [],
        "add": [],
        "remove": [],
        "capacity": [],
        "deadline": None,
        "start": None,
    }
    assert scenario.created_by == alice
    with pytest.raises(InvalidInput) as fault:
        create_scenario(alice, goal.pk, {"name": "as IS"})
    assert fault.value.field == "name"
    with pytest.raises(InvalidInput) as fault:
        create_scenario(alice, goal.pk, {"name": " "})
    assert fault.value.field == "name"
    with pytest.raises(PermissionDenied):
        create_scenario(bob, goal.pk, {"name": "Viewer's"})
    with pytest.raises(PermissionDenied):
        adopt_scenario(carol, scenario.pk)
    with pytest.raises(PermissionDenied):
        discard_scenario(bob, scenario.pk)
    with pytest.raises(Http404):
        create_scenario(charlie, goal.pk, {"name": "Outsider's"})
    with pytest.raises(Http404):
        adopt_scenario(charlie, scenario.pk)
    with pytest.raises(Http404):
        discard_scenario(charlie, scenario.pk)
    assert Scenario.objects.count() == 1 and not Baseline.objects.exists()
