"""Deleting a goal or milestone is undoable for 30 days: hidden everywhere, restored intact, then purged."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from backcast.accounts.models import User
from backcast.activity.context import acting_as
from backcast.activity.models import Event
from backcast.goals import stamps
from backcast.goals.models import KPI, CheckIn, Demand, Dependency, Goal, GoalStamp, Milestone, Reading
from backcast.organizations.models import Organization
from backcast.services.goals.checkins import post_checkin
from backcast.services.goals.goals import create_goal, delete_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, record_readings
from backcast.services.goals.milestones import (
    add_dependency,
    add_milestone,
    delete_milestone,
    update_milestone,
)
from backcast.services.goals.resources import create_resource
from backcast.services.goals.trash import purge_expired, restore_goal, restore_milestone, trash_of
from backcast.services.platform.errors import InvalidInput
from backcast.services.reporting.plans import load_rows
from backcast.services.reporting.progress import goal_progress

START, DEADLINE = date(2031, 1, 6), date(2031, 6, 30)
THIRTY_DAYS = timedelta(days=30)  # TRASH_RETENTION_DAYS unset


@pytest.fixture
def planned(alice: User, acme: Organization) -> tuple[Goal, Milestone, Milestone, Milestone]:
    """Audit, then scorecards (after audit, using analysts), then review (after scorecards)."""
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": DEADLINE, "start": START})
    create_resource(alice, acme.slug, {"name": "analysts", "capacity": 2})
    audit = add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5})
    cards = add_milestone(
        alice, goal.pk, {"title": "Scorecards", "duration": 5, "after": [audit.pk], "demand": {"analysts": 1}}
    )
    review = add_milestone(alice, goal.pk, {"title": "Review", "duration": 2, "after": [cards.pk]})
    return goal, audit, cards, review


def stamp(goal: Goal) -> int:
    row = GoalStamp.objects.filter(goal_id=goal.pk).first()
    return row.stamp if row else 0


def test_a_deleted_milestone_drops_out_of_the_plan_with_its_links_and_demand(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, cards, review = planned
    stamps.forget(connection)  # PostgreSQL bumps a goal once a transaction, and a test is one
    before = stamp(goal)
    with acting_as(alice):
        delete_milestone(alice, cards.pk)
    assert stamp(goal) > before  # the summary of the goal is stale: the dashboard recomputes it
    milestones, links, demands = load_rows(goal)
    assert [m.title for m in milestones] == ["Audit", "Review"]
    assert links == [] and demands == []
    assert not Milestone.objects.filter(pk=cards.pk).exists()
    assert not Dependency.objects.filter(successor=review).exists()
    assert list(goal.milestones.all()) == [audit, review]  # related managers hide it too
    trashed = Milestone.all_objects.get(pk=cards.pk)
    assert trashed.deleted_at is not None and trashed.deleted_by == alice
    (event,) = Event.objects.filter(action="deleted", object_type="milestone")
    assert (event.actor, event.object_id, event.goal_id) == (alice, cards.pk, goal.pk)


def test_a_restored_milestone_comes_back_with_its_links_and_demand(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, _, cards, review = planned
    before = load_rows(goal)
    delete_milestone(alice, cards.pk)
    with acting_as(alice):
        restored = restore_milestone(alice, cards.pk)
    assert restored.deleted_at is None
    after = load_rows(goal)
    assert [m.pk for m in after[0]] == [m.pk for m in before[0]]
    assert after[1] == before[1]
    assert [(d.milestone_id, d.resource_id, d.units) for d in after[2]] == [
        (d.milestone_id, d.resource_id, d.units) for d in before[2]
    ]
    assert Event.objects.filter(action="restored", object_id=cards.pk, actor=alice).exists()
    with pytest.raises(InvalidInput, match="not in the trash"):
        restore_milestone(alice, cards.pk)


def test_sub_milestones_go_and_come_back_with_their_parent(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, _, _ = planned
    part = add_milestone(alice, goal.pk, {"title": "Audit part", "duration": 1, "parent": audit.pk})
    delete_milestone(alice, audit.pk)
    assert not Milestone.objects.filter(pk=part.pk).exists()
    _, items = trash_of(alice, goal.organization.slug)
    assert [(i.kind, i.title) for i in items] == [("milestone", "Audit")]  # the part comes back with it
    with pytest.raises(InvalidInput, match="restore that first"):
        restore_milestone(alice, part.pk)
    restore_milestone(alice, audit.pk)
    assert Milestone.objects.filter(pk=part.pk).exists()


def test_restoring_a_milestone_of_a_goal_in_the_trash_is_refused_clearly(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, _, _ = planned
    delete_milestone(alice, audit.pk)
    delete_goal(alice, goal.pk)
    with pytest.raises(
        InvalidInput, match="its goal 'Raise OTD to 95%' is in the trash: restore the goal first"
    ):
        restore_milestone(alice, audit.pk)
    restore_goal(alice, goal.pk)
    restore_milestone(alice, audit.pk)
    assert Milestone.objects.filter(goal=goal).count() == 3


def test_a_restore_that_would_close_a_cycle_is_refused(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, cards, review = planned
    delete_milestone(alice, cards.pk)  # audit -> (cards) -> review
    add_dependency(alice, goal.pk, {"predecessor": review.pk, "successor": audit.pk})  # review -> audit
    with pytest.raises(InvalidInput, match="would close a cycle"):
        restore_milestone(alice, cards.pk)
    assert Milestone.all_objects.get(pk=cards.pk).deleted_at is not None


def test_a_deleted_goal_is_hidden_everywhere_and_restored_intact(
    alice: User, bob: User, acme: Organization, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, _, _ = planned
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    record_readings(alice, kpi.pk, [ReadingIn(START, 81.0, "a")])
    post_checkin(alice, goal.pk, {"status": "on_track", "confidence": 7, "milestone": audit.pk})
    child = create_goal(alice, {"title": "Carrier scorecards", "deadline": DEADLINE, "parent": goal.pk})
    delete_goal(alice, goal.pk)

    assert list(Goal.objects.restrict(bob)) == [child]
    assert not Milestone.objects.filter(goal_id=goal.pk).exists()
    for model in (KPI, Reading, CheckIn, Dependency, Demand):
        assert not model.objects.restrict(alice).exists(), model
    with pytest.raises(InvalidInput, match="no goal"):
        create_goal(alice, {"title": "x", "deadline": DEADLINE, "parent": goal.pk})
    assert goal_progress([child])[child.pk] is None  # the deleted parent does not count
    child.refresh_from_db()
    assert child.parent_id == goal.pk  # still aligned: the restore puts everything back

    restore_goal(alice, goal.pk)
    assert Goal.objects.restrict(bob).count() == 2
    assert Reading.objects.restrict(alice).count() == 1 and CheckIn.objects.restrict(alice).count() == 1
    assert Milestone.objects.filter(goal=goal).count() == 3


def test_only_owners_and_admins_restore_and_outsiders_see_nothing(
    alice: User, bob: User, charlie: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, _, _ = planned
    delete_milestone(alice, audit.pk)
    delete_goal(alice, goal.pk)
    with pytest.raises(PermissionDenied):
        restore_goal(bob, goal.pk)
    with pytest.raises(Http404):
        restore_goal(charlie, goal.pk)
    with pytest.raises(Http404):
        trash_of(charlie, goal.organization.slug)
    _, items = trash_of(bob, goal.organization.slug)  # viewers see the trash
    assert [(i.kind, i.id) for i in items] == [("goal", goal.pk)]  # its milestone waits for it


def test_after_30_days_the_purge_deletes_for_good_and_the_trail_stays(
    alice: User, acme: Organization, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, cards, _ = planned
    other = create_goal(alice, {"title": "Cut lead time", "deadline": DEADLINE})
    lone = add_milestone(alice, other.pk, {"title": "Map the flow", "duration": 3})
    child = create_goal(alice, {"title": "Carrier scorecards", "deadline": DEADLINE, "parent": goal.pk})
    with acting_as(alice):
        delete_goal(alice, goal.pk)
        delete_milestone(alice, lone.pk)
    deleted_at = Goal.all_objects.get(pk=goal.pk).deleted_at
    assert deleted_at is not None
    trail = Event.objects.filter(goal_id=goal.pk).count()

    assert purge_expired(deleted_at + THIRTY_DAYS - timedelta(seconds=1)) == 0
    with pytest.raises(InvalidInput, match="more than 30 days ago"):
        restore_goal(alice, goal.pk, now=deleted_at + THIRTY_DAYS)
    assert Goal.all_objects.filter(pk=goal.pk).exists()

    with acting_as(None, "system"):
        assert purge_expired(deleted_at + THIRTY_DAYS + timedelta(hours=1)) == 2
    assert not Goal.all_objects.filter(pk=goal.pk).exists()
    assert not Milestone.all_objects.filter(pk__in=[audit.pk, cards.pk, lone.pk]).exists()
    assert Goal.objects.get(pk=child.pk).parent_id is None  # unaligned by the purge
    assert Goal.objects.filter(pk=other.pk).exists()
    assert Event.objects.filter(goal_id=goal.pk).count() == trail + 1  # the trail, and the purge itself
    purged = Event.objects.filter(action="purged").order_by("id")
    assert [(e.object_type, e.object_label, e.actor_label) for e in purged] == [
        ("goal", "Raise OTD to 95%", "system"),
        ("milestone", "Map the flow", "system"),
    ]
    assert purge_expired(timezone.now() + 2 * THIRTY_DAYS) == 0


def test_the_retention_period_is_the_configured_number_of_days(
    alice: User, acme: Organization, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal = planned[0]
    other = create_goal(alice, {"title": "Cut lead time", "deadline": DEADLINE})
    lone = add_milestone(alice, other.pk, {"title": "Map the flow", "duration": 3})
    week = timedelta(days=7)
    with override_settings(BACKCAST_TRASH_RETENTION_DAYS=7):
        with acting_as(alice):
            delete_goal(alice, goal.pk)
            delete_milestone(alice, lone.pk)
        deleted = Event.objects.filter(action="deleted").order_by("id")
        assert [e.detail for e in deleted] == ["moved to the trash, restorable for 7 days"] * 2
        goal_deleted_at = Goal.all_objects.get(pk=goal.pk).deleted_at
        lone_deleted_at = Milestone.all_objects.get(pk=lone.pk).deleted_at
        assert goal_deleted_at is not None and lone_deleted_at is not None
        _, items = trash_of(alice, acme.slug)
        assert {(i.kind, i.purge_at - i.deleted_at) for i in items} == {("goal", week), ("milestone", week)}

        assert purge_expired(goal_deleted_at + week - timedelta(seconds=1)) == 0
        with pytest.raises(InvalidInput, match="more than 7 days ago") as refused:
            restore_goal(alice, goal.pk, now=goal_deleted_at + week)
        assert refused.value.field == "goal"
        with pytest.raises(InvalidInput, match="more than 7 days ago") as refused:
            restore_milestone(alice, lone.pk, now=lone_deleted_at + week)
        assert refused.value.field == "milestone"
        with acting_as(None, "system"):
            assert purge_expired(max(goal_deleted_at, lone_deleted_at) + week) == 2
    assert not Goal.all_objects.filter(pk=goal.pk).exists()
    assert not Milestone.all_objects.filter(pk=lone.pk).exists()


def test_a_milestone_in_the_trash_cannot_be_changed_or_linked(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    goal, audit, _, review = planned
    delete_milestone(alice, audit.pk)
    with pytest.raises(Http404):
        update_milestone(alice, audit.pk, {"duration": 9})
    with pytest.raises(InvalidInput):
        add_dependency(alice, goal.pk, {"predecessor": audit.pk, "successor": review.pk})


def test_calendar_feeds_drop_a_deleted_milestone_and_a_deleted_goal(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    from backcast.feeds.models import CalendarFeed
    from backcast.services.notify.feeds import Site, issue_feed, render_feed

    goal, audit, _, _ = planned
    site = Site("https://ops.example.com", "ops.example.com")
    feed, _ = issue_feed(alice, goal.pk)

    def text() -> str | None:
        return render_feed(CalendarFeed.objects.select_related("user").get(pk=feed.pk), site, timezone.now())

    assert "SUMMARY:Audit" in (text() or "")
    delete_milestone(alice, audit.pk)
    assert "SUMMARY:Audit" not in (text() or "") and "SUMMARY:Review" in (text() or "")
    delete_goal(alice, goal.pk)
    assert text() is None  # the feed of a goal in the trash answers 404


def test_trashing_and_restoring_a_milestone_makes_copies_of_its_successors_stale(
    alice: User, planned: tuple[Goal, Milestone, Milestone, Milestone]
) -> None:
    """A successor's ``after`` changes when its predecessor leaves or rejoins the plan: its version moves."""
    _, audit, cards, review = planned
    before = Milestone.objects.get(pk=review.pk).version
    delete_milestone(alice, cards.pk)
    during = Milestone.objects.get(pk=review.pk).version
    restore_milestone(alice, cards.pk)
    after = Milestone.objects.get(pk=review.pk).version
    assert before < during < after
    assert Milestone.objects.get(pk=audit.pk).version == audit.version  # a predecessor's is untouched


def test_the_head_of_a_chain_of_5000_milestones_comes_back_from_the_trash(
    alice: User, acme: Organization
) -> None:
    """The cycle check walks the chain without recursion, and still refuses a cycle at its end."""
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": DEADLINE, "start": START})
    chain = Milestone.objects.bulk_create(
        Milestone(goal=goal, title=f"Step {k}", duration=1) for k in range(5000)
    )
    Dependency.objects.bulk_create(
        Dependency(predecessor=a, successor=b) for a, b in itertools.pairwise(chain)
    )
    head, last = chain[0], chain[-1]
    delete_milestone(alice, head.pk)
    restore_milestone(alice, head.pk)
    assert Milestone.objects.get(pk=head.pk).deleted_at is None
    delete_milestone(alice, head.pk)
    Dependency.objects.create(predecessor=last, successor=head)  # linked while the head was away
    with pytest.raises(
        InvalidInput, match=r"would close a cycle: 'Step 0' -> 'Step 1' -> .* -> 'Step 4999' -> 'Step 0'"
    ):
        restore_milestone(alice, head.pk)
