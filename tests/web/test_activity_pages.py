"""The activity pages and the trash, as people use them in the browser (session, CSRF)."""

from __future__ import annotations

from datetime import date

from django.test import override_settings

from backcast.accounts.models import User
from backcast.activity.models import Event
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal, delete_goal, update_goal
from backcast.services.goals.milestones import add_milestone, delete_milestone
from tests.conftest import csrf_token, logged_in


def new_goal(alice: User, title: str = "Raise OTD to 95%") -> Goal:
    return create_goal(alice, {"title": title, "deadline": date(2031, 6, 30), "start": date(2031, 1, 6)})


def test_a_change_made_on_a_page_names_its_author(acme: Organization, alice: User, carol: User) -> None:
    goal = new_goal(alice)
    client = logged_in(carol)
    token = csrf_token(client)
    response = client.post(
        f"/goals/{goal.pk}/checkins/",
        {"status": "at_risk", "confidence": "6", "note": "carriers slow"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 302
    (event,) = Event.objects.filter(object_type="checkin")
    assert (event.actor, event.actor_label, event.action) == (carol, "Carol Contributor", "created")
    assert event.changes["status"] == [None, "at_risk"] and event.changes["confidence"] == [None, 6]


def test_the_goal_feed_reads_as_sentences_and_the_goal_page_links_it(alice: User, bob: User) -> None:
    goal = new_goal(alice)
    audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 10})
    client = logged_in(alice)
    token = csrf_token(client)
    from backcast.activity.context import acting_as
    from backcast.services.goals.milestones import update_milestone

    with acting_as(alice):
        update_milestone(alice, audit.pk, {"duration": 12})
    page = logged_in(bob).get(f"/goals/{goal.pk}/activity/")  # viewers read it
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alice Admin changed Duration of milestone “Audit carriers” from 10 to 12" in text
    assert text.index("changed Duration") < text.index("created goal")  # newest first
    detail = client.get(f"/goals/{goal.pk}/")
    assert f'href="/goals/{goal.pk}/activity/"' in detail.content.decode()
    recent = client.get(f"/goals/{goal.pk}/activity/?recent=1")
    assert "changed Duration" in recent.content.decode() and "<html" not in recent.content.decode()
    assert token


def test_the_organisation_feed_pages_filters_and_keeps_deleted_goals(acme: Organization, alice: User) -> None:
    goal = new_goal(alice)
    for n in range(55):
        update_goal(alice, goal.pk, {"title": f"Raise OTD, take {n}"})
    delete_goal(alice, goal.pk)
    client = logged_in(alice)
    first = client.get(f"/o/{acme.slug}/activity/").content.decode()
    assert "deleted goal “Raise OTD, take 54”" in first
    assert "Page 1 of 2" in first and "created goal" not in first
    second = client.get(f"/o/{acme.slug}/activity/?page=2").content.decode()
    assert "created goal “Raise OTD to 95%”" in second
    only = client.get(f"/o/{acme.slug}/activity/?kind=membership").content.decode()
    assert "created membership" in only and "goal “" not in only
    nobody = client.get(f"/o/{acme.slug}/activity/?person=999999").content.decode()
    assert "No changes match these filters." in nobody
    assert f'href="/o/{acme.slug}/activity/"' in client.get(f"/o/{acme.slug}/goals/").content.decode()


def test_outsiders_get_404_from_the_feeds_and_the_trash(
    acme: Organization, alice: User, charlie: User
) -> None:
    goal = new_goal(alice)
    client = logged_in(charlie)
    for url in (f"/goals/{goal.pk}/activity/", f"/o/{acme.slug}/activity/", f"/o/{acme.slug}/trash/"):
        assert client.get(url).status_code == 404, url
    delete_goal(alice, goal.pk)
    token = csrf_token(client)
    assert client.post(f"/goals/{goal.pk}/restore/", HTTP_X_CSRFTOKEN=token).status_code == 404
    assert Goal.all_objects.get(pk=goal.pk).deleted_at is not None


def test_a_deleted_goal_leaves_the_dashboard_and_the_trash_brings_it_back(
    acme: Organization, alice: User, bob: User
) -> None:
    goal = new_goal(alice)
    other = new_goal(alice, "Cut lead time")
    delete_goal(alice, goal.pk)
    client = logged_in(alice)
    dashboard = client.get(f"/o/{acme.slug}/goals/").content.decode()
    assert "Raise OTD to 95%" not in dashboard and other.title in dashboard
    assert client.get(f"/goals/{goal.pk}/").status_code == 404

    viewer = logged_in(bob).get(f"/o/{acme.slug}/trash/").content.decode()
    assert "Goal “Raise OTD to 95%”" in viewer and "Restore</button>" not in viewer
    bob_client = logged_in(bob)
    token = csrf_token(bob_client)
    assert bob_client.post(f"/goals/{goal.pk}/restore/", HTTP_X_CSRFTOKEN=token).status_code == 403

    trash = client.get(f"/o/{acme.slug}/trash/").content.decode()
    assert f'action="/goals/{goal.pk}/restore/"' in trash
    token = csrf_token(client)
    response = client.post(f"/goals/{goal.pk}/restore/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and response["Location"] == f"/goals/{goal.pk}/"
    assert "Raise OTD to 95%" in client.get(f"/o/{acme.slug}/goals/").content.decode()
    assert Event.objects.filter(action="restored", actor=alice, object_id=goal.pk).exists()


def test_restoring_a_milestone_of_a_deleted_goal_says_why_not(acme: Organization, alice: User) -> None:
    goal = new_goal(alice)
    audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 10})
    delete_milestone(alice, audit.pk)
    client = logged_in(alice)
    token = csrf_token(client)
    assert (
        f'action="/milestones/{audit.pk}/restore/"' in client.get(f"/o/{acme.slug}/trash/").content.decode()
    )
    delete_goal(alice, goal.pk)
    response = client.post(f"/milestones/{audit.pk}/restore/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "restore the goal first" in response.content.decode()
    assert Milestone.all_objects.get(pk=audit.pk).deleted_at is not None


def test_deleting_a_goal_on_its_page_asks_first_then_moves_it_to_the_trash(
    acme: Organization, alice: User, bob: User
) -> None:
    goal = new_goal(alice)
    client = logged_in(alice)
    assert f'href="/goals/{goal.pk}/delete/"' in client.get(f"/goals/{goal.pk}/edit/").content.decode()
    question = client.get(f"/goals/{goal.pk}/delete/")
    assert question.status_code == 200 and "Move to the trash" in question.content.decode()
    assert Goal.objects.filter(pk=goal.pk).exists()  # asking deletes nothing

    viewer = logged_in(bob)
    assert viewer.post(f"/goals/{goal.pk}/delete/", HTTP_X_CSRFTOKEN=csrf_token(viewer)).status_code == 403
    assert Goal.objects.filter(pk=goal.pk).exists()

    response = client.post(f"/goals/{goal.pk}/delete/", HTTP_X_CSRFTOKEN=csrf_token(client))
    assert response.status_code == 302 and response["Location"] == f"/o/{acme.slug}/goals/"
    assert not Goal.objects.filter(pk=goal.pk).exists()
    assert Goal.all_objects.get(pk=goal.pk).deleted_by == alice
    page = client.get(response["Location"]).content.decode()
    assert "is in the trash" in page
    assert "Raise OTD to 95%" in client.get(f"/o/{acme.slug}/trash/").content.decode()


def test_the_trash_pages_and_messages_say_the_configured_retention(acme: Organization, alice: User) -> None:
    goal = new_goal(alice)
    client = logged_in(alice)
    assert "for 30 days, where" in client.get(f"/goals/{goal.pk}/delete/").content.decode()
    assert "stay here for 30 days," in client.get(f"/o/{acme.slug}/trash/").content.decode()
    with override_settings(BACKCAST_TRASH_RETENTION_DAYS=7):
        assert "for 7 days, where" in client.get(f"/goals/{goal.pk}/delete/").content.decode()
        response = client.post(f"/goals/{goal.pk}/delete/", HTTP_X_CSRFTOKEN=csrf_token(client))
        assert "restore it from Trash within 7 days" in client.get(response["Location"]).content.decode()
        assert "stay here for 7 days," in client.get(f"/o/{acme.slug}/trash/").content.decode()
    assert Event.objects.get(action="deleted", object_id=goal.pk).detail == (
        "moved to the trash, restorable for 7 days"
    )
