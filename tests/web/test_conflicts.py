"""No lost updates in the pages: a form saved from a stale page is shown again, never written over.

alice opens a page; dana (another owner of Acme) saves a change first; alice's save then comes
from a stale copy. Every post goes through a CSRF-enforcing client.
"""

from __future__ import annotations

import html as markup
import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from backcast.accounts.models import User
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Organization
from backcast.services.goals import create_goal, update_goal
from backcast.services.milestones import add_milestone, update_milestone
from tests.conftest import csrf_token, logged_in, make_user


@pytest.fixture
def dana(acme: Organization) -> User:
    return make_user("dana@acme.test", acme.slug, "owner", "Dana Owner")


@pytest.fixture
def goal(alice: User) -> Goal:
    return create_goal(
        alice,
        {
            "title": "Raise OTD to 95%",
            "description": "Carrier scorecards",
            "deadline": date(2031, 6, 30),
            "start": date(2031, 1, 6),
        },
    )


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, f"no hidden {name}"
    return markup.unescape(found.group(1))


def field_block(page: str, name: str) -> str:
    """A form field's markup, from its label to the next field: where its notes are shown."""
    found = re.search(rf'<label for="id_{re.escape(name)}">.*?(?=<div class="field|$)', page, re.S)
    assert found, name
    return found.group(0)


def edit_form(page: str, alice: User, **changes: str) -> dict[str, Any]:
    """The goal form as the page holds it (hidden fields included), with ``changes`` typed in."""
    body = {name: hidden(page, name) for name in ("version", "loaded")}
    body |= {"title": "Raise OTD to 95%", "description": "Carrier scorecards", "deadline": "2031-06-30"}
    body |= {"start": "2031-01-06", "owner": str(alice.pk), "cadence": "weekly"}
    return body | changes


def test_a_stale_goal_form_is_shown_again_with_what_changed_and_nothing_is_written(
    goal: Goal, alice: User, dana: User
) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    page = client.get(f"/goals/{goal.pk}/edit/").content.decode()
    assert hidden(page, "version") == "1"
    update_goal(dana, goal.pk, {"deadline": date(2031, 9, 30)}, expected_version=1)  # dana saves first
    body = edit_form(page, alice, description="Carrier scorecards and dock slots")
    response = client.post(f"/goals/{goal.pk}/edit/", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this goal" in page and "nothing was saved" in page
    assert "Now 30 Sep 2031 — changed by someone else" in field_block(page, "deadline")
    assert "changed by someone else" not in field_block(page, "description")  # alice's own change
    assert "Carrier scorecards and dock slots" in page  # her input is kept
    stored = Goal.objects.get()
    assert (stored.description, stored.deadline, stored.version) == (
        "Carrier scorecards",
        date(2031, 9, 30),
        2,
    )
    assert hidden(page, "version") == "2"
    again = edit_form(page, alice, description="Carrier scorecards and dock slots", deadline="2031-09-30")
    response = client.post(f"/goals/{goal.pk}/edit/", again, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302  # saved on purpose, from the current version
    stored = Goal.objects.get()
    assert (stored.description, stored.deadline, stored.version) == (
        "Carrier scorecards and dock slots",
        date(2031, 9, 30),
        3,
    )


def test_a_fresh_goal_form_saves_and_an_old_page_without_a_version_still_does(
    goal: Goal, alice: User
) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    page = client.get(f"/goals/{goal.pk}/edit/").content.decode()
    response = client.post(
        f"/goals/{goal.pk}/edit/", edit_form(page, alice, title="Raise OTD to 96%"), HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
    assert (Goal.objects.get().title, Goal.objects.get().version) == ("Raise OTD to 96%", 2)
    blind = {
        k: v
        for k, v in edit_form(page, alice, title="Raise OTD to 97%").items()
        if k not in ("version", "loaded")
    }
    assert client.post(f"/goals/{goal.pk}/edit/", blind, HTTP_X_CSRFTOKEN=token).status_code == 302
    assert Goal.objects.get().title == "Raise OTD to 97%"


def test_the_wizard_end_goal_step_refuses_a_stale_save(goal: Goal, alice: User, dana: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    url = f"/goals/{goal.pk}/plan-wizard/1/"
    page = client.get(url).content.decode()
    update_goal(dana, goal.pk, {"title": "Raise OTD to 97%"})
    body = edit_form(page, alice, description="Dock slots")
    body.pop("cadence")
    response = client.post(url, body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this goal" in page
    assert "Now “Raise OTD to 97%” — changed by someone else" in page
    assert (Goal.objects.get().title, Goal.objects.get().description) == (
        "Raise OTD to 97%",
        "Carrier scorecards",
    )


def test_the_owners_step_shows_fresh_rows_instead_of_overwriting(
    goal: Goal, alice: User, dana: User, carol: User
) -> None:
    audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 5})
    scope = add_milestone(alice, goal.pk, {"title": "Scope the pilot", "duration": 3})
    client = logged_in(alice)
    token = csrf_token(client)
    url = f"/goals/{goal.pk}/plan-wizard/4/"
    page = client.get(url).content.decode()
    versions = {m.pk: hidden(page, f"m{m.pk}-version") for m in (audit, scope)}
    assert versions == {audit.pk: "1", scope.pk: "1"}
    update_milestone(dana, audit.pk, {"owner": carol.pk}, expected_version=1)  # dana names carol first
    body: dict[str, Any] = {"action": "next"}
    for m in (audit, scope):
        body |= {f"m{m.pk}-owner": str(alice.pk), f"m{m.pk}-version": versions[m.pk]}
    body[f"m{scope.pk}-pinned_finish"] = "2031-05-30"
    response = client.post(url, body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Not saved: someone else changed “Audit carriers”" in page
    rows = {m.pk: next(r for r in page.split("<tr") if f'name="m{m.pk}-owner"' in r) for m in (audit, scope)}
    assert "changed by someone else: shown as it is now" in rows[audit.pk]
    assert "changed by someone else" not in rows[scope.pk]
    assert f'<option value="{carol.pk}" selected>' in rows[audit.pk]  # what dana saved, not alice's pick
    assert hidden(page, f"m{audit.pk}-version") == "2"
    assert 'value="2031-05-30"' in rows[scope.pk]  # the other row keeps alice's input
    assert Milestone.objects.get(pk=audit.pk).owner_id == carol.pk
    assert Milestone.objects.get(pk=scope.pk).owner_id is None  # all rows or none
    assert Milestone.objects.get(pk=scope.pk).version == 1
    again = body | {f"m{audit.pk}-owner": str(carol.pk), f"m{audit.pk}-version": "2"}
    response = client.post(url, again, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert Milestone.objects.get(pk=scope.pk).owner_id == alice.pk
    assert Milestone.objects.get(pk=audit.pk).owner_id == carol.pk


def test_a_stale_row_that_agrees_with_what_is_saved_is_no_conflict(
    goal: Goal, alice: User, dana: User
) -> None:
    audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 5})
    update_milestone(dana, audit.pk, {"owner": alice.pk})  # the same owner alice is about to pick
    client: Client = logged_in(alice)
    token = csrf_token(client)
    body = {f"m{audit.pk}-owner": str(alice.pk), f"m{audit.pk}-version": "1", "action": "save"}
    response = client.post(f"/goals/{goal.pk}/plan-wizard/4/", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302
    assert Milestone.objects.get(pk=audit.pk).version == 2  # nothing to write, nothing bumped
