"""Plans and health of many goals at once must be exactly what the one-goal services compute."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from backcast.accounts.models import User
from backcast.goals.models import Checkpoint, Goal, Milestone
from backcast.organizations.models import Organization
from backcast.planning.calendar import WorkCalendar
from backcast.services.platform.demo import load_demo
from backcast.services.reporting import assessment
from backcast.services.reporting.plans import build_plan, goal_plan
from backcast.services.reporting.portfolio import gather_many, goal_health, remaining_start, slack_left

TODAY = date(2027, 1, 4)  # a Monday


def demo_goals() -> list[Goal]:
    login = load_demo(TODAY)
    assert login is not None
    goals = list(Goal.objects.filter(organization__name=login.organization).order_by("pk"))
    first = Milestone.objects.filter(goal=goals[1]).order_by("pk").last()
    assert first is not None
    first.pinned_finish = goals[1].deadline - timedelta(days=30)  # an interim deadline
    first.save()
    kpi = goals[2].kpis.order_by("pk").first()
    assert kpi is not None
    Checkpoint.objects.create(kpi=kpi, date=TODAY + timedelta(days=10), value=kpi.target)
    return goals


def test_bulk_plans_are_the_plans_of_the_one_goal_service(db: Any) -> None:
    goals = demo_goals()
    facts = gather_many(goals, TODAY)
    for goal in goals:
        plan, ids = build_plan(goal, TODAY)
        assert facts[goal.pk].plan == plan
        assert repr(facts[goal.pk].plan) == repr(plan)  # so both share one cache entry
        if not goal.milestones.exists():
            assert facts[goal.pk].result is None and facts[goal.pk].plan_error
            continue
        result = goal_plan(goal, TODAY).result
        assert facts[goal.pk].result == result
        assert facts[goal.pk].planned == {ids[m.id]: m for m in result.milestones}


def test_bulk_health_is_the_health_of_the_one_goal_service(db: Any) -> None:
    goals = demo_goals()
    facts = gather_many(goals, TODAY)
    for goal in goals:
        confidence = goal.checkins.order_by("-created_at", "-pk").values_list("confidence", flat=True).first()
        assert goal_health(facts[goal.pk], TODAY, confidence) == assessment.goal_health(goal, TODAY)


def test_gathering_takes_the_same_queries_for_any_number_of_goals(
    db: Any, django_assert_num_queries: Any
) -> None:
    goals = demo_goals()
    with django_assert_num_queries(6):
        gather_many(goals[:1], TODAY)
    with django_assert_num_queries(6):
        gather_many(goals, TODAY)
    with django_assert_num_queries(3):
        gather_many(goals, TODAY, with_kpis=False)
    with django_assert_num_queries(0):
        assert gather_many([], TODAY) == {}


@pytest.fixture
def week_goal(acme: Organization, alice: User) -> Goal:
    """Two five-day milestones in a row, ending on Friday 29 January 2027."""
    goal = Goal.objects.create(
        organization=acme, title="Ship the pilot", deadline=date(2027, 1, 29), start=date(2027, 1, 4)
    )
    first = Milestone.objects.create(goal=goal, title="Prepare", duration=5)
    second = Milestone.objects.create(goal=goal, title="Run", duration=5)
    second.predecessor_links.create(predecessor=first)
    return goal


def test_slack_left_is_measured_from_today_to_the_latest_start(week_goal: Goal) -> None:
    # Backward from Friday 29 January: Run 25-29 Jan, Prepare 18-22 Jan.
    f = gather_many([week_goal], TODAY)[week_goal.pk]
    slack = slack_left(f, TODAY)
    assert slack is not None
    assert slack[0] == 10  # 4 Jan .. 15 Jan: ten working days before Prepare must begin
    assert slack[1].title == "Prepare"
    late = slack_left(f, date(2027, 1, 20))
    assert late is not None and late[0] == -2  # Prepare should have begun on Monday 18th


def test_work_in_progress_counts_what_is_left(week_goal: Goal) -> None:
    prepare = week_goal.milestones.get(title="Prepare")
    prepare.status, prepare.actual_start = "in_progress", date(2027, 1, 11)
    prepare.save()
    f = gather_many([week_goal], TODAY)[week_goal.pk]
    cal = WorkCalendar()
    # On 13 Jan two working days are used, three are left: they may begin as late as 20 Jan.
    assert remaining_start(prepare, f.planned[prepare.pk], cal, date(2027, 1, 13)) == date(2027, 1, 20)
    slack = slack_left(f, date(2027, 1, 13))
    assert slack is not None and slack[0] == 5
    Milestone.objects.filter(goal=week_goal).update(status="done")
    assert slack_left(gather_many([week_goal], TODAY)[week_goal.pk], TODAY) is None
