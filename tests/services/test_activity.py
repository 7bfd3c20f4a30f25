"""The audit trail: an event for every change, who made it, before and after, and how it reads."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backcast.accounts.models import User
from backcast.activity.context import acting_as
from backcast.activity.models import Event
from backcast.activity.wording import describe
from backcast.goals.models import Goal
from backcast.organizations.models import Organization
from backcast.services.goals.checkins import post_checkin
from backcast.services.goals.comments import add_comment, delete_comment, edit_comment
from backcast.services.goals.goals import create_goal, update_goal
from backcast.services.goals.kpis import ReadingIn, add_kpi, pin_checkpoint, record_readings, update_kpi
from backcast.services.goals.milestones import (
    add_dependency,
    add_milestone,
    remove_dependency,
    update_milestone,
)
from backcast.services.goals.resources import create_resource, update_resource
from backcast.services.platform.organizations import create_team, set_member_role
from backcast.services.replanning.baselines import accept_plan
from backcast.services.replanning.scenarios import adopt_scenario, create_scenario
from backcast.services.reporting.activity import FeedFilter, goal_activity, history, organization_activity
from backcast.services.reporting.portfolio import summaries


def new_goal(alice: User, **extra: Any) -> Goal:
    data = {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30), "start": date(2031, 1, 6)} | extra
    return create_goal(alice, data)


def events(**lookup: Any) -> list[Event]:
    return list(Event.objects.filter(**lookup).order_by("id"))


def test_a_goal_created_then_changed_leaves_who_when_before_and_after(alice: User, carol: User) -> None:
    with acting_as(alice):
        goal = new_goal(alice)
    with acting_as(alice):
        update_goal(alice, goal.pk, {"deadline": date(2031, 7, 31), "owner": carol.email})
    created, changed = events(object_type="goal", object_id=goal.pk)
    assert (created.action, created.actor, created.actor_label) == ("created", alice, "Alice Admin")
    assert created.changes["title"] == [None, "Raise OTD to 95%"]
    assert created.changes["deadline"] == [None, "2031-06-30"]
    assert created.goal_id == goal.pk and created.organization_id == goal.organization_id
    assert changed.action == "changed" and changed.goal_title == "Raise OTD to 95%"
    assert changed.changes == {
        "deadline": ["2031-06-30", "2031-07-31"],
        "owner": [{"id": alice.pk, "label": "Alice Admin"}, {"id": carol.pk, "label": "Carol Contributor"}],
    }
    assert "version" not in changed.changes and "updated_at" not in changed.changes


def test_one_action_reads_as_one_event_and_a_save_that_changes_nothing_writes_none(
    alice: User, bob: User, carol: User
) -> None:
    with acting_as(alice):
        goal = new_goal(alice)
    with acting_as(alice):  # fields and contributors in one scope: one event
        update_goal(alice, goal.pk, {"title": "Raise OTD to 96%", "contributors": [bob.email, carol.email]})
    (changed,) = events(object_type="goal", action="changed")
    assert changed.changes == {
        "title": ["Raise OTD to 95%", "Raise OTD to 96%"],
        "contributors": [[], ["Bob Viewer", "Carol Contributor"]],
    }
    with acting_as(alice):
        update_goal(alice, goal.pk, {"title": "Raise OTD to 96%"})  # the same title again
    assert len(events(object_type="goal", action="changed")) == 1


def test_without_a_scope_changes_are_system_and_not_folded(alice: User) -> None:
    goal = new_goal(alice)
    update_goal(alice, goal.pk, {"title": "Raise OTD to 97%"})
    update_goal(alice, goal.pk, {"title": "Raise OTD to 98%"})
    rows = events(object_type="goal")
    assert [e.action for e in rows] == ["created", "changed", "changed"]
    assert {e.actor_label for e in rows} == {"system"} and {e.actor for e in rows} == {None}


def test_milestones_links_and_demand_are_changes_of_the_milestone(alice: User, acme: Organization) -> None:
    goal = new_goal(alice)
    create_resource(alice, acme.slug, {"name": "analysts", "capacity": 3})
    with acting_as(alice):
        audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 10})
        cards = add_milestone(
            alice,
            goal.pk,
            {"title": "Scorecards", "duration": 5, "after": [audit.pk], "demand": {"analysts": 1}},
        )
    created = events(object_type="milestone", object_id=cards.pk)
    assert [e.action for e in created] == ["created"]  # links and demand folded into the creation
    assert created[0].changes["after"] == [None, ["Audit carriers"]]
    assert created[0].changes["demand"] == [None, ["1 analysts"]]
    assert not Event.objects.filter(object_type__in=["dependency", "demand"]).exists()

    with acting_as(alice):
        update_milestone(alice, audit.pk, {"duration": 12})
    (slip,) = events(object_type="milestone", object_id=audit.pk, action="changed")
    assert slip.changes == {"duration": [10, 12]}
    assert describe(slip).text == "Alice Admin changed Duration of milestone “Audit carriers” from 10 to 12"

    with acting_as(alice):
        update_milestone(alice, cards.pk, {"after": [{"id": audit.pk, "lag": 2}], "demand": {"analysts": 2}})
    (relinked,) = events(object_type="milestone", object_id=cards.pk, action="changed")
    assert relinked.changes == {
        "after": [["Audit carriers"], ["Audit carriers +2 days"]],
        "demand": [["1 analysts"], ["2 analysts"]],
    }
    sentence = describe(relinked)
    assert sentence.text == "Alice Admin changed milestone “Scorecards”"
    assert sentence.changes == [
        "Predecessors from Audit carriers to Audit carriers +2 days",
        "Demand from 1 analysts to 2 analysts",
    ]


def test_a_dependency_added_or_removed_on_its_own_is_in_the_trail(alice: User) -> None:
    goal = new_goal(alice)
    audit = add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5})
    cards = add_milestone(alice, goal.pk, {"title": "Scorecards", "duration": 5})
    link = add_dependency(alice, goal.pk, {"predecessor": audit.pk, "successor": cards.pk})
    assert events(object_type="milestone", object_id=cards.pk)[-1].changes == {"after": [[], ["Audit"]]}
    remove_dependency(alice, link.pk)
    (removed,) = events(object_type="dependency", action="deleted")
    assert removed.object_label == "Audit → Scorecards" and removed.goal_id == goal.pk


def test_kpis_checkpoints_and_readings(alice: User, carol: User) -> None:
    goal = new_goal(alice)
    kpi = add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})
    with acting_as(alice):
        update_kpi(alice, kpi.pk, {"target": 96.0})
        pin_checkpoint(alice, kpi.pk, date(2031, 3, 3), 88.0)
    assert events(object_type="kpi", action="changed")[0].changes == {"target": [95.0, 96.0]}
    (pin,) = events(object_type="checkpoint")
    assert pin.goal_id == goal.pk and pin.object_label == "OTD on 2031-03-03"
    readings = [ReadingIn(date(2031, 1, d), 80.0 + d, f"k{d}") for d in range(1, 21)]
    record_readings(carol, kpi.pk, readings)
    record_readings(carol, kpi.pk, readings)  # all duplicates: nothing new, no event
    (batch,) = events(action="recorded")
    assert (batch.actor, batch.object_id, batch.detail) == (carol, kpi.pk, "20 readings")
    assert describe(batch).text == "Carol Contributor recorded 20 readings of KPI “OTD”"


def test_checkins_comments_baselines_and_scenarios(alice: User, carol: User) -> None:
    goal = new_goal(alice)
    audit = add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5})
    post_checkin(carol, goal.pk, {"status": "at_risk", "confidence": 6, "note": "carriers slow"})
    with acting_as(carol):
        comment = add_comment(carol, goal.pk, {"body": "Carrier data is in."})
    with acting_as(carol):
        edit_comment(carol, comment.pk, {"body": "Carrier data is in, at last."})
        delete_comment(carol, comment.pk)
    kinds = [(e.object_type, e.action) for e in events(goal_id=goal.pk)]
    assert ("checkin", "created") in kinds
    assert [a for k, a in kinds if k == "comment"] == ["created", "changed", "deleted"]
    (edited,) = events(object_type="comment", action="changed")
    assert edited.changes == {"body": ["Carrier data is in.", "Carrier data is in, at last."]}
    with acting_as(alice):
        accept_plan(alice, goal.pk, "first plan")
        scenario = create_scenario(
            alice,
            goal.pk,
            {"name": "Longer audit", "changes": {"milestones": [{"id": audit.pk, "duration": 8}]}},
        )
    with acting_as(alice):
        adopt_scenario(alice, scenario.pk)
    assert events(object_type="milestone", object_id=audit.pk, action="changed")[0].changes == {
        "duration": [5, 8]
    }
    baselines = events(object_type="baseline")
    assert [b.object_label for b in baselines] == ["baseline 1", "baseline 2"]
    assert baselines[1].changes["reason"] == [None, "adopted scenario Longer audit"]
    assert events(object_type="scenario", action="deleted")[0].object_label == "Longer audit"


def test_members_teams_and_resources_are_in_the_organisations_trail(
    alice: User, acme: Organization, carol: User
) -> None:
    with acting_as(alice):
        set_member_role(alice, acme.slug, carol.email, "owner")
        create_team(alice, acme.slug, "Night shift")
        resource = create_resource(alice, acme.slug, {"name": "analysts", "capacity": 2})
    with acting_as(alice):
        update_resource(alice, resource.pk, {"capacity": 3})
    (role,) = events(object_type="membership", action="changed")
    assert role.changes == {"role": ["contributor", "owner"]} and role.object_label == "Carol Contributor"
    assert (
        describe(role).text
        == "Alice Admin changed Role of membership “Carol Contributor” from Contributor to Owner"
    )
    assert events(object_type="team")[0].object_label == "Night shift"
    assert events(object_type="resource", action="changed")[0].changes == {"capacity": [2, 3]}
    assert all(e.organization_id == acme.pk and e.goal_id is None for e in events(object_type="resource"))


def test_derived_rows_write_no_events(alice: User, acme: Organization) -> None:
    goal = new_goal(alice)
    add_milestone(alice, goal.pk, {"title": "Audit", "duration": 5})
    before = Event.objects.count()
    summaries(Goal.objects.restrict(alice).filter(organization=acme), date(2031, 1, 6))  # stores summaries
    assert Event.objects.count() == before


def test_feeds_are_newest_first_filtered_and_for_members_only(
    alice: User, acme: Organization, bob: User, carol: User, charlie: User
) -> None:
    goal = new_goal(alice)
    other = new_goal(alice, title="Cut lead time")
    with acting_as(carol):
        post_checkin(carol, goal.pk, {"status": "on_track", "confidence": 8})
    _, feed = goal_activity(bob, goal.pk)  # a viewer reads it
    assert [e.object_type for e in feed] == ["checkin", "goal"]
    assert all(e.goal_id == goal.pk for e in feed)
    _, mine = goal_activity(bob, goal.pk, FeedFilter.parse("checkin", str(carol.pk)))
    assert [e.actor for e in mine] == [carol]
    _, org_feed = organization_activity(bob, acme.slug, FeedFilter.parse("bogus", "x"))
    assert {e.goal_id for e in org_feed} == {goal.pk, other.pk, None}  # None: memberships
    assert [e.object_id for e in history(bob, "goal", other.pk)] == [other.pk]
    from django.http import Http404

    with pytest.raises(Http404):
        goal_activity(charlie, goal.pk)
    with pytest.raises(Http404):
        organization_activity(charlie, acme.slug)
    with pytest.raises(Http404):
        history(charlie, "goal", goal.pk)


def test_every_kind_of_value_reads_in_words(alice: User) -> None:
    goal = new_goal(alice)
    event = Event(
        organization_id=goal.organization_id,
        actor_label="Alice Admin",
        action="changed",
        object_type="scenario",
        object_id=1,
        object_label="Longer audit",
        changes={
            "changes": [{"remove": [1]}, {"remove": [1, 2]}],
            "name": ["a" * 200, None],
            "feasible": [True, False],
            "gone_field": [[], ["Bob"]],
        },
    )
    assert describe(event).changes == [
        'Changes from {"remove": [1]} to {"remove": [1, 2]}',
        f"Name from {'a' * 119}… to none",
        "Feasible from yes to no",
        "Gone field from none to Bob",
    ]
