"""The discussion next to the plan: comments on a goal page, escaped, moderated, with errors by the field."""

from __future__ import annotations

from datetime import date

from backcast.accounts.models import User
from backcast.goals.models import Comment, Goal
from backcast.organizations.models import Organization
from backcast.services.goals.goals import create_goal
from backcast.services.goals.milestones import add_milestone
from tests.conftest import csrf_token, logged_in


def new_goal(alice: User) -> Goal:
    return create_goal(alice, {"title": "Raise on-time delivery to 95%", "deadline": date(2031, 6, 30)})


def test_comments_are_posted_shown_escaped_and_moderated(
    acme: Organization, alice: User, bob: User, carol: User
) -> None:
    goal = new_goal(alice)
    audit = add_milestone(alice, goal.pk, {"title": "Audit carriers", "duration": 5})
    url = f"/goals/{goal.pk}/comments/"
    as_alice = logged_in(alice)
    token = csrf_token(as_alice)
    page = as_alice.get(f"/goals/{goal.pk}/").content.decode()
    assert f'hx-get="{url}"' in page  # the goal page pulls the discussion in
    assert "No comments yet" in as_alice.get(url).content.decode()

    response = as_alice.post(
        url, {"body": "<script>alert(1)</script> Carriers sent the data."}, HTTP_X_CSRFTOKEN=token
    )
    assert (response.status_code, response["Location"]) == (302, url)
    page = as_alice.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Carriers sent the data." in page
    assert "<script>alert(1)" not in page

    as_carol = logged_in(carol)
    carol_token = csrf_token(as_carol)
    partial = as_carol.post(
        url,
        {"body": "Audit slips three days", "milestone": str(audit.pk)},
        HTTP_X_CSRFTOKEN=carol_token,
        HTTP_HX_REQUEST="true",
    )
    assert partial.status_code == 200
    text = partial.content.decode()
    assert text.startswith('<div id="comments"') and "on “Audit carriers”" in text  # only the section
    assert Comment.objects.get(body="Audit slips three days").milestone == audit

    empty = as_alice.post(url, {"body": "   "}, HTTP_X_CSRFTOKEN=token)
    assert empty.status_code == 400
    assert 'class="field has-error"' in empty.content.decode()

    as_bob = logged_in(bob)  # a viewer reads the discussion but cannot join it
    assert "Audit slips three days" in as_bob.get(url).content.decode()
    assert "Post comment" not in as_bob.get(url).content.decode()
    assert as_bob.post(url, {"body": "viewer"}, HTTP_X_CSRFTOKEN=csrf_token(as_bob)).status_code == 403

    alices = Comment.objects.get(author=alice)
    carols = Comment.objects.get(author=carol)
    assert as_carol.post(f"/comments/{alices.pk}/delete/", HTTP_X_CSRFTOKEN=carol_token).status_code == 403
    assert as_alice.post(f"/comments/{carols.pk}/delete/", HTTP_X_CSRFTOKEN=token).status_code == 302
    assert list(Comment.objects.values_list("author__email", flat=True)) == ["alice@acme.test"]
