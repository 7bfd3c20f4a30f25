"""No lost updates in the pages: a form saved from a stale page is merged, or shown again.

alice opens a page; dana (another owner of Acme) saves a change first; alice's save then comes
from a stale copy. What alice changed is applied and what only dana changed is kept; a field both
changed is shown by the field, nothing written until alice saves again. Every post goes through a
CSRF-enforcing client, and a save again posts the form as the page holds it.
"""

from __future__ import annotations

import html as markup
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from backcast.accounts.models import User
from backcast.goals.models import Goal, Milestone
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal, update_goal
from backcast.services.goals.milestones import add_milestone, update_milestone
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


class FormReader(HTMLParser):
    """The values a browser would submit from the page's goal form (the one that says what it showed)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        elif self.forms and tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "radio"):
            self.forms[-1][a["name"]] = a.get("value", "")
        elif self.forms and tag == "select":
            self.select = a["name"]
            self.forms[-1].setdefault(self.select, "")
        elif self.forms and tag == "option" and self.select and "selected" in a:
            self.forms[-1][self.select] = a.get("value", "")
        elif self.forms and tag == "textarea":
            self.textarea = a["name"]
            self.forms[-1][self.textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.forms[-1][self.textarea] += (
                data.removeprefix("\n") if not self.forms[-1][self.textarea] else data
            )


def form_values(page: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(page)
    return next(f for f in reader.forms if "loaded" in f)


def edit_form(page: str, alice: User, **changes: str) -> dict[str, Any]:
    """The goal form as the page holds it (hidden fields included), with ``changes`` typed in."""
    body = {name: hidden(page, name) for name in ("version", "loaded")}
    body |= {"title": "Raise OTD to 95%", "description": "Carrier scorecards", "deadline": "2031-06-30"}
    body |= {"start": "2031-01-06", "owner": str(alice.pk), "cadence": "weekly"}
    return body | changes


def test_a_stale_save_keeps_the_other_persons_change_to_a_field_this_person_never_touched(
    goal: Goal, alice: User, dana: User
) -> None:
    """alice and dana open the form; dana moves the deadline; alice, from her page, adds to the
    description. Her save, and a save again if she were asked, must not move the deadline back."""
    alices, danas = logged_in(alice), logged_in(dana)
    alice_token, dana_token = csrf_token(alices), csrf_token(danas)
    url = f"/goals/{goal.pk}/edit/"
    alice_page, dana_page = alices.get(url).content.decode(), danas.get(url).content.decode()
    dana_form = form_values(dana_page) | {"deadline": "2031-09-30"}
    assert danas.post(url, dana_form, HTTP_X_CSRFTOKEN=dana_token).status_code == 302
    alice_form = form_values(alice_page) | {"description": "Carrier scorecards and dock slots"}
    response = alices.post(url, alice_form, HTTP_X_CSRFTOKEN=alice_token)
    if response.status_code == 409:  # she saves again, the form as the page now holds it
        response = alices.post(url, form_values(response.content.decode()), HTTP_X_CSRFTOKEN=alice_token)
    assert response.status_code == 302
    stored = Goal.objects.get()
    assert (stored.description, stored.deadline) == ("Carrier scorecards and dock slots", date(2031, 9, 30))
    assert stored.version == 3
    page = alices.get(f"/goals/{goal.pk}/").content.decode()
    assert "Goal saved. Changed by someone else meanwhile and kept: deadline." in page


def test_a_field_both_changed_is_shown_by_the_field_and_their_other_changes_stay(
    goal: Goal, alice: User, dana: User
) -> None:
    alices, danas = logged_in(alice), logged_in(dana)
    alice_token, dana_token = csrf_token(alices), csrf_token(danas)
    url = f"/goals/{goal.pk}/edit/"
    alice_page, dana_page = alices.get(url).content.decode(), danas.get(url).content.decode()
    dana_form = form_values(dana_page) | {"deadline": "2031-09-30", "title": "Raise OTD to 97%"}
    assert danas.post(url, dana_form, HTTP_X_CSRFTOKEN=dana_token).status_code == 302
    alice_form = form_values(alice_page) | {"deadline": "2031-08-29", "description": "Dock slots"}
    response = alices.post(url, alice_form, HTTP_X_CSRFTOKEN=alice_token)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this goal" in page and "nothing was saved" in page
    assert "Their other changes are in the form: title." in page
    assert "Now 30 Sep 2031 — changed by someone else" in field_block(page, "deadline")
    for untouched in ("title", "description"):
        assert "changed by someone else" not in field_block(page, untouched)
    shown = form_values(page)
    assert (shown["deadline"], shown["description"]) == ("2031-08-29", "Dock slots")  # hers, kept
    assert shown["title"] == "Raise OTD to 97%"  # dana's, not the title alice's page had
    stored = Goal.objects.get()
    assert (stored.title, stored.deadline, stored.description, stored.version) == (
        "Raise OTD to 97%",
        date(2031, 9, 30),
        "Carrier scorecards",
        2,
    )
    assert hidden(page, "version") == "2"
    response = alices.post(url, shown, HTTP_X_CSRFTOKEN=alice_token)  # save again: hers on purpose
    assert response.status_code == 302
    stored = Goal.objects.get()
    assert (stored.title, stored.deadline, stored.description, stored.version) == (
        "Raise OTD to 97%",
        date(2031, 8, 29),
        "Dock slots",
        3,
    )


def test_a_stale_page_that_did_not_say_what_it_showed_is_refused_by_every_differing_field(
    goal: Goal, alice: User, dana: User
) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    page = client.get(f"/goals/{goal.pk}/edit/").content.decode()
    update_goal(dana, goal.pk, {"deadline": date(2031, 9, 30)}, expected_version=1)
    body = edit_form(page, alice, description="Dock slots") | {"loaded": ""}
    response = client.post(f"/goals/{goal.pk}/edit/", body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Now 30 Sep 2031 — changed by someone else" in field_block(page, "deadline")
    assert "Now “Carrier scorecards” — changed by someone else" in field_block(page, "description")
    assert Goal.objects.get().description == "Carrier scorecards"


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


def test_the_wizard_end_goal_step_merges_a_stale_save_and_refuses_a_clash(
    goal: Goal, alice: User, dana: User
) -> None:
    client = logged_in(alice)
    token = csrf_token(client)
    url = f"/goals/{goal.pk}/plan-wizard/1/"
    page = client.get(url).content.decode()
    update_goal(dana, goal.pk, {"title": "Raise OTD to 97%"})
    response = client.post(url, form_values(page) | {"description": "Dock slots"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302  # different fields: both changes stand
    assert (Goal.objects.get().title, Goal.objects.get().description) == ("Raise OTD to 97%", "Dock slots")
    page = client.get(url).content.decode()
    update_goal(dana, goal.pk, {"title": "Raise OTD to 98%"})
    response = client.post(url, form_values(page) | {"title": "Raise OTD to 96%"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this goal" in page
    assert "Now “Raise OTD to 98%” — changed by someone else" in page
    assert 'value="Raise OTD to 96%"' in page  # her input, kept
    assert Goal.objects.get().title == "Raise OTD to 98%"


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
