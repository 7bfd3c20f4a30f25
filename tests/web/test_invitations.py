"""The pages of membership by consent: inviting, the link's page for an account and for a new
person, links that must not work, and leaving. Forms are posted by CSRF-enforcing clients."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from backcast.accounts.models import User
from backcast.activity.models import Event
from backcast.organizations.models import Invitation, Membership, Organization
from backcast.services.platform import invitations
from tests.conftest import PASSWORD, csrf_token, logged_in

pytestmark = pytest.mark.db

UNKNOWN = "nobody@nowhere.test"
ACCEPT = "/invitations/accept/"


def link_of(message: mail.EmailMessage) -> str:
    """The link of an invitation e-mail, as a path with its query."""
    found = re.search(r"https?://[^/\s]+(/invitations/accept/\?token=[\w-]+)", str(message.body))
    assert found is not None, message.body
    return found.group(1)


def opened(client: Client, link: str) -> str:
    """Open the e-mailed link; the secret moves into the session and the page is the bare path."""
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == ACCEPT
    assert "token" not in response["Location"]
    return str(client.cookies["csrftoken"].value) if "csrftoken" in client.cookies else ""


def invite_on_the_page(alice: User, acme: Organization, email: str, role: str = "viewer") -> str:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/")
    response = client.post(
        f"/o/{acme.slug}/invitations/", {"email": email, "role": role}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
    return link_of(mail.outbox[-1])


def test_the_page_adds_nobody_directly(acme: Organization, alice: User, charlie: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/")
    for body in ({"email": charlie.email, "role": "admin"}, {"member": charlie.email, "role": "admin"}):
        response = client.post(f"/o/{acme.slug}/members/", body, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 400
        assert charlie.name not in response.content.decode()
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()


def test_inviting_on_the_page_answers_the_same_with_or_without_an_account(
    acme: Organization, alice: User, charlie: User
) -> None:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/")
    answers = []
    for email in (charlie.email, UNKNOWN):
        response = client.post(
            f"/o/{acme.slug}/invitations/",
            {"email": email, "role": "viewer"},
            HTTP_X_CSRFTOKEN=token,
            follow=True,
        )
        html = response.content.decode()
        answers.append(
            (response.status_code, response.redirect_chain, f"Invitation sent to {email}." in html)
        )
        assert charlie.name not in html
    assert answers[0] == answers[1] == (200, [(f"/o/{acme.slug}/", 302)], True)
    page = client.get(f"/o/{acme.slug}/").content.decode()
    assert charlie.email in page and UNKNOWN in page and "Send again" in page and "Revoke" in page


def test_inviting_needs_the_csrf_token_and_the_admin_role(acme: Organization, alice: User, bob: User) -> None:
    response = logged_in(alice).post(f"/o/{acme.slug}/invitations/", {"email": UNKNOWN, "role": "viewer"})
    assert response.status_code == 403
    client = logged_in(bob)
    token = csrf_token(client, f"/o/{acme.slug}/")
    response = client.post(
        f"/o/{acme.slug}/invitations/", {"email": UNKNOWN, "role": "admin"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 403
    assert "Send invitation" not in client.get(f"/o/{acme.slug}/").content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_account_logs_in_and_accepts(acme: Organization, alice: User, charlie: User) -> None:
    link = invite_on_the_page(alice, acme, charlie.email, "contributor")
    client = Client(enforce_csrf_checks=True)
    opened(client, link)
    page = client.get(ACCEPT)
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    html = page.content.decode()
    assert "Log in with charlie@other.test to accept" in html and "Your name" not in html
    token = csrf_token(client, f"/account/login/?next={ACCEPT}")
    response = client.post(
        "/account/login/",
        {"username": charlie.email, "password": PASSWORD, "next": ACCEPT, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == ACCEPT
    assert "Accept and join" in client.get(ACCEPT).content.decode()
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()  # not before accepting
    token = str(client.cookies["csrftoken"].value)
    assert client.post(ACCEPT).status_code == 403  # no CSRF token: refused, nothing joined
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()
    response = client.post(ACCEPT, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == f"/o/{acme.slug}/"
    assert Membership.objects.get(organization=acme, user=charlie).role == "contributor"
    assert client.get(ACCEPT).status_code == 404  # used
    assert Event.objects.filter(object_type="invitation", detail="accepted", actor=charlie).exists()


def test_a_new_person_sets_a_name_and_password_and_joins(acme: Organization, alice: User) -> None:
    link = invite_on_the_page(alice, acme, "dan@newco.test", "owner")
    client = Client(enforce_csrf_checks=True)
    opened(client, link)
    html = client.get(ACCEPT).content.decode()
    assert "Your name" in html and "dan@newco.test" in html
    token = str(client.cookies["csrftoken"].value)
    form = {
        "name": "Dan Newcomer",
        "password": "a sound passphrase 42",
        "password_again": "a sound passphrase 42",
    }
    assert client.post(ACCEPT, form).status_code == 403  # CSRF
    response = client.post(ACCEPT, form | {"password_again": "another one", "csrfmiddlewaretoken": token})
    assert response.status_code == 400 and "the two passwords differ" in response.content.decode()
    response = client.post(
        ACCEPT, form | {"password": "password", "password_again": "password", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="dan@newco.test").exists()
    response = client.post(ACCEPT, form | {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == f"/o/{acme.slug}/"
    dan = User.objects.get(email="dan@newco.test")
    assert dan.name == "Dan Newcomer" and Membership.objects.get(organization=acme, user=dan).role == "owner"
    assert client.get(f"/o/{acme.slug}/").status_code == 200  # logged in
    again = Client()
    assert again.login(username="dan@newco.test", password="a sound passphrase 42")


def test_links_that_must_not_work_all_answer_the_same_404(
    acme: Organization, alice: User, charlie: User
) -> None:
    long_ago = timezone.now() - invitations.LIFETIME - timedelta(seconds=1)
    invitations.invite(alice, acme.slug, charlie.email, "viewer", now=long_ago)
    expired = link_of(mail.outbox[-1])
    revoked = invite_on_the_page(alice, acme, UNKNOWN)
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/")
    pk = Invitation.objects.get(email=UNKNOWN).pk
    assert client.post(f"/o/{acme.slug}/invitations/{pk}/revoke/", HTTP_X_CSRFTOKEN=token).status_code == 302
    fresh = invite_on_the_page(alice, acme, "erin@elsewhere.test")
    tampered = fresh[:-2] + ("xy" if not fresh.endswith("xy") else "yz")
    pages = []
    for link in (expired, revoked, tampered, "/invitations/accept/?token=", ACCEPT):
        visitor = Client()  # no CSRF check: the POST reaches the page, which must refuse it itself
        visitor.get(link)
        response = visitor.get(ACCEPT)
        pages.append((response.status_code, response.content.decode()))
        form = {"name": "X", "password": "a sound passphrase 42", "password_again": "a sound passphrase 42"}
        assert visitor.post(ACCEPT, form).status_code == 404
    assert set(pages) == {pages[0]} and pages[0][0] == 404
    assert "not valid" in pages[0][1]
    assert not User.objects.filter(email__in=[UNKNOWN, "erin@elsewhere.test"]).exists()
    assert set(Membership.objects.filter(organization=acme).values_list("user__email", flat=True)) == {
        alice.email
    }


def test_another_account_cannot_accept(acme: Organization, alice: User, bob: User, charlie: User) -> None:
    link = invite_on_the_page(alice, acme, charlie.email, "admin")
    client = logged_in(bob)
    opened(client, link)
    html = client.get(ACCEPT).content.decode()
    assert "You are logged in as bob@acme.test" in html and "Accept and join" not in html
    token = str(client.cookies["csrftoken"].value)
    assert client.post(ACCEPT, {"csrfmiddlewaretoken": token}).status_code == 403
    assert Membership.objects.get(organization=acme, user=bob).role == "viewer"
    assert not Membership.objects.filter(organization=acme, user=charlie).exists()


def test_resend_replaces_the_link_on_the_page(acme: Organization, alice: User, charlie: User) -> None:
    first = invite_on_the_page(alice, acme, charlie.email)
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/")
    pk = Invitation.objects.get().pk
    assert client.post(f"/o/{acme.slug}/invitations/{pk}/resend/", HTTP_X_CSRFTOKEN=token).status_code == 302
    second = link_of(mail.outbox[-1])
    visitor = Client()
    visitor.get(first)
    assert visitor.get(ACCEPT).status_code == 404
    visitor.get(second)
    assert visitor.get(ACCEPT).status_code == 200


def test_a_member_leaves_with_the_button(acme: Organization, alice: User, bob: User) -> None:
    client = logged_in(bob)
    page = client.get(f"/o/{acme.slug}/").content.decode()
    assert "Leave Acme Plant" in page and "Invitations" not in page
    token = csrf_token(client, f"/o/{acme.slug}/")
    assert client.post(f"/o/{acme.slug}/leave/").status_code == 403  # CSRF
    response = client.post(f"/o/{acme.slug}/leave/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302 and response["Location"] == "/"
    assert not Membership.objects.filter(organization=acme, user=bob).exists()
    assert client.get(f"/o/{acme.slug}/").status_code == 404


def test_the_last_admin_is_told_why_they_cannot_leave(acme: Organization, alice: User) -> None:
    client = logged_in(alice)
    token = csrf_token(client, f"/o/{acme.slug}/")
    response = client.post(f"/o/{acme.slug}/leave/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400
    assert "you are the last admin of Acme Plant" in response.content.decode()
    assert Membership.objects.get(organization=acme, user=alice).role == "admin"


def test_the_links_page_escapes_the_names_it_shows(acme: Organization, alice: User) -> None:
    markup = "<script>alert(1)</script>"
    acme.name, alice.name = f"Acme {markup}", f"Alice {markup}"
    acme.save()
    alice.save()
    invitations.invite(alice, acme.slug, UNKNOWN, "viewer")
    visitor = Client()
    opened(visitor, link_of(mail.outbox[-1]))
    html = visitor.get(ACCEPT).content.decode()
    assert markup not in html and "Alice &lt;script&gt;" in html and "Acme &lt;script&gt;" in html
