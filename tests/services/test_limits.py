"""The limits of ``backcast.limits`` held by the services themselves, whatever interface calls them.

The limits are lowered here (they are read when a check runs), so a goal at its limit takes a few
rows rather than thousands.
"""

from __future__ import annotations

import io
from datetime import date

import pytest

from backcast import limits
from backcast.accounts.models import User
from backcast.goals.models import KPI, Goal, Milestone, Reading
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from backcast.services.goals.milestones import (
    add_dependency,
    add_milestone,
    delete_milestone,
    update_milestone,
)
from backcast.services.goals.trash import restore_milestone
from backcast.services.intake.imports import import_readings
from backcast.services.platform.errors import InvalidInput

pytestmark = pytest.mark.db


@pytest.fixture
def goal(alice: User) -> Goal:
    return create_goal(
        alice, {"title": "Raise OTD to 95%", "start": date(2031, 1, 6), "deadline": date(2031, 6, 30)}
    )


@pytest.fixture
def kpi(alice: User, goal: Goal) -> KPI:
    return add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})


def step(alice: User, goal: Goal, title: str, **data: object) -> Milestone:
    return add_milestone(alice, goal.pk, {"title": title, "duration": 1, **data})


def test_deleting_and_restoring_cannot_grow_a_goal_past_its_milestone_limit(
    alice: User, goal: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "GOAL_MILESTONES", 2)
    audit = step(alice, goal, "Audit")
    step(alice, goal, "Scorecards")
    with pytest.raises(InvalidInput, match=r"^a goal may have at most 2 milestones; this one has 2 already$"):
        step(alice, goal, "Rollout")
    delete_milestone(alice, audit.pk)
    step(alice, goal, "Rollout")  # room again while the audit is in the trash
    with pytest.raises(InvalidInput, match=r"would give its goal 3 milestones, more than the 2") as refused:
        restore_milestone(alice, audit.pk)
    assert refused.value.field == "milestone"
    assert Milestone.objects.filter(goal=goal).count() == 2


def test_a_goal_already_past_the_limit_still_gets_back_what_was_deleted(
    alice: User, goal: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = step(alice, goal, "Audit")
    step(alice, goal, "Scorecards")
    step(alice, goal, "Rollout")
    delete_milestone(alice, audit.pk)
    monkeypatch.setattr(limits, "GOAL_MILESTONES", 1)  # as a goal made before the limits
    restore_milestone(alice, audit.pk)
    assert Milestone.objects.filter(goal=goal).count() == 3


def test_links_stop_at_the_goal_dependency_limit_on_every_way_in(
    alice: User, goal: Goal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "GOAL_DEPENDENCIES", 2)
    audit = step(alice, goal, "Audit")
    cards = step(alice, goal, "Scorecards", after=[audit.pk])
    rollout = step(alice, goal, "Rollout", after=[cards.pk])
    with pytest.raises(InvalidInput, match="at most 2 dependencies; this one would have 3") as refused:
        add_dependency(alice, goal.pk, {"predecessor": audit.pk, "successor": rollout.pk})
    assert refused.value.field == "predecessor"
    with pytest.raises(InvalidInput, match="at most 2 dependencies; this one would have 3") as refused:
        update_milestone(alice, rollout.pk, {"after": [audit.pk, cards.pk]})
    assert refused.value.field == "after"
    update_milestone(alice, rollout.pk, {"after": [audit.pk]})  # replacing a link is no growth


def test_a_batch_of_readings_past_the_limit_is_refused_before_it_is_read(
    alice: User, kpi: KPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "READINGS_PER_REQUEST", 2)
    batch = [ReadingIn(date(2026, 1, 5 + i), 80.0 + i) for i in range(3)]
    with pytest.raises(
        InvalidInput, match=r"^readings: at most 2 readings in one request, not 3: send them in batches"
    ):
        record_readings(alice, kpi.pk, batch)
    assert record_readings(alice, kpi.pk, batch[:2]).created == 2


def test_a_file_past_the_row_limit_is_refused_whole(
    alice: User, kpi: KPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "IMPORT_ROWS", 3)
    four = b"date,value\n2026-01-05,81\n2026-01-12,82\n2026-01-19,83\n2026-01-26,84\n"
    with pytest.raises(
        InvalidInput, match="has more than 3 readings: split it into files of at most 3"
    ) as refused:
        import_readings(alice, kpi.pk, io.BytesIO(four), "otd.csv")
    assert refused.value.field == "otd.csv"
    assert not Reading.objects.exists()
    faulty = b"date,value\n2026-01-05,x\n2026-01-12,x\n2026-01-19,x\n2026-01-26,x\n"
    with pytest.raises(InvalidInput, match="has more than 3 readings"):  # faulty rows count too
        import_readings(alice, kpi.pk, io.BytesIO(faulty), "otd.csv")
    three = b"date,value\n2026-01-05,81\n2026-01-12,82\n2026-01-19,83\n"
    assert import_readings(alice, kpi.pk, io.BytesIO(three), "otd.csv").created == 3
