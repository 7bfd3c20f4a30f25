"""The API's side of membership by consent: no direct adding, no account enumeration, invitations
sent, listed, sent again and revoked by admins, and leaving. Every answer is checked against the
OpenAPI document (``tests.api.client``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core import mail

from backcast.accounts.models import User
from backcast.notifications.models import Notification
from backcast.organizations.models import Invitation, Membership, Organization
from tests.api.client import Api

pytestmark = pytest.mark.db

UNKNOWN = "nobody@nowhere.test"


def members(org: Organization) -> set[str]:
    return set(Membership.objects.filter(organization=org).values_list("user__email", flat=True))


def test_the_put_that_added_any_account_adds_nobody(
    api: Api, acme: Organization, alice: User, charlie: User
) -> None:
    status, body = api.call(
        "put", f"/organizations/{acme.slug}/members", {"email": charlie.email, "role": "admin"}
    )
    assert status == 400 and body["field"] == "email"
    assert charlie.name not in str(body)
    assert members(acme) == {alice.email}


def test_a_refused_put_is_the_same_for_an_account_and_for_no_account(
    api: Api, acme: Organization, charlie: User
) -> None:
    answers = []
    for email in (charlie.email, UNKNOWN):
        status, body = api.call(
            "put", f"/organizations/{acme.slug}/members", {"email": email, "role": "viewer"}
        )
        answers.append((status, str(body).replace(email, "ADDRESS")))
    assert answers[0] == answers[1]


def test_a_members_role_still_changes(api: Api, acme: Organization, bob: User) -> None:
    status, body = api.call(
        "put", f"/organizations/{acme.slug}/members", {"email": bob.email, "role": "owner"}
    )
    assert status == 200 and body["role"] == "owner"
    assert Membership.objects.get(user=bob).role == "owner"


def comparable(body: dict[str, Any], email: str) -> dict[str, Any]:
    """An invitation's answer without what differs between any two (id, times, the address)."""
    moving = {"id", "created_at", "sent_at", "expires_at"}
    return {k: (v if v != email else "ADDRESS") for k, v in body.items() if k not in moving}


def test_an_invitation_answers_the_same_with_or_without_an_account(
    api: Api, acme: Organization, charlie: User
) -> None:
    answers = []
    for email in (charlie.email, UNKNOWN):
        status, body = api.call(
            "post", f"/organizations/{acme.slug}/invitations", {"email": email, "role": "viewer"}
        )
        answers.append((status, comparable(body, email), set(body)))
    assert answers[0] == answers[1]
    assert answers[0][0] == 201
    assert answers[0][1] == {
        "email": "ADDRESS",
        "role": "viewer",
        "invited_by": "alice@acme.test",
        "expired": False,
    }
    assert charlie.name not in str(answers)
    texts = [m.body.replace(m.to[0], "ADDRESS") for m in mail.outbox]
    assert re.sub(r"token=\S+", "", texts[0]) == re.sub(r"token=\S+", "", texts[1])
    assert members(acme) == {"alice@acme.test"}  # nobody joined by being invited


def test_admins_list_resend_and_revoke_invitations(api: Api, acme: Organization, bob: User) -> None:
    status, created = api.call(
        "post", f"/organizations/{acme.slug}/invitations", {"email": UNKNOWN, "role": "owner"}
    )
    assert status == 201
    status, listed = api.call("get", f"/organizations/{acme.slug}/invitations")
    assert status == 200 and [i["email"] for i in listed["items"]] == [UNKNOWN]
    status, resent = api.call("post", f"/organizations/{acme.slug}/invitations/{created['id']}/resend")
    assert status == 200 and resent["id"] == created["id"] and len(mail.outbox) == 2
    status, _ = api.call("delete", f"/organizations/{acme.slug}/invitations/{created['id']}")
    assert status == 204
    assert api.call("get", f"/organizations/{acme.slug}/invitations")[1]["count"] == 0
    status, body = api.call("post", f"/organizations/{acme.slug}/invitations/{created['id']}/resend")
    assert status == 400 and "revoked" in body["detail"]
    viewer = Api(bob)
    status, _ = viewer.call(
        "post", f"/organizations/{acme.slug}/invitations", {"email": UNKNOWN, "role": "admin"}
    )
    assert status == 403
    assert viewer.call("get", f"/organizations/{acme.slug}/invitations")[0] == 403
    assert len(mail.outbox) == 2


def test_inviting_a_member_or_a_bad_address_or_role_is_refused(
    api: Api, acme: Organization, bob: User
) -> None:
    for body, field in (
        ({"email": bob.email, "role": "owner"}, "email"),
        ({"email": "not an address", "role": "owner"}, "email"),
        ({"email": UNKNOWN, "role": "boss"}, "role"),
    ):
        status, answer = api.call("post", f"/organizations/{acme.slug}/invitations", body)
        assert status == 400 and answer["field"] == field, body
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_outsider_cannot_be_made_owner_contributor_or_be_mentioned(
    api: Api, acme: Organization, bob: User, charlie: User
) -> None:
    """The whole attack: add an account, make it the owner of a lure, mention it. Each step fails."""
    api.call("put", f"/organizations/{acme.slug}/members", {"email": charlie.email, "role": "viewer"})
    lure = {"title": "Re-enter your password at evil.example", "deadline": "2031-06-30"}
    for extra in ({"owner": charlie.email}, {"owner": charlie.pk}, {"contributors": [charlie.email]}):
        status, body = api.call("post", "/goals", lure | extra)
        assert status == 400 and body["field"] == next(iter(extra)), body
    status, goal = api.call("post", "/goals", {"title": "Raise OTD to 95%", "deadline": "2031-06-30"})
    assert status == 201
    status, body = api.call("patch", f"/goals/{goal['id']}", {"owner": charlie.email})
    assert status == 400 and body["field"] == "owner"
    status, body = api.call(
        "post", f"/goals/{goal['id']}/milestones", {"title": "Audit", "duration": 5, "owner": charlie.email}
    )
    assert status == 400 and body["field"] == "owner"
    status, _ = api.call("post", f"/goals/{goal['id']}/comments", {"body": "@charlie see the goal, @bob too"})
    assert status == 201
    assert not Notification.objects.filter(recipient=charlie).exists()
    assert Notification.objects.filter(recipient=bob).exists()
    assert not Membership.objects.filter(user=charlie, organization=acme).exists()


def test_a_member_leaves_through_the_api(acme: Organization, alice: User, bob: User) -> None:
    from backcast.services.goals.goals import create_goal

    goal = create_goal(
        alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30), "owner": bob.email}
    )
    status, _ = Api(bob).call("delete", f"/organizations/{acme.slug}/members/me")
    assert status == 204
    assert members(acme) == {alice.email}
    goal.refresh_from_db()
    assert goal.owner is None
    status, _ = Api(bob).call("get", f"/organizations/{acme.slug}")
    assert status == 404


def test_the_last_admin_cannot_leave_through_the_api(api: Api, acme: Organization, alice: User) -> None:
    status, body = api.call("delete", f"/organizations/{acme.slug}/members/me")
    assert status == 400 and "last admin" in body["detail"]
    assert members(acme) == {alice.email}
