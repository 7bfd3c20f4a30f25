"""The calendar page and the secret feed URLs, through the web client as a calendar app sees them."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from django.test import Client

from backcast.accounts.models import User
from backcast.feeds.models import CalendarFeed
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Membership, Organization
from backcast.services.goals.goals import create_goal
from backcast.services.goals.milestones import add_milestone
from backcast.services.platform.clock import org_today
from tests.conftest import csrf_token, logged_in
from tests.services.test_feeds import events, parse_ics

PAGE = "/account/calendar/"
FEED_URL = re.compile(r'<code class="secret" id="new-feed-url">(http://testserver/feeds/[\w-]+\.ics)</code>')


@pytest.fixture
def goal(acme: Organization, alice: User, carol: User) -> Goal:
    goal = create_goal(
        alice, {"title": "Raise OTD to 95%", "deadline": org_today(acme) + timedelta(weeks=12)}
    )
    add_milestone(alice, goal.pk, {"title": "Audit carriers, lanes", "duration": 5, "owner": carol.email})
    return goal


def issue(client: Client, feed: str) -> str:
    """POST the calendar page's form; the new feed's URL, from the one response that shows it."""
    response = client.post(PAGE, {"feed": feed}, HTTP_X_CSRFTOKEN=csrf_token(client, PAGE))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = FEED_URL.search(response.content.decode())
    assert match is not None
    assert f'href="webcal://testserver/feeds/{match[1].rsplit("/", 1)[1]}"' in response.content.decode()
    return match[1].removeprefix("http://testserver")


def test_page_needs_a_login_and_links_from_the_nav(alice: User) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    page = logged_in(alice).get(PAGE)
    assert page.status_code == 200
    assert f'href="{PAGE}"' in page.content.decode()
    assert "Create my calendar feed" in page.content.decode()


def test_a_calendar_app_reads_the_feed_without_logging_in(goal: Goal, carol: User) -> None:
    client = logged_in(carol)
    url = issue(client, "mine")
    assert url not in client.get(PAGE).content.decode()  # shown once
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    assert "Set-Cookie" not in response.headers
    found = events(parse_ics(response.content.decode("utf-8")))
    audit = Milestone.objects.get(goal=goal)
    assert set(found) == {f"milestone-{audit.pk}@testserver", f"goal-{goal.pk}-deadline@testserver"}
    assert found[f"milestone-{audit.pk}@testserver"].text("SUMMARY") == "Audit carriers, lanes"
    assert Client().head(url).status_code == 200
    assert Client().post(url).status_code == 405
    page = client.get(PAGE).content.decode()
    assert "last read by a calendar app" in page


def test_rotation_and_revocation_make_the_old_url_answer_404(goal: Goal, bob: User) -> None:
    client = logged_in(bob)  # a viewer may subscribe to any goal they can see
    first = issue(client, str(goal.pk))
    assert Client().get(first).status_code == 200
    page = client.get(PAGE).content.decode()
    assert "Raise OTD to 95%" in page and "New address" in page
    second = issue(client, str(goal.pk))
    assert second != first
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    token = csrf_token(client, PAGE)
    response = client.post("/account/calendar/revoke/", {"feed": str(goal.pk)}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert Client().get(second).status_code == 404
    assert not CalendarFeed.objects.exists()
    response = client.post("/account/calendar/revoke/", {"feed": str(goal.pk)}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 404


def test_wrong_secret_answers_404_and_is_not_logged(goal: Goal, caplog: pytest.LogCaptureFixture) -> None:
    secret = "bcf_" + "x" * 43
    with caplog.at_level(logging.DEBUG):
        response = Client().get(f"/feeds/{secret}.ics")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")
    assert secret not in caplog.text
    assert Client().get("/feeds/not%20a%20secret.ics").status_code == 404


def test_outsider_cannot_create_or_revoke_a_feed_of_anothers_goal(
    goal: Goal, alice: User, charlie: User
) -> None:
    issue(logged_in(alice), str(goal.pk))
    client = logged_in(charlie)
    token = csrf_token(client, PAGE)
    assert client.post(PAGE, {"feed": str(goal.pk)}, HTTP_X_CSRFTOKEN=token).status_code == 404
    assert (
        client.post("/account/calendar/revoke/", {"feed": str(goal.pk)}, HTTP_X_CSRFTOKEN=token).status_code
        == 404
    )
    assert not CalendarFeed.objects.filter(user=charlie).exists()
    assert CalendarFeed.objects.filter(user=alice, goal=goal).exists()
    assert "Raise OTD" not in client.get(PAGE).content.decode()  # not offered either


def test_forms_need_csrf_and_a_choice(alice: User) -> None:
    client = logged_in(alice)
    assert client.post(PAGE, {"feed": "mine"}).status_code == 403
    token = csrf_token(client, PAGE)
    response = client.post(PAGE, {"feed": "everything"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400 and "choose your milestones or a goal" in response.content.decode()
    assert client.post("/account/calendar/revoke/", {}, HTTP_X_CSRFTOKEN=token).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_goal_feed_answers_404_once_its_user_leaves_the_organisation(
    goal: Goal, acme: Organization, carol: User
) -> None:
    client = logged_in(carol)
    goal_url, personal_url = issue(client, str(goal.pk)), issue(client, "mine")
    assert len(events(parse_ics(Client().get(personal_url).content.decode()))) == 2
    Membership.objects.filter(user=carol, organization=acme).delete()
    assert Client().get(goal_url).status_code == 404
    response = Client().get(personal_url)
    assert response.status_code == 200 and events(parse_ics(response.content.decode())) == {}
    assert "Raise OTD" not in client.get(PAGE).content.decode()
