"""Stored goal summaries are never stale: every write moves the goal's stamp, and a moved stamp,
a new day or new code computes the summary again, exactly as the one-goal services judge it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from backcast.accounts.models import User
from backcast.goals import stamps
from backcast.goals.models import (
    KPI,
    CheckIn,
    Checkpoint,
    Demand,
    Dependency,
    Goal,
    GoalStamp,
    GoalSummary,
    Milestone,
    Reading,
    Resource,
)
from backcast.organizations.models import Organization
from backcast.services.goals.kpis import ReadingIn, record_readings
from backcast.services.goals.milestones import update_milestone
from backcast.services.platform.clock import org_today
from backcast.services.reporting import assessment, portfolio
from backcast.services.reporting.portfolio import Summary, summaries
from backcast.services.reporting.progress import goal_progress
from tests.web.plan_data import objective, template_goal


def stamp(goal: Goal) -> int:
    return GoalStamp.objects.filter(goal=goal).values_list("stamp", flat=True).first() or 0


@pytest.fixture
def goal(acme: Organization) -> Goal:
    goal = Goal.objects.create(organization=acme, title="Cut scrap", deadline=date(2031, 6, 30))
    first = Milestone.objects.create(goal=goal, title="Measure", duration=5)
    second = Milestone.objects.create(goal=goal, title="Fix", duration=5)
    Dependency.objects.create(predecessor=first, successor=second)
    crew = Resource.objects.create(organization=acme, name="Crew", capacity=2)
    Demand.objects.create(milestone=first, resource=crew, units=1)
    kpi = KPI.objects.create(goal=goal, name="Scrap", unit="%", direction="decrease", baseline=9, target=3)
    Reading.objects.create(kpi=kpi, date=date(2026, 1, 5), value=8)
    Checkpoint.objects.create(kpi=kpi, date=date(2029, 1, 1), value=6)
    CheckIn.objects.create(goal=goal, status="on_track", confidence=7)
    return goal


def first_milestone(goal: Goal) -> Milestone:
    return Milestone.objects.filter(goal=goal).order_by("pk")[0]


WRITES: dict[str, Callable[[Goal], Any]] = {
    "goal saved": lambda g: Goal.objects.filter(pk=g.pk).update(deadline=date(2031, 7, 31)),
    "milestone added": lambda g: Milestone.objects.create(goal=g, title="Audit", duration=2),
    "milestones added in bulk": lambda g: Milestone.objects.bulk_create(
        [Milestone(goal=g, title="A", duration=1)]
    ),
    "milestone changed": lambda g: Milestone.objects.filter(goal=g).update(status="done"),
    "milestone deleted": lambda g: Milestone.objects.filter(goal=g).order_by("-pk")[0].delete(),
    "dependency added in bulk": lambda g: Dependency.objects.bulk_create(
        [Dependency(predecessor=first_milestone(g), successor=Milestone.objects.create(goal=g, title="B"))]
    ),
    "dependency changed": lambda g: Dependency.objects.filter(successor__goal=g).update(lag=3),
    "dependency deleted": lambda g: Dependency.objects.filter(successor__goal=g).delete(),
    "demand changed": lambda g: Demand.objects.filter(milestone__goal=g).update(units=2),
    "demand deleted": lambda g: Demand.objects.filter(milestone__goal=g).delete(),
    "capacity changed": lambda g: Resource.objects.filter(name="Crew").update(capacity=3),
    "kpi added": lambda g: KPI.objects.create(goal=g, name="Yield", unit="%", target=99),
    "kpi changed": lambda g: KPI.objects.filter(goal=g).update(target=2),
    "readings added in bulk": lambda g: Reading.objects.bulk_create(
        [Reading(kpi=KPI.objects.get(goal=g), date=date(2026, 2, 2), value=7)]
    ),
    "reading changed": lambda g: Reading.objects.filter(kpi__goal=g).update(value=1),
    "reading deleted": lambda g: Reading.objects.filter(kpi__goal=g).delete(),
    "checkpoint changed": lambda g: Checkpoint.objects.filter(kpi__goal=g).update(value=5),
    "checkpoint deleted": lambda g: Checkpoint.objects.filter(kpi__goal=g).delete(),
    "check-in posted": lambda g: CheckIn.objects.create(goal=g, status="at_risk", confidence=3),
    "check-in deleted": lambda g: CheckIn.objects.filter(goal=g).delete(),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_to_a_goals_rows_moves_its_stamp_and_no_other(
    write: str, goal: Goal, acme: Organization
) -> None:
    other = Goal.objects.create(organization=acme, title="Other", deadline=date(2031, 6, 30))
    Milestone.objects.create(goal=other, title="Elsewhere", duration=1)
    before, other_before = stamp(goal), stamp(other)
    stamps.forget(connection)  # as a new transaction: PostgreSQL bumps a goal once a transaction
    WRITES[write](goal)
    assert stamp(goal) > before
    assert stamp(other) == other_before


def test_a_transaction_bumps_a_goal_once_until_summaries_are_stored(goal: Goal) -> None:
    stamps.forget(connection)
    before = stamp(goal)
    for day in range(1, 6):
        Reading.objects.create(kpi=KPI.objects.get(goal=goal), date=date(2026, 3, day), value=day)
    bumps = stamp(goal) - before
    assert bumps == (1 if connection.vendor == "postgresql" else 5)  # SQLite has no transaction state
    stamps.forget(connection)
    CheckIn.objects.create(goal=goal, status="on_track", confidence=8)
    assert stamp(goal) == before + bumps + 1


def test_a_goal_deleted_with_its_rows_leaves_at_most_an_orphan_stamp(goal: Goal) -> None:
    pk = goal.pk
    goal.delete()
    assert not Goal.objects.filter(pk=pk).exists()
    stamps.install(connection)  # what every migrate does: orphans are purged
    assert not GoalStamp.objects.filter(goal_id=pk).exists()


def test_without_the_triggers_nothing_moves_and_installing_them_moves_every_stamp(goal: Goal) -> None:
    stamps.drop(connection)
    try:
        before = stamp(goal)
        stamps.forget(connection)
        Milestone.objects.filter(goal=goal).update(duration=9)
        assert stamp(goal) == before
    finally:
        stamps.install(connection)
    assert stamp(goal) == before + 1  # anything may have changed meanwhile
    stamps.forget(connection)
    Milestone.objects.filter(goal=goal).update(duration=8)
    assert stamp(goal) > before + 1


def test_a_migrate_with_nothing_to_apply_keeps_the_triggers_and_the_stamps(goal: Goal) -> None:
    before = stamp(goal)
    call_command("migrate", verbosity=0)
    assert stamp(goal) == before
    stamps.forget(connection)
    CheckIn.objects.create(goal=goal, status="at_risk", confidence=4)
    assert stamp(goal) == before + 1


def one(acme: Organization, alice: User, today: date) -> Summary:
    (found,) = [
        s
        for s in summaries(Goal.objects.restrict(alice).filter(organization=acme), today)
        if s.level == "goal"
    ]
    return found


def test_a_summary_is_the_one_goal_services_verdict_and_follows_every_change(
    acme: Organization, alice: User, carol: User
) -> None:
    today = org_today(acme)
    goal = template_goal(alice, acme, "supply-chain", parent=objective(acme, alice, today))

    def expected() -> tuple[str, float | None]:
        return assessment.goal_health(goal, today).status, goal_progress([goal])[goal.pk]

    summary = one(acme, alice, today)
    assert (summary.status, summary.progress) == expected()
    assert GoalSummary.objects.get(goal=goal).stamp == stamp(goal)

    kpi = goal.kpis.order_by("pk")[0]
    assert kpi.baseline is not None
    record_readings(alice, kpi.pk, [ReadingIn(today, kpi.baseline - (kpi.target - kpi.baseline))])
    changed = one(acme, alice, today)
    assert (changed.status, changed.progress) == expected()
    assert changed.progress != summary.progress

    step = Summary.upcoming(changed.next_due)[0]
    update_milestone(alice, step.milestone_id, {"status": "done"})
    after = one(acme, alice, today)
    assert step.milestone_id not in {u.milestone_id for u in Summary.upcoming(after.next_due)}
    assert after.status == assessment.goal_health(goal, today).status


def test_a_new_day_or_new_code_computes_the_summaries_again(
    acme: Organization, alice: User, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    today = org_today(acme)
    template_goal(alice, acme, "manufacturing")
    one(acme, alice, today)
    with django_assert_max_num_queries(1):  # stored: nothing computed
        one(acme, alice, today)
    tomorrow = one(acme, alice, today + timedelta(days=1))
    assert GoalSummary.objects.get().day == today + timedelta(days=1)
    monkeypatch.setattr(portfolio, "SUMMARY_VERSION", portfolio.SUMMARY_VERSION + 1)
    assert one(acme, alice, today + timedelta(days=1)) == tomorrow
    assert GoalSummary.objects.get().version == portfolio.SUMMARY_VERSION


def test_a_summary_labelled_with_an_older_stamp_is_computed_again(acme: Organization, alice: User) -> None:
    today = org_today(acme)
    goal = template_goal(alice, acme, "customer-service", history=False)
    one(acme, alice, today)
    GoalSummary.objects.filter(goal=goal).update(stamp=stamp(goal) - 1, status="off_track")  # raced
    assert one(acme, alice, today).status == assessment.goal_health(goal, today).status != "off_track"
    assert GoalSummary.objects.get(goal=goal).stamp == stamp(goal)


def test_the_worker_computes_the_days_summaries_before_anyone_opens_the_dashboard(
    acme: Organization, alice: User, django_assert_max_num_queries: Any
) -> None:
    """A tick computes at most its batch; the next ones finish; then the dashboard reads only."""
    from datetime import UTC, datetime

    today = org_today(acme)
    goals = [template_goal(alice, acme, kind, history=False) for kind in ("manufacturing", "supply-chain")]
    every = Goal.objects.filter(organization=acme)  # with the objectives the templates serve
    moment = datetime.now(UTC)
    assert portfolio.refresh_stale(moment, batch=1) == 1
    assert portfolio.refresh_stale(moment, batch=100) == every.count() - 1
    assert portfolio.refresh_stale(moment, batch=100) == 0
    assert {s.goal_id: s.day for s in GoalSummary.objects.all()} == {g.pk: today for g in every}
    with django_assert_max_num_queries(1):  # stored: nothing computed in the request
        summaries(every, today)
    Milestone.objects.filter(goal=goals[0]).update(duration=3)  # a write makes that one stale
    assert portfolio.refresh_stale(moment) == 1


def test_a_goal_has_at_most_its_limit_of_kpis(
    acme: Organization, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backcast import limits
    from backcast.services.goals.kpis import add_kpi
    from backcast.services.platform.errors import InvalidInput

    goal = Goal.objects.create(organization=acme, title="Cut scrap", deadline=date(2031, 6, 30))
    monkeypatch.setattr(limits, "GOAL_KPIS", 2)
    for name in ("Scrap", "Yield"):
        add_kpi(alice, goal.pk, {"name": name, "unit": "%", "target": 90})
    with pytest.raises(InvalidInput, match="a goal may have at most 2 KPIs; this one has 2 already"):
        add_kpi(alice, goal.pk, {"name": "OEE", "unit": "%", "target": 85})
    assert KPI.objects.filter(goal=goal).count() == 2
